// close(): stop accepting connections, answer new requests on open connections 503 with
// Retry-After, let in-flight batches finish (their clients get 200), then resolve.
import t from 'tap'
import { auditEvent, encodeEventList, logLine, openRawConnection, postAsApiserver, rawPost, request } from '../helpers/apiserver-client.ts'
import { decodeForTest, deferred, startWebhook } from './fakes.ts'

function portOf (url: string): number {
  return Number(new URL(url).port)
}

t.test('close() waits for an in-flight batch, which is answered 200', async (t) => {
  const gate = deferred()
  const inHandler = deferred()
  const w = await startWebhook(t, {}, {
    async handleBody (body) {
      inHandler.resolve()
      await gate.promise
      return decodeForTest(body)
    }
  })
  const inFlight = postAsApiserver(w.url, [auditEvent(1), auditEvent(2)])
  await inHandler.promise
  let closed = false
  const closing = w.server.close().then(() => { closed = true })
  // give close() every chance to finish early: it must not while the batch is unfinished
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
  t.notOk(closed, 'close() has not resolved while a batch is in flight')
  gate.resolve()
  const res = await inFlight
  t.equal(res.status, 200)
  t.same(JSON.parse(res.body), { accepted: 2, rejected: 0 })
  await closing
  t.ok(closed)
  await t.rejects(request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    { code: 'ECONNREFUSED' }, 'no new connections after close')
})

t.test('a request arriving on an open connection during close is 503 with Retry-After', async (t) => {
  const gate = deferred()
  const inHandler = deferred()
  const w = await startWebhook(t, { retryAfterSeconds: 5 }, {
    async handleBody (body) {
      inHandler.resolve()
      await gate.promise
      return decodeForTest(body)
    }
  })
  const conn = await openRawConnection(portOf(w.url))
  t.teardown(() => conn.destroy())
  const batch = encodeEventList([auditEvent(1)])
  conn.write(rawPost('/k8s-audit', batch))
  await inHandler.promise
  const closing = w.server.close()
  // the same keep-alive connection, busy with the first batch, so close() cannot drop it
  conn.write(rawPost('/k8s-audit', batch))
  // release the first batch only once the second has reached the server
  while (w.metrics.received < 2) await new Promise((resolve) => setImmediate(resolve))
  gate.resolve()
  const first = await conn.readResponse()
  t.equal(first.status, 200, 'the batch admitted before close() completes')
  const second = await conn.readResponse()
  t.equal(second.status, 503)
  t.equal(second.headers['retry-after'], '5')
  t.match(JSON.parse(second.body), { statusCode: 503, code: 'ERR_WEBHOOK_SHUTTING_DOWN' })
  await conn.closed
  await closing
  t.equal(w.bodies.length, 1, 'the refused batch never reached handleBody')
})

t.test('close() with idle keep-alive connections resolves without waiting for their timeout', async (t) => {
  const w = await startWebhook(t)
  const conn = await openRawConnection(portOf(w.url))
  conn.write(rawPost('/k8s-audit', logLine(auditEvent(1))))
  t.equal((await conn.readResponse()).status, 200)
  // the server's keep-alive timeout is 65 s: a close() that waited for it would still pass within
  // tap's 120 s, so the bound here (30 s, far above any machine's pace) makes it fail instead
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([
    (async () => { await w.server.close(); await conn.closed; return 'closed' })(),
    new Promise((resolve) => { timer = setTimeout(resolve, 30_000, 'still waiting after 30 s') })
  ])
  clearTimeout(timer)
  t.equal(outcome, 'closed', 'closed while the client kept its connection open, without waiting for its keep-alive timeout')
})

t.test('close() gives up on a batch that never finishes after closeTimeoutMs', async (t) => {
  const inHandler = deferred()
  const w = await startWebhook(t, { closeTimeoutMs: 50 }, {
    async handleBody () {
      inHandler.resolve()
      return await new Promise(() => {})
    }
  })
  const stuck = request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: logLine(auditEvent(1)) })
  await inHandler.promise
  await w.server.close()
  await t.rejects(stuck, 'the stuck request is cut off (the apiserver will retry it elsewhere)')
  t.ok(w.logger.lines.some((l) => l.level === 'warn' && l.obj.timeoutMs === 50), 'the give-up is logged')
})

t.test('close() is idempotent', async (t) => {
  const w = await startWebhook(t)
  const a = w.server.close()
  const b = w.server.close()
  t.equal(a, b)
  await a
})
