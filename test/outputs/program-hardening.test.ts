// A stuck or vanishing program output is visible and bounded (issue 15): every run and write has a
// deadline, children run in their own process group and are killed with it, a kept-alive program
// that exits without reading fails its alerts instead of counting them delivered, and at shutdown
// every alert ends as exactly one of delivered / failed / dropped. Real children, real signals.
import t from 'tap'
import { PassThrough } from 'node:stream'
import { createDispatcher, createProgramChannel } from '../../src/outputs/index.ts'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { sleepers, sleepMarker } from '../helpers/sleep-marker.ts'
import { captureLogger, counters, jsonLine, makeAlert, until } from './helpers.ts'

function total (c: ReturnType<typeof counters>['c'], ch: string): number {
  return (c.delivered.get(ch) ?? 0) + (c.failed.get(ch) ?? 0) + (c.dropped.get(ch) ?? 0)
}

t.test('a per-alert program that hangs fails each alert at its deadline and leaves no process behind', async (t) => {
  const { c, hooks } = counters()
  const log = captureLogger()
  const m311 = sleepMarker()
  const ch = createProgramChannel({ program: `sleep ${m311}; true`, keepAlive: false, timeoutMs: 300 })
  const d = createDispatcher({ channels: [ch], format: jsonLine, queueSize: 100, logger: log, hooks })
  for (let i = 0; i < 3; i++) d.emit(makeAlert(i))
  // the first alert left at once (its run started), the two others wait: the depth gauge shows them
  t.equal(d.depths()[0]?.depth, 2, 'queue depth')
  await until(() => sleepers(m311).length > 0, 'the first child to run')
  t.equal(await d.flush(30_000), true, 'the queue drains: each run is bounded by its deadline')
  t.equal(c.failed.get('program'), 3)
  t.equal(c.delivered.get('program'), undefined)
  t.ok(log.lines.some((l) => l.obj.code === 'ERR_OUTPUT_FAILED' && /did not finish within 300 ms/.test(String(l.obj.err))), 'the timeout is logged')
  await until(() => sleepers(m311).length === 0, 'the timed-out children and their `sleep` to be gone')
  await d.close(1000)
})

t.test('a kept-alive program that exits without reading fails its alerts (not delivered)', async (t) => {
  const { c, hooks } = counters()
  const ch = createProgramChannel({ program: 'exit 0', keepAlive: true })
  const d = createDispatcher({ channels: [ch], format: jsonLine, queueSize: 100, logger: captureLogger(), hooks })
  for (let i = 0; i < 5; i++) {
    d.emit(makeAlert(i))
    await d.flush(30_000)
  }
  t.equal(c.delivered.get('program'), undefined, 'nothing counted as delivered')
  t.equal(c.failed.get('program'), 5)
  await d.close(1000)
})

t.test('a kept-alive program that never reads: writes time out, the child is replaced, metrics move', async (t) => {
  const { c, hooks } = counters()
  const m313 = sleepMarker()
  const ch = createProgramChannel({ program: `sleep ${m313}`, keepAlive: true, timeoutMs: 300 })
  const d = createDispatcher({ channels: [ch], format: jsonLine, queueSize: 10_000, logger: captureLogger(), hooks })
  // ~3 MB of alerts: far more than the socket buffers between us and a child that never reads
  const big = 'x'.repeat(3000)
  for (let i = 0; i < 1000; i++) d.emit(makeAlert(i, big))
  await until(() => (c.failed.get('program') ?? 0) > 0, 'a write to time out')
  await until(() => sleepers(m313).length <= 1, 'the stuck child to be killed (at most its replacement runs)')
  await d.close(200)
  t.equal(total(c, 'program'), 1000, 'every alert is delivered, failed or dropped, exactly once')
  await until(() => sleepers(m313).length === 0, 'no `sleep` left after close')
})

t.test('shutdown with runs in flight: every alert ends exactly once, no child outlives close()', async (t) => {
  const { c, hooks } = counters()
  const m317 = sleepMarker()
  const ch = createProgramChannel({ program: `sleep ${m317}`, keepAlive: false })
  const d = createDispatcher({ channels: [ch], format: jsonLine, queueSize: 100, logger: captureLogger(), hooks })
  for (let i = 0; i < 300; i++) d.emit(makeAlert(i))
  await until(() => sleepers(m317).length > 0, 'a run to start')
  t.equal(await d.close(100), false, 'the drain deadline passes')
  t.equal(total(c, 'program'), 300, `delivered + failed + dropped = 300 (${JSON.stringify([...c.failed, ...c.dropped])})`)
  // the first alert left alone at once (the queue was idle), the rest waited behind it
  t.equal(c.failed.get('program'), 1, 'the run in flight is killed and fails')
  t.equal(c.dropped.get('program'), 299, 'what never left the queue is dropped')
  // SIGKILL was sent to the group by close(); the kernel takes a moment to remove the processes
  await until(() => sleepers(m317).length === 0, 'no child left after close()')
  t.same(sleepers(m317), [], 'no child outlives close()')
})

t.test('a program failing for every alert logs one warning per interval, not one per alert', async (t) => {
  const logs = new PassThrough()
  const lines: string[] = []
  logs.on('data', (b: Buffer) => lines.push(...b.toString().trimEnd().split('\n')))
  const config = loadConfig({ overrides: ['stdout_output.enabled=false', 'program_output={enabled: true, keep_alive: false, program: "exit 1"}'] })
  const app = await buildApp(config, { logger: createLogger({ level: 'info', stderr: true }, logs), defaultMetrics: false })
  const started = Date.now()
  for (let i = 0; i < 40; i++) app.emit(makeAlert(i))
  t.equal(await app.dispatcher.flush(60_000), true)
  const elapsed = Date.now() - started
  await app.dispatcher.close(1000)
  const exits = lines.filter((l) => l.includes('program output exited'))
  // one line per 10 s interval: one when the 40 runs fit in one interval, as they do unless the
  // machine is loaded enough to stretch them past it (then one per interval begun, never one per run)
  const intervals = 1 + Math.floor(elapsed / 10_000)
  t.ok(exits.length >= 1 && exits.length <= intervals, `40 failing runs in ${elapsed} ms, ${exits.length} warning line(s) (at most ${intervals})`)
  t.match(await app.metrics.text(), /lanner_output_program_exits_total\{outcome="error"\} 40/)
  t.match(await app.metrics.text(), /lanner_output_queue_depth\{output="program"\} 0/, 'the queue depth gauge exists for the output')
})
