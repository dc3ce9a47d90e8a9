// Overload: with maxInFlightBatches batches being received or evaluated, the next one is answered
// 429 with Retry-After at once (it never waits for a slot), and kube-apiserver's retries deliver it.
import t from 'tap'
import { auditEvent, createApiserverClient, encodeEventList, request } from '../helpers/apiserver-client.ts'
import { decodeForTest, deferred, startWebhook } from './fakes.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }

t.test('above maxInFlightBatches, 429 with Retry-After is answered while the others are still evaluating', async (t) => {
  const gate = deferred()
  const bothIn = deferred()
  let started = 0
  const w = await startWebhook(t, { maxInFlightBatches: 2, retryAfterSeconds: 7 }, {
    async handleBody (body) {
      if (++started === 2) bothIn.resolve()
      await gate.promise
      return decodeForTest(body)
    }
  })
  const body = encodeEventList([auditEvent(1)])
  const slow = [1, 2].map(() => request(w.url, { method: 'POST', headers: JSON_HEADERS, body }))
  await bothIn.promise
  // both slots are held by batches blocked in handleBody: this answer cannot wait for them
  const third = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body })
  t.equal(third.status, 429)
  t.equal(third.headers['retry-after'], '7')
  t.match(JSON.parse(third.body), { statusCode: 429, code: 'ERR_WEBHOOK_OVERLOADED' })
  t.equal(started, 2, 'the refused batch never reached handleBody')
  gate.resolve()
  const answers = await Promise.all(slow)
  t.same(answers.map((a) => a.status), [200, 200], 'the admitted batches finish normally')
  const after = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body })
  t.equal(after.status, 200, 'slots are free again')
  t.same(w.metrics.answered.filter((s) => s === 429), [429], '429 counted by status')
  t.ok(w.logger.lines.some((l) => l.level === 'warn' && l.obj.code === 'ERR_WEBHOOK_OVERLOADED'), 'overload is logged')
})

t.test('an apiserver-like client pushed back with 429 delivers every event by retrying', async (t) => {
  // The first batches block until the server has refused at least one: then everything flows.
  const firstRefusal = deferred()
  const w = await startWebhook(t, { maxInFlightBatches: 2, retryAfterSeconds: 1 }, {
    onAnswer (status) { if (status === 429) firstRefusal.resolve() },
    async handleBody (body) {
      await firstRefusal.promise
      return decodeForTest(body)
    }
  })
  const client = createApiserverClient({ url: w.url, initialBackoffMs: 5, retryAfterSecondMs: 5 })
  t.teardown(() => client.close())
  const events = Array.from({ length: 2000 }, (_, i) => auditEvent(i))
  const outcomes = await client.send(events)
  t.equal(outcomes.length, 5, '2000 events in EventLists of at most 400')
  t.ok(outcomes.every((o) => o.events <= 400))
  t.ok(outcomes.every((o) => o.delivered), 'every batch delivered')
  const exchanges = outcomes.flatMap((o) => o.attempts.flatMap((a) => a.exchanges))
  t.ok(exchanges.some((x) => x.status === 429), 'some requests were pushed back')
  t.ok(exchanges.filter((x) => x.status === 429).every((x) => x.retryAfter === '1'), 'every 429 carries Retry-After')
  t.ok(outcomes.every((o) => o.attempts.length === 1), 'client-go\'s Retry-After loop delivered each batch within its first attempt')
  t.equal(w.metrics.accepted, 2000, 'each event evaluated exactly once')
  t.equal(w.bodies.length, 5, 'refused attempts never reached handleBody')
})

t.test('a batch that failed evaluation (500) is retried and delivered: nothing answered 200 is lost', async (t) => {
  let calls = 0
  const w = await startWebhook(t, {}, {
    async handleBody (body) {
      if (++calls === 1) throw new Error('outputs not ready')
      return decodeForTest(body)
    }
  })
  const client = createApiserverClient({ url: w.url, initialBackoffMs: 1 })
  t.teardown(() => client.close())
  const [outcome] = await client.send(Array.from({ length: 10 }, (_, i) => auditEvent(i)))
  t.same(outcome?.attempts.map((a) => a.status), [500, 200])
  t.equal(w.metrics.accepted, 10)
})

t.test('the apiserver gives a batch up after its attempts: what the 2xx-only-after-evaluation rule protects against', async (t) => {
  const w = await startWebhook(t, {}, { handleBody: async () => { throw new Error('down') } })
  const client = createApiserverClient({ url: w.url, initialBackoffMs: 1 })
  t.teardown(() => client.close())
  const [outcome] = await client.send([auditEvent(1)])
  t.equal(outcome?.delivered, false)
  t.same(outcome?.attempts.map((a) => a.status), [500, 500, 500, 500, 500])
})
