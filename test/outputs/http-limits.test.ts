// The http output's bounds as Falco's http_output documents them: max_consecutive_timeouts stops
// retrying a receiver that accepts and never answers; a url that is not http(s) is a config error
// naming the key, at start-up.
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDispatcher, createHttpChannel } from '../../src/outputs/index.ts'
import { captureLogger, counters, jsonLine, makeAlert } from './helpers.ts'

const base = { userAgent: 'lanner-test', insecure: false, mtls: false, compressUploads: false, keepAlive: true, contentType: 'application/json' as const, backoffMs: 5 }

t.test('max_consecutive_timeouts 2: a receiver that never answers gets two attempts, not the ten retries allow', async (t) => {
  const requests: http.IncomingMessage[] = []
  // reads each request and never answers
  const server = http.createServer((req) => { requests.push(req); req.resume() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const { c, hooks } = counters()
  const log = captureLogger()
  const d = createDispatcher({ channels: [createHttpChannel({ ...base, url, timeoutMs: 1500, retries: 10, maxConsecutiveTimeouts: 2 })], format: jsonLine, queueSize: 10, logger: log, hooks })
  d.emit(makeAlert(1))
  t.equal(await d.flush(60_000), true, 'the send ended (failed) instead of retrying on')
  t.equal(c.failed.get('http'), 1)
  // two attempts were made; on a machine stalled past the timeout the receiver may never have seen
  // one of them, so the bound is what is asserted: not the eleven attempts retries: 10 would allow
  t.ok(requests.length >= 1 && requests.length <= 2, `at most two timed-out attempts, then it gave up (receiver saw ${requests.length})`)
  t.ok(log.lines.some((l) => l.obj.code === 'ERR_OUTPUT_FAILED' && /failed: no answer within 1500 ms$/.test(String(l.obj.err))), 'the log says it timed out')
  await d.close(1000)
})

t.test('a url that is not http(s) is ERR_CONFIG_INVALID naming http_output.url', async (t) => {
  for (const url of ['ftp://sidekick:2801/', 'sidekick:2801', 'not a url']) {
    t.throws(() => createHttpChannel({ ...base, url, timeoutMs: 1000, retries: 0 }),
      { code: 'ERR_CONFIG_INVALID', message: `http_output.url: expected an http(s) URL, got '${url}'` }, url)
  }
})
