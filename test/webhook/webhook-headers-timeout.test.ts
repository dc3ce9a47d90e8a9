// A client that trickles its request headers (one header line a second, never finishing) is cut
// off by the webhook's headersTimeout (10 s; node checks open connections every 30 s), answered
// 408, its socket closed: exercised over a real socket, not read from the server's settings.
import t from 'tap'
import { openRawConnection } from '../helpers/apiserver-client.ts'
import { startWebhook } from './fakes.ts'

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
  t.equal(w.bodies.length, 0, 'the request never reached the handler')
  t.ok(n >= 9, 'the client was still sending when it was cut off')
})
