// The in-flight byte budget (maxInFlightBytes): memory is bounded by the body bytes of the
// batches being received or evaluated, not only by their count. A Content-Length that would
// cross it gets 429 with Retry-After before its body is read; a chunked body gets 429
// (Connection: close) when it crosses it while arriving; a batch alone is always admitted; the
// bytes come back when the batch ends, however it ends. Over real loopback HTTP, with a
// handleBody held on a gate so the batches stay in flight.
import t from 'tap'
import http from 'node:http'
import { auditEvent, encodeEventList } from '../helpers/apiserver-client.ts'
import { decodeForTest, deferred, startWebhook, type Deferred } from './fakes.ts'

interface Answer { status: number, headers: http.IncomingHttpHeaders, body: string }

/**
 * A POST whose body is written by the caller. `length`: sent as Content-Length; without it the
 * body is chunked. Resolves with the answer, even one that comes before the body was finished.
 */
function openPost (url: string, length?: number): { req: http.ClientRequest, answer: Promise<Answer> } {
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' }
  if (length !== undefined) headers['content-length'] = length
  const req = http.request(url, { method: 'POST', headers })
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let body = ''
      res.on('data', (b: Buffer) => { body += b.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    // the server may close the connection while this side still writes the refused body
    req.on('error', (err) => { if (!req.writableEnded) req.destroy(); reject(err) })
  })
  req.flushHeaders()
  return { req, answer }
}

async function post (url: string, body: Buffer): Promise<Answer> {
  const p = openPost(url, body.length)
  p.req.end(body)
  return await p.answer
}

/** Polls a condition the server reaches asynchronously (bounded by 30 s; no timing is asserted). */
async function until (what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A body of exactly `size` bytes: one event, padded with spaces (valid JSON). */
function bodyOf (size: number, id = 1): Buffer {
  const json = encodeEventList([auditEvent(id)])
  if (json.length > size) throw new Error(`body under ${json.length} bytes asked`)
  return Buffer.from(json + ' '.repeat(size - json.length))
}

/** A webhook whose handleBody waits on `gate` for every batch; `entered` counts the calls. */
async function gatedWebhook (t: Parameters<typeof startWebhook>[0], maxInFlightBytes: number, gate: Deferred<void>) {
  const calls = { entered: 0 }
  const w = await startWebhook(t, { maxInFlightBytes, retryAfterSeconds: 5 }, {
    async handleBody (body) {
      calls.entered++
      await gate.promise
      return decodeForTest(body)
    }
  })
  const bytesNow = (): number | undefined => w.metrics.inFlightBytesSeen.at(-1)
  return { ...w, calls, bytesNow }
}

t.test('a Content-Length that would cross the budget is answered 429 before its body is read', async (t) => {
  const gate = deferred()
  const w = await gatedWebhook(t, 10_000, gate)
  const first = post(w.url, bodyOf(6000))
  await until('the first batch to be evaluating', () => w.calls.entered === 1)
  t.equal(w.bytesNow(), 6000, 'the gauge holds its Content-Length')

  // headers only: if the server waited for this body, no answer would ever come
  const second = openPost(w.url, 6000)
  const refused = await second.answer
  second.req.destroy()
  t.equal(refused.status, 429)
  t.equal(refused.headers['retry-after'], '5')
  t.match(JSON.parse(refused.body), { statusCode: 429, code: 'ERR_WEBHOOK_OVERLOADED', message: /6000 body bytes already in flight.*budget of 10000/ })
  t.ok(w.logger.lines.some((l) => l.level === 'warn' && l.obj.code === 'ERR_WEBHOOK_OVERLOADED' && l.obj.refused === 'bytes'), 'logged as a byte refusal')

  // what still fits the budget is admitted next to the first
  const fits = post(w.url, bodyOf(4000, 2))
  await until('the fitting batch to be evaluating', () => w.calls.entered === 2)
  t.equal(w.bytesNow(), 10_000, 'both batches held: exactly the budget')
  gate.resolve()
  t.same([(await first).status, (await fits).status], [200, 200])
  await until('the bytes to be released', () => w.bytesNow() === 0)
  t.equal(w.calls.entered, 2, 'the refused batch never reached handleBody')
})

t.test('a batch alone is admitted whatever the budget (up to the body limit)', async (t) => {
  const gate = deferred()
  gate.resolve()
  const w = await gatedWebhook(t, 100, gate)
  const alone = await post(w.url, bodyOf(5000))
  t.equal(alone.status, 200, 'a big batch is never refused for ever')
  t.same(JSON.parse(alone.body), { accepted: 1, rejected: 0 })
  t.equal(w.bytesNow(), 0)
  t.ok(w.metrics.inFlightBytesSeen.includes(5000), 'its bytes were counted while it was in flight')
})

t.test('a chunked body that crosses the budget while arriving is answered 429 with Connection: close', async (t) => {
  const gate = deferred()
  const w = await gatedWebhook(t, 10_000, gate)
  const first = post(w.url, bodyOf(6000))
  await until('the first batch to be evaluating', () => w.calls.entered === 1)

  const chunked = openPost(w.url)
  chunked.req.write(' '.repeat(3000))
  await until('the chunk to be counted', () => w.bytesNow() === 9000)
  chunked.req.write(' '.repeat(2000))
  const refused = await chunked.answer
  t.equal(refused.status, 429)
  t.equal(refused.headers['retry-after'], '5')
  t.equal(refused.headers.connection, 'close', 'the rest of the body is not read')
  t.match(JSON.parse(refused.body), { code: 'ERR_WEBHOOK_OVERLOADED' })
  await until('the refused body\'s bytes to be released', () => w.bytesNow() === 6000)
  t.equal(w.calls.entered, 1, 'the refused batch never reached handleBody')

  gate.resolve()
  t.equal((await first).status, 200)
  await until('all bytes to be released', () => w.bytesNow() === 0)
  // a chunked body within the budget goes through, its bytes counted as they came
  const ok = openPost(w.url)
  ok.req.end(bodyOf(7000, 3))
  t.equal((await ok.answer).status, 200)
  t.ok(w.metrics.inFlightBytesSeen.includes(7000))
  t.equal(w.bytesNow(), 0)
})

t.test('the bytes come back when the batch fails, as when it succeeds', async (t) => {
  let calls = 0
  const w = await startWebhook(t, { maxInFlightBytes: 1000 }, {
    async handleBody (body) {
      if (++calls === 1) throw new Error('evaluation failed')
      return decodeForTest(body)
    }
  })
  t.equal((await post(w.url, bodyOf(900))).status, 500)
  t.equal(w.metrics.inFlightBytesSeen.at(-1), 0, 'released after the failure')
  t.equal((await post(w.url, bodyOf(900, 2))).status, 200, 'the budget is whole again')
  t.equal(w.metrics.inFlightBytesSeen.at(-1), 0)
})
