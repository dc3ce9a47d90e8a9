import t from 'tap'
import http from 'node:http'
import https from 'node:https'
import { copyFileSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { createDispatcher, createHttpChannel } from '../../src/outputs/index.ts'
import { captureLogger, counters, jsonLine, makeAlert, messageOf } from './helpers.ts'
import { startFalcosidekick } from '../helpers/falcosidekick.ts'
import { formatAlertJson } from '../../src/outputs/index.ts'
import { makeCert } from './certs.ts'

interface Received { body: string, headers: http.IncomingHttpHeaders, clientCert?: string }

/** A loopback sink answering with the queued statuses (200 once they run out). */
async function startSink (t: { teardown(fn: () => void): void }, opts: { statuses?: number[], tls?: https.ServerOptions } = {}) {
  const received: Received[] = []
  const statuses = [...(opts.statuses ?? [])]
  function sinkHandler (req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      let buf = Buffer.concat(chunks)
      if (req.headers['content-encoding'] === 'gzip') buf = gunzipSync(buf)
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate?.()
      const cn = peer?.subject?.CN
      received.push({ body: buf.toString(), headers: req.headers, clientCert: Array.isArray(cn) ? cn[0] : cn })
      res.statusCode = statuses.shift() ?? 200
      res.end()
    })
  }
  const server = opts.tls === undefined ? http.createServer(sinkHandler) : https.createServer(opts.tls, sinkHandler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const port = (server.address() as AddressInfo).port
  return { received, url: `${opts.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}/alerts` }
}

const base = { userAgent: 'lanner-test', insecure: false, mtls: false, compressUploads: false, keepAlive: true, timeoutMs: 5000, retries: 3, backoffMs: 5 }

type DispatcherHooks = ReturnType<typeof counters>['hooks']

/** One alert (makeAlert(n)) through a dispatcher with one JSON http channel on `settings`, flushed; close the dispatcher after the checks. */
async function sendOneAlert (settings: Partial<Parameters<typeof createHttpChannel>[0]> & { url: string }, n: number, hooks?: DispatcherHooks) {
  const d = createDispatcher({ channels: [createHttpChannel({ ...base, ...settings, contentType: 'application/json' })], format: jsonLine, queueSize: 10, logger: captureLogger(), ...(hooks === undefined ? {} : { hooks }) })
  d.emit(makeAlert(n))
  await d.flush(30_000)
  return d
}

t.test('POSTs one JSON alert per request, falcosidekick style', async (t) => {
  const sink = await startSink(t)
  const { c, hooks } = counters()
  const d = createDispatcher({ channels: [createHttpChannel({ ...base, url: sink.url, contentType: 'application/json' })], format: jsonLine, queueSize: 100, logger: captureLogger(), hooks })
  d.emit(makeAlert(1))
  d.emit(makeAlert(2))
  await d.flush(30_000)
  t.equal(sink.received.length, 2)
  t.equal(sink.received[0]?.headers['content-type'], 'application/json')
  t.equal(sink.received[0]?.headers['user-agent'], 'lanner-test')
  t.same(sink.received.map((r) => messageOf(r.body)), ['alert 1', 'alert 2'])
  t.equal(c.delivered.get('http'), 2)
  await d.close(1000)
})

t.test('falcosidekick (its FalcoPayload.Check) accepts the JSON alerts; without output_fields it answers 400 and the alert fails', async (t) => {
  const sidekick = await startFalcosidekick(t)
  const { c, hooks } = counters()
  const d = createDispatcher({ channels: [createHttpChannel({ ...base, url: sidekick.url, contentType: 'application/json' })], format: jsonLine, queueSize: 100, logger: captureLogger(), hooks })
  d.emit(makeAlert(1))
  await d.flush(30_000)
  t.same(sidekick.posts.map((p) => p.accepted), [true], 'priority, rule, time and output_fields are all there')
  t.match(sidekick.posts[0]?.payload, { priority: 'Warning', rule: 'rule-1', source: 'k8s_audit', output_fields: { 'ka.verb': 'create' } })
  t.equal(c.delivered.get('http'), 1)
  await d.close(1000)

  // json_include_output_fields: false, as some users set it for Slack: falcosidekick refuses it
  const bare = createDispatcher({ channels: [createHttpChannel({ ...base, url: sidekick.url, contentType: 'application/json' })], format: (a) => formatAlertJson(a, { includeOutputFields: false }), queueSize: 100, logger: captureLogger(), hooks })
  bare.emit(makeAlert(2))
  await bare.flush(30_000)
  t.equal(sidekick.posts[1]?.accepted, false)
  t.equal(c.failed.get('http'), 1, 'a 400 is not retried: counted as failed')
  await bare.close(1000)
})

t.test('text alerts are sent as text/plain, gzip when compress_uploads', async (t) => {
  const sink = await startSink(t)
  const d = createDispatcher({ channels: [createHttpChannel({ ...base, url: sink.url, contentType: 'text/plain', compressUploads: true })], format: (a) => `Warning ${a.message}`, queueSize: 100, logger: captureLogger() })
  d.emit(makeAlert(1))
  await d.flush(30_000)
  t.equal(sink.received[0]?.headers['content-type'], 'text/plain')
  t.equal(sink.received[0]?.headers['content-encoding'], 'gzip')
  t.equal(sink.received[0]?.body, 'Warning alert 1')
  await d.close(1000)
})

t.test('5xx and 429 are retried with backoff; other 4xx fail at once', async (t) => {
  const sink = await startSink(t, { statuses: [503, 429, 200, 400] })
  const { c, hooks } = counters()
  const log = captureLogger()
  const d = createDispatcher({ channels: [createHttpChannel({ ...base, url: sink.url, contentType: 'application/json' })], format: jsonLine, queueSize: 100, logger: log, hooks })
  d.emit(makeAlert(1))
  await d.flush(30_000)
  t.equal(sink.received.length, 3, 'two retries, then delivered')
  t.equal(c.delivered.get('http'), 1)
  d.emit(makeAlert(2))
  await d.flush(30_000)
  t.equal(sink.received.length, 4, '400 is not retried')
  t.equal(c.failed.get('http'), 1)
  t.ok(log.lines.some((l) => l.obj.code === 'ERR_OUTPUT_FAILED'))
  await d.close(1000)
})

t.test('max_consecutive_timeouts: 0 gives up on a timeout only; a 503 is still retried', async (t) => {
  const sink = await startSink(t, { statuses: [503, 200] })
  const { c, hooks } = counters()
  const d = createDispatcher({ channels: [createHttpChannel({ ...base, maxConsecutiveTimeouts: 0, url: sink.url, contentType: 'application/json' })], format: jsonLine, queueSize: 100, logger: captureLogger(), hooks })
  d.emit(makeAlert(1))
  await d.flush(30_000)
  t.equal(sink.received.length, 2, 'retried after the 503')
  t.equal(c.delivered.get('http'), 1)
  await d.close(1000)
})

t.test('an unreachable sink fails after the configured retries', async (t) => {
  const { c, hooks } = counters()
  const d = createDispatcher({ channels: [createHttpChannel({ ...base, retries: 1, url: 'http://127.0.0.1:1/x', contentType: 'application/json' })], format: jsonLine, queueSize: 100, logger: captureLogger(), hooks })
  d.emit(makeAlert(1))
  await d.flush(30_000)
  t.equal(c.failed.get('http'), 1)
  await d.close(1000)
})

t.test('HTTPS: verifies the server against ca_cert; insecure skips verification; mtls presents a client certificate', async (t) => {
  const dir = t.testdir({})
  const server = makeCert(dir, 'server')
  const client = makeCert(dir, 'client')
  const sink = await startSink(t, { tls: { cert: readFileSync(server.cert), key: readFileSync(server.key), ca: readFileSync(client.cert), requestCert: true, rejectUnauthorized: false } })

  const { c, hooks } = counters()
  const untrusted = await sendOneAlert({ retries: 0, url: sink.url }, 1, hooks)
  t.equal(c.failed.get('http'), 1, 'an unknown CA is rejected')
  t.equal(sink.received.length, 0)
  await untrusted.close(1000)

  const insecure = await sendOneAlert({ insecure: true, url: sink.url }, 2)
  t.equal(sink.received.length, 1, 'insecure: true accepts it')
  await insecure.close(1000)

  const mtls = await sendOneAlert({ caCert: server.cert, mtls: true, clientCert: client.cert, clientKey: client.key, url: sink.url }, 3)
  t.equal(sink.received.length, 2, 'ca_cert verifies the server')
  t.equal(sink.received[1]?.clientCert, 'client', 'the client certificate was presented')
  await mtls.close(1000)
})

t.test('HTTPS trust from ca_path (every .pem/.crt of the directory, other files ignored) and ca_bundle; a missing ca_path means the system CAs', async (t) => {
  const dir = t.testdir({ cas: { 'README': 'not a certificate', 'unrelated.txt': 'x' } })
  const server = makeCert(dir, 'server')
  const other = makeCert(dir, 'other')
  copyFileSync(other.cert, path.join(dir, 'cas', 'other.pem'))
  copyFileSync(server.cert, path.join(dir, 'cas', 'server.crt'))
  const sink = await startSink(t, { tls: { cert: readFileSync(server.cert), key: readFileSync(server.key) } })
  const viaPath = await sendOneAlert({ caPath: path.join(dir, 'cas'), url: sink.url }, 1)
  t.equal(sink.received.length, 1, 'the server certificate found in ca_path verifies it')
  await viaPath.close(1000)

  const viaBundle = await sendOneAlert({ caBundle: server.cert, url: sink.url }, 2)
  t.equal(sink.received.length, 2, 'ca_bundle too')
  await viaBundle.close(1000)

  const { c, hooks } = counters()
  const systemOnly = await sendOneAlert({ retries: 0, caPath: path.join(dir, 'no-such-dir'), url: sink.url }, 3, hooks)
  t.equal(c.failed.get('http'), 1, 'Falco\'s default ca_path absent: system CAs only, which do not know the test CA')
  t.equal(sink.received.length, 2)
  await systemOnly.close(1000)
})

t.test('mtls: true without client_cert/client_key is a config error naming http_output.mtls; a server requiring a client certificate refuses a client without one', async (t) => {
  t.throws(() => createHttpChannel({ ...base, mtls: true, url: 'https://127.0.0.1:1/', contentType: 'application/json' }), { code: 'ERR_CONFIG_INVALID', location: { itemName: 'http_output.mtls' } })
  t.throws(() => createHttpChannel({ ...base, mtls: true, clientCert: '/nonexistent/c.pem', clientKey: '/nonexistent/k.pem', url: 'https://127.0.0.1:1/', contentType: 'application/json' }), { code: 'ERR_CONFIG_INVALID', location: { itemName: 'http_output.client_cert' } })
  t.equal(createHttpChannel({ ...base, mtls: true, url: 'http://127.0.0.1:1/', contentType: 'application/json' }).name, 'http', 'plain http: no TLS, so no client certificate is needed')
  const dir = t.testdir({})
  const server = makeCert(dir, 'server')
  const client = makeCert(dir, 'client')
  const sink = await startSink(t, { tls: { cert: readFileSync(server.cert), key: readFileSync(server.key), ca: readFileSync(client.cert), requestCert: true, rejectUnauthorized: true } })
  const { c, hooks } = counters()
  const noCert = await sendOneAlert({ retries: 0, caCert: server.cert, url: sink.url }, 1, hooks)
  t.equal(c.failed.get('http'), 1, 'the handshake fails without a client certificate')
  t.equal(sink.received.length, 0)
  await noCert.close(1000)
})

t.test('bad settings are config errors naming the key', async (t) => {
  t.throws(() => createHttpChannel({ ...base, url: 'not a url', contentType: 'application/json' }), { code: 'ERR_CONFIG_INVALID', location: { itemName: 'http_output.url' } })
  t.throws(() => createHttpChannel({ ...base, url: 'https://x', caCert: '/nonexistent/ca.pem', contentType: 'application/json' }), { code: 'ERR_CONFIG_INVALID', location: { itemName: 'http_output.ca_cert' } })
})

t.test('a slow receiver gets up to `concurrency` POSTs at once, never more', async (t) => {
  let open = 0
  let maxOpen = 0
  let total = 0
  const server = http.createServer(function slowSink (req, res) {
    open++
    maxOpen = Math.max(maxOpen, open)
    req.resume()
    req.on('end', () => { setTimeout(() => { open--; total++; res.end() }, 20) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const d = createDispatcher({ channels: [createHttpChannel({ ...base, url, concurrency: 3, contentType: 'application/json' })], format: jsonLine, queueSize: 100, logger: captureLogger() })
  for (let i = 0; i < 10; i++) d.emit(makeAlert(i))
  await d.flush(30_000)
  t.equal(total, 10)
  t.equal(maxOpen, 3, 'the queued alerts went out three at a time')
  await d.close(1000)
})
