// A client that trickles its request headers (one header line a second, never finishing) is cut
// off by the webhook's headersTimeout (10 s), answered 408, its socket closed: exercised over a
// real socket, not read from the server's settings. Node enforces headersTimeout and
// requestTimeout only when it checks its open connections (every 30 s by default), so the webhook
// checks every second: a trickler is cut near the documented 10 s, not after up to 40 s. Both
// over plain HTTP and over TLS (the https server is built from other options).
import t from 'tap'
import tls from 'node:tls'
import { openRawConnection } from '../helpers/apiserver-client.ts'
import { createTestPki, type TestPki } from '../helpers/certs.ts'
import { startWebhook } from './fakes.ts'

// node's own check interval: a cut after this long means the webhook's shorter one is not in force
const NODE_DEFAULT_CHECK_MS = 30_000

let pki: TestPki
t.before(async () => { pki = await createTestPki() })
t.teardown(() => pki.remove())

t.test('headers trickled forever: 408 and the socket closed after the headers timeout, never served', { timeout: 90_000 }, async (t) => {
  const w = await startWebhook(t)
  const conn = await openRawConnection(w.server.port)
  t.teardown(() => conn.destroy())
  const started = Date.now()
  conn.write('POST /k8s-audit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n')
  let n = 0
  // the slow client: a new header line every second keeps the socket busy, so no idle timeout applies
  const trickle = setInterval(function slowClient () { conn.write(`X-Slow-${n++}: x\r\n`) }, 1000)
  t.teardown(() => clearInterval(trickle))
  const answer = await conn.readResponse().catch(() => undefined)
  await conn.closed
  clearInterval(trickle)
  const elapsed = Date.now() - started
  t.equal(answer?.status, 408, 'Request Timeout')
  t.ok(elapsed >= 10_000, `not before the 10 s headers timeout (${elapsed} ms)`)
  t.ok(elapsed < NODE_DEFAULT_CHECK_MS - 5_000, `cut near the 10 s timeout, not at node's 30 s connection check (${elapsed} ms)`)
  t.equal(w.bodies.length, 0, 'the request never reached the handler')
  // a 1 s interval drifts on a loaded machine: half the ticks are enough to show it kept sending
  t.ok(n >= 5, `the client was still sending when it was cut off (${n} header lines)`)
})

t.test('over TLS too: a header trickler is cut near the 10 s timeout', { timeout: 90_000 }, async (t) => {
  const w = await startWebhook(t, { tls: { cert: pki.serverCert, key: pki.serverKey, clientAuth: 'none' } })
  const socket = tls.connect({ port: w.server.port, host: '127.0.0.1', servername: 'localhost', ca: pki.caCert })
  t.teardown(() => socket.destroy())
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject) })
  let received = ''
  socket.on('data', (c: Buffer) => { received += c.toString('latin1') })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const started = Date.now()
  socket.write('POST /k8s-audit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n')
  let n = 0
  const trickle = setInterval(function slowClient () { if (!socket.destroyed) socket.write(`X-Slow-${n++}: x\r\n`) }, 1000)
  t.teardown(() => clearInterval(trickle))
  await closed
  clearInterval(trickle)
  const elapsed = Date.now() - started
  t.match(received, /^HTTP\/1\.1 408 /, 'Request Timeout')
  t.ok(elapsed >= 10_000, `not before the 10 s headers timeout (${elapsed} ms)`)
  t.ok(elapsed < NODE_DEFAULT_CHECK_MS - 5_000, `cut near the 10 s timeout, not at node's 30 s connection check (${elapsed} ms)`)
  t.equal(w.bodies.length, 0, 'the request never reached the handler')
})
