// The event pump (src/app/event-pump.ts) over a real loaded ruleset and real metrics: a batch
// keeps the ruleset it began with, each event's alerts reach emit, a step that throws costs that
// one event (counted and reported), and a batch is counted once.
import t from 'tap'
import { decodeAuditPayload, type AuditEvent, type TruncationTally } from '../../src/audit/index.ts'
import { createAuditPump } from '../../src/app/audit-mode/audit-handler.ts'
import { EventPump, recordBatchMetrics, type PumpBatch } from '../../src/app/event-pump.ts'
import { createMetrics } from '../../src/app/metrics/metrics.ts'
import type { Alert } from '../../src/events/index.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import { loadRules, type Ruleset } from '../../src/rules/index.ts'
import { auditEvent, createRule, eventList } from './fixtures.ts'

function ruleset (...names: string[]): Ruleset {
  const res = loadRules([{ name: 'rules.yaml', content: names.map((n) => createRule(n)).join('') }], { sources: [k8sAuditSource] })
  if (res.ruleset === undefined) throw new Error(JSON.stringify(res.errors))
  return res.ruleset
}

function events (...items: Array<Record<string, unknown>>): AuditEvent[] {
  return decodeAuditPayload(eventList(items), { maxEventBytes: 262144 }).events
}

/** a rules holder whose current ruleset the test swaps, as a reload does */
function holder (rs: Ruleset | undefined): { current(): Ruleset | undefined, set(r: Ruleset | undefined): void } {
  let now = rs
  return { current () { return now }, set (r) { now = r } }
}

t.test('a batch keeps the ruleset current at begin(); the next batch takes the new one', async (t) => {
  const rules = holder(ruleset('First'))
  const alerts: Alert[] = []
  const pump = createAuditPump({ rules, emit: (a) => { alerts.push(a) } })
  const evs = events(auditEvent({ name: 'a' }), auditEvent({ name: 'b' }), auditEvent({ verb: 'get' }))
  const batch = pump.begin() as PumpBatch<TruncationTally>
  t.equal(pump.feed(batch, evs[0] as AuditEvent), 1, 'feed answers the alert count')
  rules.set(ruleset('Second'))
  t.equal(pump.feed(batch, evs[1] as AuditEvent), 1)
  t.equal(pump.feed(batch, evs[2] as AuditEvent), 0, 'a get matches no create rule')
  pump.end(batch)
  t.same(alerts.map((a) => a.rule), ['First', 'First'], 'the reload did not split the batch')
  t.match(batch, { evaluated: 3, alerts: 2, errors: 0 })
  const next = pump.run(evs.slice(0, 1))
  t.same(alerts.map((a) => a.rule), ['First', 'First', 'Second'])
  t.match(next, { evaluated: 1, alerts: 1 })
})

t.test('without a ruleset begin() and run() answer undefined and evaluate nothing', async (t) => {
  const alerts: Alert[] = []
  const pump = createAuditPump({ rules: holder(undefined), emit: (a) => { alerts.push(a) } })
  t.equal(pump.begin(), undefined)
  t.equal(pump.run(events(auditEvent())), undefined)
  t.equal(alerts.length, 0)
})

t.test('each batch gets fresh state from newState (the audit pump: a truncation tally)', async (t) => {
  const pump = createAuditPump({ rules: holder(ruleset('R')), emit: () => {} })
  const a = pump.begin() as PumpBatch<TruncationTally>
  const b = pump.begin() as PumpBatch<TruncationTally>
  t.not(a.state, b.state, 'two concurrent batches never share a tally')
  t.same(a.state, { truncated: 0, blinded: 0 })
})

t.test('end() counts the batch in the source\'s metrics; evaluated events only', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false })
  const pump = new EventPump<AuditEvent, undefined>({
    source: 'k8s_audit',
    rules: holder(ruleset('R')),
    evaluate: (rs, ev, emit) => rs.evaluate('k8s_audit', ev, emit),
    newState: () => undefined,
    emit: () => {},
    metrics
  })
  const started = process.hrtime.bigint()
  const batch = pump.run(events(auditEvent(), auditEvent({ verb: 'get' })), started)
  t.equal(batch?.started, started, 'the caller\'s start time (decoding included) is kept')
  const text = await metrics.text()
  t.match(text, /lanner_events_evaluated_total\{source="k8s_audit"\} 2/)
  t.match(text, /lanner_batches_total\{source="k8s_audit"\} 1/)
  t.match(text, /lanner_batch_evaluation_seconds_count\{source="k8s_audit"\} 1/)
  recordBatchMetrics(metrics, 'syscall', 5, process.hrtime.bigint())
  t.match(await metrics.text(), /lanner_events_evaluated_total\{source="syscall"\} 5/, 'recordBatchMetrics alone, as the pooled handler uses it')
})

t.test('a step that throws costs that event only: counted as dropped with the reason, reported with the running total', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false })
  const reported: Array<{ msg: string, ev: number, total: number }> = []
  const emitted: number[] = []
  const pump = new EventPump<number, undefined>({
    source: 'syscall',
    rules: holder(ruleset('R')),
    evaluate: function oddThrows (_rs, ev, emit) {
      if (ev % 2 === 1) throw new Error(`bad ${ev}`)
      emit({ rule: String(ev) } as unknown as Alert)
      return 1
    },
    newState: () => undefined,
    emit: (a) => { emitted.push(Number(a.rule)) },
    metrics,
    errorReason: 'enrich_error',
    onError: (err, ev, total) => { reported.push({ msg: (err as Error).message, ev, total }) }
  })
  const batch = pump.run([0, 1, 2, 3, 4]) as PumpBatch<undefined>
  t.same(emitted, [0, 2, 4], 'the events after a failure are evaluated')
  t.match(batch, { evaluated: 3, alerts: 3, errors: 2 })
  t.same(reported, [{ msg: 'bad 1', ev: 1, total: 1 }, { msg: 'bad 3', ev: 3, total: 2 }])
  pump.run([5])
  t.equal(pump.errors, 3, 'the total runs across batches')
  t.equal(reported.at(-1)?.total, 3)
  const text = await metrics.text()
  t.match(text, /lanner_events_dropped_total\{source="syscall",reason="enrich_error"\} 3/)
  t.match(text, /lanner_events_evaluated_total\{source="syscall"\} 3/, 'dropped events are not counted as evaluated')
})

t.test('without errorReason, onError or metrics a throwing step is still absorbed (reason eval_error)', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false })
  const pump = new EventPump<number, undefined>({
    source: 'k8s_audit',
    rules: holder(ruleset('R')),
    evaluate: () => { throw new Error('boom') },
    newState: () => undefined,
    emit: () => {},
    metrics
  })
  t.equal(pump.feed(pump.begin() as PumpBatch<undefined>, 1), 0)
  t.match(await metrics.text(), /lanner_events_dropped_total\{source="k8s_audit",reason="eval_error"\} 1/)
  const bare = new EventPump<number, undefined>({ source: 'x', rules: holder(ruleset('R')), evaluate: () => { throw new Error('boom') }, newState: () => undefined, emit: () => {} })
  const batch = bare.run([1, 2]) as PumpBatch<undefined>
  t.equal(batch.errors, 2, 'no metrics, no onError: counted on the batch only')
})
