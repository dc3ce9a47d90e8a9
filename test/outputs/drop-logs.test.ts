// What operators read when outputs fail or overflow, on a clock the test sets: the drop summary
// names the ten most dropped rules and counts the rest together; the rate-limited log says how
// many lines it held back.
import t from 'tap'
import { createDropTally } from '../../src/outputs/drop-tally.ts'
import { createRateLimitedLog } from '../../src/outputs/index.ts'
import { captureLogger } from './helpers.ts'

t.test('a flood across twelve rules: the summary names the ten most dropped and counts the other two together', async (t) => {
  const log = captureLogger()
  const summaries: Array<{ dropped: number, rules: Record<string, number> }> = []
  let clock = 0
  const tally = createDropTally({ logger: log, intervalMs: 10_000, queueSize: 5, now: () => clock, onSummary: (s) => summaries.push({ dropped: s.dropped, rules: s.rules }) })
  tally.add('http', [{ line: 'x', priority: 5, rule: 'first' }]) // the first drop is logged at once
  // rule r<i> drops i + 1 alerts (r0 once … r11 twelve times); r0 and r1 are the least dropped
  for (let i = 0; i < 12; i++) tally.add('http', Array.from({ length: i + 1 }, () => ({ line: 'x', priority: i === 11 ? 2 : 5, rule: `r${i}` })))
  clock = 10_000
  tally.close()
  const lines = log.lines.filter((l) => l.obj.code === 'ERR_OUTPUT_QUEUE_FULL')
  t.equal(lines.length, 2, 'the first drop at once, the rest of the interval in one line')
  t.equal(lines[0]?.msg, "output http queue full or closed: 1 alerts dropped: 1 of rule 'first' (Notice)")
  t.equal(lines[1]?.msg, "output http queue full or closed: 78 alerts dropped: 12 of rule 'r11' (Critical), 11 of rule 'r10' (Notice), " +
    "10 of rule 'r9' (Notice), 9 of rule 'r8' (Notice), 8 of rule 'r7' (Notice), 7 of rule 'r6' (Notice), 6 of rule 'r5' (Notice), " +
    "5 of rule 'r4' (Notice), 4 of rule 'r3' (Notice), 3 of rule 'r2' (Notice), 3 of 2 other rules")
  t.equal(lines[1]?.obj.dropped, 78)
  t.same(Object.keys(lines[1]?.obj.rules as object).length, 10, 'the structured field carries the named ten')
  t.same(summaries.map((s) => s.dropped), [1, 78])
})

t.test('the rate-limited log: one line per key and interval; the next one says how many were held back', async (t) => {
  const log = captureLogger()
  let clock = 0
  const rl = createRateLimitedLog(log, 1000, () => clock)
  rl.error('fail:http', { output: 'http' }, 'output http failed to deliver alerts')
  rl.error('fail:http', { output: 'http' }, 'output http failed to deliver alerts')
  rl.error('fail:http', { output: 'http' }, 'output http failed to deliver alerts')
  rl.warn('program-exit', { code: 1 }, 'program output exited')
  clock = 999
  rl.error('fail:http', { output: 'http' }, 'output http failed to deliver alerts')
  t.same(log.lines.map((l) => [l.level, l.obj]), [['error', { output: 'http' }], ['warn', { code: 1 }]], 'keys are independent')
  clock = 1000
  rl.error('fail:http', { output: 'http' }, 'output http failed to deliver alerts')
  t.same(log.lines[2], { level: 'error', obj: { output: 'http', suppressed: 3 }, msg: 'output http failed to deliver alerts' }, 'three were held back in the interval')
  clock = 5000
  rl.error('fail:http', { output: 'http' }, 'output http failed to deliver alerts')
  t.same(log.lines[3]?.obj, { output: 'http' }, 'nothing held back since: no count')
})

t.test('a dropped alert of a priority outside Falco\'s eight is named Debug, the rank its queue gave it', async (t) => {
  const log = captureLogger()
  const tally = createDropTally({ logger: log, intervalMs: 10_000, queueSize: 5, now: () => 0 })
  tally.add('file', [{ line: 'x', priority: 42, rule: 'odd' }])
  tally.close()
  t.equal(log.lines[0]?.msg, "output file queue full or closed: 1 alerts dropped: 1 of rule 'odd' (Debug)")
})
