// Falco's periodic metrics snapshot as serve runs it (app/metrics/metrics-snapshot.ts over a real app and
// real files): the "Falco internal: metrics snapshot" alert every interval when the priority lets
// Informational through; metrics.output_file written whatever the priority; an output_file that
// cannot be written logged with ERR_OUTPUT_FAILED; metrics enabled by a live config reload start
// the snapshots without a restart.
import t, { type Test } from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { startMetricsSnapshots } from '../../src/app/metrics/metrics-snapshot.ts'
import { startConfigWatch } from '../../src/app/reload/config-reload.ts'
import { until } from '../helpers/serve-child.ts'
import { createRule } from './fixtures.ts'

async function running (t: Test, falcoYaml: string) {
  const dir = t.testdir({ 'rules.yaml': createRule('R') })
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, 'rules_files: [rules.yaml]\njson_output: true\nwebserver: {enabled: false}\n' + falcoYaml)
  const config = loadConfig({ file })
  const alertsOut = new PassThrough()
  const alerts: Array<Record<string, any>> = []
  alertsOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) alerts.push(JSON.parse(l)) })
  const logOut = new PassThrough()
  const logs: Array<Record<string, unknown>> = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app = await buildApp(config, { stdout: alertsOut, logger: createLogger(config.log, logOut), defaultMetrics: false })
  t.equal((await app.rules.load()).ok, true)
  const snapshots = startMetricsSnapshots(app)
  t.teardown(async () => { snapshots.close(); await app.dispatcher.close(1000) })
  // each test stops the snapshots itself before its end: a tick after the test dir is removed
  // would write into it (output_file) while tap is deleting it
  return { dir, file, app, alerts, logs, stop: () => { snapshots.close() } }
}

const snapshotsOf = (alerts: Array<Record<string, any>>): Array<Record<string, any>> => alerts.filter((a) => a.rule === 'Falco internal: metrics snapshot')

t.test('every interval, an Informational snapshot alert through the outputs', async (t) => {
  const s = await running(t, 'priority: debug\nmetrics: {enabled: true, interval: 100ms, output_rule: true}\n')
  await until(() => snapshotsOf(s.alerts).length >= 2, 'two snapshots')
  const [first] = snapshotsOf(s.alerts)
  t.match(first, { priority: 'Informational', source: 'internal', output: /Falco metrics snapshot/, output_fields: { 'evt.source': 'k8s_audit', 'scap.engine_name': 'source_plugin' } })
  s.stop()
})

t.test('a priority above Informational keeps the alert out; output_file still gets every snapshot', async (t) => {
  // outside the test dir: an append still in flight at the end cannot race tap's removal of it
  const outDir = await mkdtemp(path.join(tmpdir(), 'lanner-metrics-file-'))
  t.teardown(async () => { await rm(outDir, { recursive: true, force: true, maxRetries: 5 }) })
  const out = path.join(outDir, 'metrics.jsonl')
  const s = await running(t, `priority: warning\nmetrics: {enabled: true, interval: 100ms, output_rule: true, output_file: ${out}}\n`)
  const lines = (): string[] => { try { return readFileSync(out, 'utf8').split('\n').filter((l) => l !== '') } catch { return [] } }
  await until(() => lines().length >= 2, 'two lines in metrics.output_file')
  const rec = JSON.parse(lines()[0] ?? '{}') as { output_fields: Record<string, unknown>, sample: number }
  t.match(rec, { sample: 1, output_fields: { 'evt.source': 'k8s_audit' } })
  t.same(snapshotsOf(s.alerts), [], 'no alert below the configured priority')
  s.stop()
})

t.test('an output_file that cannot be written is logged with ERR_OUTPUT_FAILED', async (t) => {
  // the configured file is a directory: every append fails (outside the test dir, as above)
  const outDir = await mkdtemp(path.join(tmpdir(), 'lanner-metrics-file-'))
  t.teardown(async () => { await rm(outDir, { recursive: true, force: true, maxRetries: 5 }) })
  const taken = path.join(outDir, 'taken')
  await mkdir(taken)
  const s = await running(t, `priority: warning\nmetrics: {enabled: true, interval: 100ms, output_file: ${taken}}\n`)
  await until(() => s.logs.some((l) => l.code === 'ERR_OUTPUT_FAILED'), 'the write failure to be logged')
  s.stop()
  t.match(s.logs.find((l) => l.code === 'ERR_OUTPUT_FAILED'), { level: 50, file: taken, msg: /metrics\.output_file cannot be written/ })
  t.equal(s.logs.filter((l) => l.code === 'ERR_OUTPUT_FAILED').length, 1, 'once, not at every tick')
})

t.test('metrics enabled by a live config reload start the snapshots', async (t) => {
  const s = await running(t, 'priority: debug\nwatch_config_files: true\n')
  const watch = startConfigWatch(s.app, { signals: false, debounceMs: 600_000 })
  t.teardown(() => { watch.close() })
  writeFileSync(s.file, 'rules_files: [rules.yaml]\njson_output: true\nwebserver: {enabled: false}\npriority: debug\nwatch_config_files: true\nmetrics: {enabled: true, interval: 100ms, output_rule: true}\n')
  t.equal(await watch.reload('metrics turned on'), true)
  // the disabled timer looks again every few seconds: bounded generously, awaited, not slept
  await until(() => snapshotsOf(s.alerts).length >= 1, 'the first snapshot after the reload')
  s.stop()
  t.match(snapshotsOf(s.alerts)[0], { priority: 'Informational' }, 'snapshots started without a restart')
})
