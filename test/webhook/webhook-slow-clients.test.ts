// Slow or hostile clients cannot starve the apiserver (issue 15): connections that announce a body and trickle
// it hold no batch slot and only the bytes they really sent, so the apiserver's real batches are
// answered 200 while they hang on; and once the grace period is over, each is answered 408 and
// closed for arriving slower than the minimum upload rate. Over loopback, with the webhook's real
// admission and default limits (16 batches, 256 MiB, 64 MiB bodies).
import t from 'tap'
import { auditEvent, createApiserverClient, openRawConnection, type RawConnection } from '../helpers/apiserver-client.ts'
import { startWebhook } from './fakes.ts'

const MIB = 1024 * 1024

/** Headers announcing `length` bytes, then a single byte of body: a slow-loris upload. */
async function slowUpload (port: number, length: number): Promise<RawConnection> {
  const conn = await openRawConnection(port)
  conn.write(`POST /k8s-audit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{`)
  return conn
}

t.test('20 slow uploads (16 × 100 kB, 4 × 64 MiB announced) do not keep real batches out', async (t) => {
  const w = await startWebhook(t, {
    maxBodyBytes: 64 * MIB,
    maxInFlightBatches: 16,
    maxInFlightBytes: 256 * MIB,
    // long enough for the real batches to be served first on a loaded machine (at 3 s they were
    // not always: the slow uploads were cut while the batches were still being sent)
    uploadGraceMs: 15_000
  })
  const port = Number(new URL(w.url).port)
  const slow: RawConnection[] = []
  for (let i = 0; i < 16; i++) slow.push(await slowUpload(port, 100_000))
  for (let i = 0; i < 4; i++) slow.push(await slowUpload(port, 64 * MIB))
  t.teardown(() => { for (const c of slow) c.destroy() })
  let answered = 0
  const answering = slow.map(async (c) => { const a = await c.readResponse(); answered++; return a })
  // every slow request has reached the server (its headers are counted before any check)
  while (w.metrics.received < slow.length) await new Promise((resolve) => setImmediate(resolve))
  t.equal(w.server.server.server.listening, true)

  // the apiserver's real batches (EventList items without kind) go through meanwhile
  const client = createApiserverClient({ url: w.url, batchMaxSize: 400, initialBackoffMs: 5 })
  t.teardown(() => client.close())
  const events = Array.from({ length: 1000 }, (_, i) => auditEvent(i))
  const outcomes = await client.send(events)
  t.equal(outcomes.length, 3, '1000 events in lists of at most 400')
  t.ok(outcomes.every((o) => o.delivered && o.attempts.length === 1 && o.attempts[0]?.status === 200),
    `every batch 200 on its first attempt: ${JSON.stringify(outcomes.map((o) => o.attempts.map((a) => a.status)))}`)
  t.equal(w.metrics.accepted, 1000)
  t.equal(answered, 0, 'the slow uploads were all still open while the batches were served')

  // then each slow upload is ended: 408 with Connection: close, its connection closed
  const answers = await Promise.all(answering)
  t.same(new Set(answers.map((a) => a.status)), new Set([408]))
  t.ok(answers.every((a) => a.headers.connection === 'close'))
  t.match(JSON.parse(answers[0]!.body), { code: 'ERR_WEBHOOK_UPLOAD_TOO_SLOW' })
  await Promise.all(slow.map(async (c) => { await c.closed }))
  t.ok(w.logger.lines.some((l) => l.level === 'warn' && l.obj.code === 'ERR_WEBHOOK_UPLOAD_TOO_SLOW'), 'logged (throttled)')
  t.equal(w.metrics.inFlightBytesSeen.at(-1), 0, 'the bytes they held are released')
})

t.test('10,000 bad items: one metric call per code, one throttled log line with the counts', async (t) => {
  const { decodeAuditPayload } = await import('../../src/audit/index.ts')
  const { batchOutcome } = await import('../../src/app/audit-mode/audit-handler.ts')
  const w = await startWebhook(t, {}, {
    async handleBody (body) {
      const d = decodeAuditPayload(body, { maxEventBytes: 4 * MIB })
      return batchOutcome(d.events.length, d)
    }
  })
  const items = [...Array(10_000).fill('{}'), ...Array(10).fill('5')]
  const body = '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[' + items.join(',') + ']}\n'
  // a hostile body, not the apiserver's: posted by hand
  const res = await fetch(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  t.equal(res.status, 200)
  t.same(await res.json(), { accepted: 0, rejected: 10_010 })
  t.same(w.metrics.issueCalls.sort(), [['ERR_AUDIT_NOT_OBJECT', 10], ['ERR_AUDIT_NO_TIMESTAMP', 10_000]], 'one call per code and batch')
  const warn = w.logger.lines.filter((l) => l.level === 'warn' && l.msg === 'audit batch had events that could not be used')
  t.equal(warn.length, 1)
  t.same(warn[0]?.obj.issues, { ERR_AUDIT_NO_TIMESTAMP: 10_000, ERR_AUDIT_NOT_OBJECT: 10 }, 'the log line carries counts, not 10,010 objects')
})
