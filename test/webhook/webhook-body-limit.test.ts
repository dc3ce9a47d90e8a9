// 413 above maxBodyBytes, decided on Content-Length or while the body streams in, never after
// buffering it all: the requests below never finish sending, yet are answered.
import t from 'tap'
import { auditEvent, encodeEventList, logLine, openRawConnection, request } from '../helpers/apiserver-client.ts'
import { startWebhook } from './fakes.ts'

const LIMIT = 64 * 1024

function portOf (url: string): number {
  return Number(new URL(url).port)
}

t.test('a Content-Length over the limit is 413 before any body byte is sent', async (t) => {
  const w = await startWebhook(t, { maxBodyBytes: LIMIT })
  const conn = await openRawConnection(portOf(w.url))
  t.teardown(() => conn.destroy())
  conn.write(`POST /k8s-audit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`)
  const res = await conn.readResponse()
  t.equal(res.status, 413)
  t.match(JSON.parse(res.body), { statusCode: 413, code: 'ERR_WEBHOOK_TOO_LARGE' })
  t.equal(res.headers.connection, 'close', 'the rest of an oversized body is not read')
  t.equal(w.bodies.length, 0)
  t.ok(w.logger.lines.some((l) => l.level === 'warn' && l.obj.code === 'ERR_WEBHOOK_TOO_LARGE'), 'operators are told')
  const advice = w.logger.lines.find((l) => l.obj.code === 'ERR_WEBHOOK_TOO_LARGE')?.msg
  t.match(advice, /max_body_bytes.*--audit-webhook-truncate-enabled.*at a cost: events over 100 KiB then arrive without requestObject\/responseObject/,
    'the advice to enable truncation says what it costs')
})

t.test('a chunked body is cut off with 413 as soon as it passes the limit', async (t) => {
  const w = await startWebhook(t, { maxBodyBytes: LIMIT })
  const conn = await openRawConnection(portOf(w.url))
  t.teardown(() => conn.destroy())
  conn.write('POST /k8s-audit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n')
  const chunk = 'x'.repeat(16 * 1024)
  // 5 × 16 KiB > 64 KiB, and the terminating 0-chunk is never sent
  for (let i = 0; i < 5; i++) conn.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)
  const res = await conn.readResponse()
  t.equal(res.status, 413)
  t.equal(JSON.parse(res.body).code, 'ERR_WEBHOOK_TOO_LARGE')
  t.equal(w.bodies.length, 0)
})

t.test('a body of exactly the limit is accepted, one byte more is not', async (t) => {
  const w = await startWebhook(t, { maxBodyBytes: LIMIT })
  const json = encodeEventList([auditEvent(1)])
  const exact = json + ' '.repeat(LIMIT - Buffer.byteLength(json))
  const ok = await request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: exact })
  t.equal(ok.status, 200)
  const over = await request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: exact + ' ' })
  t.equal(over.status, 413)
})

t.test('a 413 frees its admission slot', async (t) => {
  const w = await startWebhook(t, { maxBodyBytes: LIMIT, maxInFlightBatches: 1 })
  const big = await request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(LIMIT + 1) })
  t.equal(big.status, 413)
  const ok = await request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: logLine(auditEvent(1)) })
  t.equal(ok.status, 200, 'the single slot was available again')
  t.equal(w.metrics.inFlightSeen.at(-1), 0)
})

t.test('an upload aborted by the client frees its slot', async (t) => {
  let released!: () => void
  const freed = new Promise<void>((resolve) => { released = resolve })
  const w = await startWebhook(t, { maxInFlightBatches: 1 })
  const origInFlight = w.metrics.inFlight
  w.metrics.inFlight = (n) => { origInFlight(n); if (n === 0) released() }
  const conn = await openRawConnection(portOf(w.url))
  conn.write('POST /k8s-audit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"kind":')
  // wait until the server admitted it, then hang up mid-body
  while (!w.metrics.inFlightSeen.includes(1)) await new Promise((resolve) => setImmediate(resolve))
  conn.destroy()
  await freed
  const ok = await request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: logLine(auditEvent(1)) })
  t.equal(ok.status, 200)
  t.equal(w.bodies.length, 1, 'the aborted body never reached handleBody')
})

t.test('a chunked body over the limit is reported each time it comes: without a Content-Length nothing marks it as a retry', async (t) => {
  const reports: Array<{ reason: string, status: number }> = []
  const w = await startWebhook(t, { maxBodyBytes: LIMIT }, { onUnusableBatch: (u) => { reports.push({ reason: u.reason, status: u.status }) } })
  for (let i = 0; i < 2; i++) {
    const conn = await openRawConnection(portOf(w.url))
    t.teardown(() => conn.destroy())
    conn.write('POST /k8s-audit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n')
    const chunk = 'x'.repeat(16 * 1024)
    for (let j = 0; j < 5; j++) conn.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)
    t.equal((await conn.readResponse()).status, 413)
  }
  t.same(reports, [{ reason: 'ERR_WEBHOOK_TOO_LARGE', status: 413 }, { reason: 'ERR_WEBHOOK_TOO_LARGE', status: 413 }])
})
