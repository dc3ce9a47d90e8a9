// Syscall mode's record path (src/app/syscall-mode/syscall-records.ts): probe records as the decoder delivers
// them (built in the C ABI's layout, decoded by the real StreamDecoder), the real enricher, a real
// syscall ruleset, the app's real metrics and pino logger. Checks the counts, the alerts, the
// no-rules drop, the logged codes of records that could not be evaluated or could not update the
// tables, and the probe stats turned into drop metrics and the drop alert.
import t from 'tap'
import { createLogger } from '../../src/app/log/logger.ts'
import { createMetrics } from '../../src/app/metrics/metrics.ts'
import { createDropAlerter, DROP_RULE } from '../../src/app/metrics/internal-alerts.ts'
import { SyscallReadiness } from '../../src/app/syscall-mode/syscall-readiness.ts'
import { createProbeStatsHandler, createSyscallRecordHandler } from '../../src/app/syscall-mode/syscall-records.ts'
import type { Alert } from '../../src/events/index.ts'
import { loadRules, type Ruleset } from '../../src/rules/index.ts'
import { createEnricher, syscallSource, type Enricher, type ProbeStats, type SyscallRecord } from '../../src/syscall/index.ts'
import { StreamDecoder } from '../../src/syscall/decode.ts'
import { hello, record } from '../fixtures/syscall/records.ts'
import { lineCollector } from './fixtures.ts'

const RULE = `- rule: Shadow Opened
  desc: a read of the shadow file
  condition: evt.type = openat and evt.dir = < and fd.name = /etc/shadow
  output: "shadow opened (file=%fd.name)"
  priority: WARNING
  source: syscall
`

function syscallRules (): Ruleset {
  const res = loadRules([{ name: 'rules.yaml', content: RULE }], { sources: [syscallSource] })
  if (res.ruleset === undefined) throw new Error(JSON.stringify(res.errors))
  return res.ruleset
}

/** decoded records: openat of each path by `pid`, as the helper streams them after its HELLO */
function openats (pid: number, ...paths: string[]): SyscallRecord[] {
  const bytes = paths.map((p, i) => record({ kind: 'openat', res: 3 + i, nums: [-100, 0, 0], blobs: [p], pid, tid: pid }))
  return new StreamDecoder().push(Buffer.concat([hello(555, 0n), ...bytes])).records
}

function setup (t: { testdir(f?: Record<string, string>): string }, rules: Ruleset | undefined, enricher?: Pick<Enricher, 'enrich' | 'stateErrors'>) {
  const { stream, lines } = lineCollector()
  const log = createLogger({ level: 'debug', stderr: true, format: 'json' }, stream)
  const metrics = createMetrics({ defaultMetrics: false })
  const alerts: Alert[] = []
  const readiness = new SyscallReadiness({ staleAfterMs: 60_000, log })
  const onRecords = createSyscallRecordHandler({
    rules: { current: () => rules },
    emit: (a) => { alerts.push(a) },
    metrics,
    enricher: enricher ?? createEnricher({ scan: false, procRoot: t.testdir() }),
    readiness,
    log
  })
  const logged = (): Array<{ level: number, code?: string, msg: string, errors?: number, total?: number, type?: string, err?: string }> => lines.filter((l) => l !== '').map((l) => JSON.parse(l))
  return { onRecords, metrics, alerts, readiness, logged }
}

t.test('a batch: the source becomes ready, every record is enriched and evaluated, alerts and counts follow', async (t) => {
  const s = setup(t, syscallRules())
  t.equal(s.readiness.ready(), false)
  s.onRecords(openats(4242, '/etc/hostname', '/etc/shadow', '/tmp/x'))
  t.equal(s.readiness.ready(), true)
  t.same(s.alerts.map((a) => [a.rule, a.message]), [['Shadow Opened', 'shadow opened (file=/etc/shadow)']])
  const text = await s.metrics.text()
  t.match(text, /lanner_events_received_total\{source="syscall"\} 3/)
  t.match(text, /lanner_events_evaluated_total\{source="syscall"\} 3/)
  t.match(text, /lanner_batches_total\{source="syscall"\} 1/)
  t.notMatch(text, /lanner_events_dropped_total\{/)
  t.same(s.logged().map((l) => l.msg), ['syscall source producing events: ready'])
})

t.test('no rules installed: the batch is received and counted as dropped (no_rules), nothing evaluated', async (t) => {
  const s = setup(t, undefined)
  s.onRecords(openats(4242, '/etc/shadow', '/etc/shadow'))
  t.equal(s.alerts.length, 0)
  const text = await s.metrics.text()
  t.match(text, /lanner_events_received_total\{source="syscall"\} 2/)
  t.match(text, /lanner_events_dropped_total\{source="syscall",reason="no_rules"\} 2/)
  t.notMatch(text, /lanner_events_evaluated_total\{source="syscall"\} [1-9]/)
  t.equal(s.readiness.ready(), true, 'records flow: the source works, the rules are /readyz\'s other condition')
})

// The real enricher absorbs what a malformed record does to its tables (stateErrors) and does not
// throw; no decoded record makes it do either (fuzzed over every kind). These wrap the real one
// to stand for a defect, which is what the two reports below exist for.
function enricherWithDefect (real: Enricher, pid: number, how: 'state' | 'throw'): Pick<Enricher, 'enrich' | 'stateErrors'> {
  let extra = 0
  return {
    enrich (rec) {
      if (rec.pid === pid) {
        if (how === 'throw') throw new Error(`enrich failed for ${rec.type}`)
        extra++
      }
      return real.enrich(rec)
    },
    get stateErrors () { return real.stateErrors + extra }
  }
}

t.test('records that could not update the tables: one ERR_SYSCALL_PROBE_FAILED line per batch that had some, the events still evaluated', async (t) => {
  const s = setup(t, syscallRules(), enricherWithDefect(createEnricher({ scan: false, procRoot: t.testdir() }), 7, 'state'))
  s.onRecords([...openats(7, '/etc/shadow', '/a'), ...openats(8, '/b')])
  s.onRecords(openats(8, '/c'))
  s.onRecords(openats(7, '/d'))
  const errors = s.logged().filter((l) => l.level === 50)
  t.same(errors.map((l) => [l.code, l.errors, l.total]), [['ERR_SYSCALL_PROBE_FAILED', 2, 2], ['ERR_SYSCALL_PROBE_FAILED', 1, 3]], 'a batch without new ones logs nothing')
  t.equal(s.alerts.length, 1, 'evaluated all the same')
  t.match(await s.metrics.text(), /lanner_events_evaluated_total\{source="syscall"\} 5/)
})

t.test('a record that cannot be evaluated is dropped (enrich_error) and logged at the first and every 1000th, the rest of the batch goes on', async (t) => {
  const s = setup(t, syscallRules(), enricherWithDefect(createEnricher({ scan: false, procRoot: t.testdir() }), 9, 'throw'))
  s.onRecords([...openats(9, '/a'), ...openats(10, '/etc/shadow')])
  t.equal(s.alerts.length, 1, 'the record after the failure was evaluated')
  const many = openats(9, ...Array.from({ length: 1000 }, (_, i) => `/f${i}`))
  s.onRecords(many)
  const errors = s.logged().filter((l) => l.level === 50)
  t.same(errors.map((l) => [l.msg, l.errors, l.type]), [['event could not be evaluated', 1, 'openat'], ['event could not be evaluated', 1001, 'openat']])
  t.equal(errors[0]?.err, 'enrich failed for openat')
  const text = await s.metrics.text()
  t.match(text, /lanner_events_dropped_total\{source="syscall",reason="enrich_error"\} 1001/)
  t.match(text, /lanner_events_evaluated_total\{source="syscall"\} 1\n/)
})

function stats (over: Partial<ProbeStats>): ProbeStats {
  return { time: 1_000_000_000n, helperPid: 555, records: 10, bytes: 1000, selfEnter: 1, selfExit: 1, dropsPerCpu: [0, 0], drops: 0, dropsDelta: 0, decodeErrors: 0, restarts: 0, ...over }
}

t.test('probe stats: decode errors and ring-buffer drops become metrics by their delta; drops raise the drop alert', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false })
  const alerts: Alert[] = []
  const onStats = createProbeStatsHandler({ metrics, drops: createDropAlerter(60_000, (a) => { alerts.push(a) }) })
  onStats(stats({}))
  t.notMatch(await metrics.text(), /lanner_events_dropped_total\{/, 'a quiet report counts nothing')
  onStats(stats({ decodeErrors: 3 }))
  onStats(stats({ decodeErrors: 5, dropsPerCpu: [4, 3], drops: 7, dropsDelta: 7 }))
  onStats(stats({ decodeErrors: 5, dropsPerCpu: [4, 3], drops: 7, dropsDelta: 0 }))
  const text = await metrics.text()
  t.match(text, /lanner_events_dropped_total\{source="syscall",reason="decode_error"\} 5/, 'the running total is counted once')
  t.match(text, /lanner_events_dropped_total\{source="syscall",reason="ring_buffer_full"\} 7/)
  t.match(text, /lanner_syscall_drops_total 7/)
  t.same(alerts.map((a) => a.rule), [DROP_RULE])
  t.match(alerts[0]?.outputFields, { n_drops: 7, n_drops_per_cpu: [4, 3] })
})

t.test('the helper\'s own counts from each STATS frame go to readiness (its self-check is a sign; its record count is reported)', async (t) => {
  const metrics = createMetrics()
  const seen: Array<[number, number, number]> = []
  const onStats = createProbeStatsHandler({ metrics, drops: createDropAlerter(60_000, () => {}), readiness: { helperStats (s) { seen.push([s.records, s.selfEnter, s.selfExit]) } } })
  onStats(stats({ records: 0, selfEnter: 1, selfExit: 1 }))
  onStats(stats({ records: 1234, selfEnter: 2, selfExit: 2 }))
  t.same(seen, [[0, 1, 1], [1234, 2, 2]])
})
