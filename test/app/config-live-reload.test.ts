// A live config reload (watch_config_files, SIGHUP) as an operator sees it: the settings that apply
// live change what the next batch alerts (or how the alert reads); a config that no longer loads,
// or rules settings the rules cannot load with, is rejected with a coded log line and counted,
// and the running config keeps working; restart-only changes are named in one warning.
// In process over real files: falco.yaml, config_files entries and a rules file in a test dir.
import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp, type App } from '../../src/app/build.ts'
import { createAuditBatchHandler } from '../../src/app/audit-mode/audit-handler.ts'
import { startConfigWatch, type ConfigWatcher } from '../../src/app/reload/config-reload.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { until } from '../helpers/serve-child.ts'
import { auditEvent, createRule, eventList } from './fixtures.ts'

type LogLine = Record<string, unknown> & { level: number, msg: string }

// the rule is WARNING: `priority: error` filters it out, `priority: debug` keeps it
const BASE = 'rules_files: [rules.yaml]\njson_output: true\nwatch_config_files: true\nwebserver: {enabled: false}\n'

// Tests that call reload() themselves keep the file watch from reloading the same edit a second
// time meanwhile (its debounce outlasts the test); the watch tests pass a short one.
const EXPLICIT_ONLY = { signals: false, debounceMs: 600_000 }

async function setup (t: Test, extra = '', watchOpts: Parameters<typeof startConfigWatch>[1] = EXPLICIT_ONLY) {
  const dir = t.testdir({ 'rules.yaml': createRule('Config Rule'), 'falco.yaml': BASE + extra })
  const file = path.join(dir, 'falco.yaml')
  const config = loadConfig({ file })
  const alertsOut = new PassThrough()
  const alerts: Array<Record<string, any>> = []
  alertsOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) alerts.push(JSON.parse(l)) })
  const logOut = new PassThrough()
  const logs: LogLine[] = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app: App = await buildApp(config, { stdout: alertsOut, logger: createLogger(config.log, logOut), defaultMetrics: false })
  t.equal((await app.rules.load()).ok, true, 'the first rules load')
  const handle = createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })
  const watch: ConfigWatcher = startConfigWatch(app, watchOpts)
  t.teardown(async () => { watch.close(); await app.dispatcher.close(1000) })
  /** one create-configmap batch; the alerts it produced */
  async function batch (): Promise<Array<Record<string, any>>> {
    const before = alerts.length
    await handle(Buffer.from(eventList([auditEvent()])))
    await app.dispatcher.flush(30_000)
    return alerts.slice(before)
  }
  const metric = async (name: string): Promise<number> => {
    const m = (await app.metrics.text()).split('\n').find((l) => l.startsWith(name + ' '))
    return m === undefined ? 0 : Number(m.split(' ')[1])
  }
  const write = (text: string, name = 'falco.yaml'): void => { writeFileSync(path.join(dir, name), text) }
  const lines = (msg: string): LogLine[] => logs.filter((l) => l.msg === msg)
  return { app, dir, file, batch, metric, write, logs, lines, watch }
}

t.test('a config file that no longer parses is rejected with file:line:col and its code; the running config keeps alerting', async (t) => {
  const s = await setup(t)
  s.write(BASE + 'priority: [oops\n')
  t.equal(await s.watch.reload('test'), false)
  const [rejected] = s.lines('config reload rejected: the running config is kept')
  t.match(rejected, { level: 50, module: 'config', reason: 'test', code: 'ERR_CONFIG_YAML' })
  t.match(rejected?.error, new RegExp(`^${s.file}:\\d+:\\d+: ERR_CONFIG_YAML: `), 'the error names where in the file')
  t.equal(await s.metric('lanner_config_reload_failures_total'), 1)
  t.equal(await s.metric('lanner_config_reloads_total'), 0)
  t.same((await s.batch()).map((a) => a.rule), ['Config Rule'], 'the running rules still alert')

  s.write(BASE + 'priority: nonsense\n')
  t.equal(await s.watch.reload('test'), false, 'a value of the wrong shape is rejected too')
  t.match(s.lines('config reload rejected: the running config is kept')[1], { code: 'ERR_CONFIG_INVALID', error: /falco\.yaml:\d+:\d+: ERR_CONFIG_INVALID: priority: / })
  t.equal(await s.metric('lanner_config_reload_failures_total'), 2)
})

t.test('priority raised live: the rule below it stops alerting; lowered again, it alerts again', async (t) => {
  const s = await setup(t, 'priority: debug\n')
  t.equal((await s.batch()).length, 1)
  s.write(BASE + 'priority: error\n')
  t.equal(await s.watch.reload('test'), true)
  t.same(await s.batch(), [], 'the WARNING rule is below the new minimum')
  t.match(s.lines('config reloaded')[0], { level: 30, reason: 'test', rules: true, format: false, metrics: false, logLevel: false })
  t.match(s.lines('rules reloaded')[0], { reason: 'test: rules settings changed', active: 0 })
  t.equal(await s.metric('lanner_config_reloads_total'), 1)
  t.equal(s.app.config.minPriority, 3, 'the running config says what runs (error = 3)')
  s.write(BASE + 'priority: debug\n')
  t.equal(await s.watch.reload('test'), true)
  t.same((await s.batch()).map((a) => a.rule), ['Config Rule'])
  t.equal(s.lines('config reloaded').length, 2)
})

t.test('rules settings the rules cannot load with are rejected, and the previous settings stay for later rules reloads', async (t) => {
  const s = await setup(t)
  s.write(BASE + 'append_output: [{extra_output: "%no.such.field"}]\n')
  t.equal(await s.watch.reload('test'), false)
  t.match(s.lines('rules reload rejected: the previous rules keep running')[0], { errors: [/rules\.yaml:\d+:\d+: LOAD_ERR_COMPILE_OUTPUT: append_output/] })
  const [rejected] = s.lines('config reload rejected: the running config is kept')
  t.match(rejected, { level: 50, code: 'ERR_CONFIG_INVALID', error: /falco\.yaml: ERR_CONFIG_INVALID: .*rules do not load with the new settings/ })
  t.equal(await s.metric('lanner_config_reload_failures_total'), 1)
  t.same(s.app.config.appendOutput, [], 'the running config keeps its append_output')
  // were the rejected settings left in the rules manager, this reload of unchanged rules would fail
  t.equal(await s.app.rules.reload('rules file changed'), true, 'a later rules reload uses the running settings')
  const [alert] = await s.batch()
  t.match(alert?.output, /Warning Config Rule fired \(user=alice name=cm1\)$/, 'no extra output was appended')
})

t.test('static_fields and the JSON layout change live: the next alert carries them', async (t) => {
  const s = await setup(t)
  const [before] = await s.batch()
  t.ok(Array.isArray(before?.tags), 'tags are in the JSON by default')
  s.write(BASE + 'static_fields: {cluster: prod-eu}\nappend_output: [{extra_fields: [static.cluster]}]\njson_include_tags_property: false\n')
  t.equal(await s.watch.reload('test'), true)
  t.match(s.lines('config reloaded')[0], { rules: true, format: true })
  const [after] = await s.batch()
  t.equal(after?.output_fields?.['static.cluster'], 'prod-eu', 'the new static field reaches the alert')
  t.notOk('tags' in (after ?? {}), 'json_include_tags_property: false drops tags from the next alert')
})

t.test('with evaluation workers the rules settings apply live too: the rules are reloaded with them, no restart asked', async (t) => {
  // (the workers compile each installed ruleset with the options it was loaded with:
  // test/app/eval-worker-protocol.test.ts, and end to end test/integration/serve-workers.test.ts)
  const s = await setup(t, 'lanner: {eval_workers: 2}\n')
  const installed: number[] = []
  s.app.rules.onInstall(async (_inputs, opts) => { installed.push(opts.minPriority ?? -1) })
  s.write(BASE + 'lanner: {eval_workers: 2}\npriority: error\n')
  t.equal(await s.watch.reload('test'), true)
  t.equal(s.logs.filter((l) => l.msg.startsWith('config changed in settings that apply only at start')).length, 0, 'no restart asked')
  t.equal(s.app.config.minPriority, 3, 'the running config says error')
  t.equal(s.lines('rules reloaded').length, 1, 'the rules were reloaded with it')
  t.same(installed, [3], 'and installed with priority error: what the workers are given')
})

t.test('restart-only settings are named in one warning and left as they run', async (t) => {
  const s = await setup(t)
  s.write(BASE.replace('webserver: {enabled: false}', 'webserver: {enabled: false, listen_port: 9999}') + 'lanner: {rules_strict: true}\n')
  t.equal(await s.watch.reload('test'), true)
  const warns = s.logs.filter((l) => l.level === 40 && l.msg.startsWith('config changed in settings that apply only at start'))
  t.equal(warns.length, 1)
  t.same(warns[0]?.keys, ['webserver', 'lanner.rules_strict'])
  t.equal(s.app.config.admin.port, 8765, 'the admin port is the one it started with')
  t.equal(s.app.config.rulesStrict, false)
})

t.test('log_level applies live; log_stderr: false stays silent whatever the level', async (t) => {
  const s = await setup(t)
  t.equal(s.app.logger.level, 'info')
  s.write(BASE + 'log_level: debug\n')
  t.equal(await s.watch.reload('test'), true)
  t.equal(s.app.logger.level, 'debug')
  t.match(s.lines('config reloaded')[0], { logLevel: true })

  const q = await setup(t, 'log_stderr: false\n')
  q.write(BASE + 'log_stderr: false\nlog_level: debug\n')
  t.equal(await q.watch.reload('test'), true)
  t.equal(q.app.logger.level, 'silent')
  t.same(q.logs, [], 'not one line')
})

t.test('a new config warning is logged once, not at every reload', async (t) => {
  const s = await setup(t)
  s.write(BASE + 'not_a_falco_key: 1\n')
  t.equal(await s.watch.reload('first'), true)
  t.equal(await s.watch.reload('second'), true)
  const warned = s.logs.filter((l) => l.msg === "config key 'not_a_falco_key' is not used by Lanner and is ignored")
  t.equal(warned.length, 1)
  t.match(warned[0], { level: 40, file: s.file })
})

t.test('a config_files entry added by a reload is watched from then on', async (t) => {
  const s = await setup(t, '', { signals: false, debounceMs: 50 })
  s.write('priority: debug\n', 'extra.yaml')
  s.write(BASE + 'config_files: [extra.yaml]\n')
  t.equal(await s.watch.reload('test'), true)
  t.same(s.app.config.loadedConfigFiles, [s.file, path.join(s.dir, 'extra.yaml')])
  t.equal((await s.batch()).length, 1)
  // no explicit reload from here: the watch must see the edit
  s.write('priority: error\n', 'extra.yaml')
  // (the watch may also reload the earlier falco.yaml edit: wait for the state, not for a line)
  await until(() => s.app.config.minPriority === 3, 'the reload the edit of extra.yaml triggers')
  t.ok(s.lines('config reloaded').some((l) => l.reason === 'config files changed'), 'logged as a watch reload')
  t.same(await s.batch(), [], 'the edited config_files entry applies')
})

t.test('SIGHUP re-reads the config', async (t) => {
  const s = await setup(t, '', { debounceMs: 600_000 })
  s.write(BASE + 'priority: error\n')
  process.kill(process.pid, 'SIGHUP')
  await until(() => s.lines('config reloaded').some((l) => l.reason === 'SIGHUP'), 'the reload on SIGHUP')
  t.same(await s.batch(), [])
})

t.test('closing the watch while a reload that re-arms it is running leaves no file watch behind', async (t) => {
  const watches = (): number => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length
  const s = await setup(t)
  s.write('priority: debug\n', 'extra.yaml')
  s.write(BASE + 'config_files: [extra.yaml]\n')
  // the reload runs after close(): it applies the new config_files list, which re-arms the watch
  const pending = s.watch.reload('edit before shutdown')
  s.watch.close()
  t.equal(await pending, true)
  t.same(s.app.config.loadedConfigFiles, [s.file, path.join(s.dir, 'extra.yaml')])
  await until(() => watches() === 0, 'the closed watch to release its file watches')
  t.equal(watches(), 0, 'no file watch was armed again after close')
})

t.test('a warning of the config the instance started with is logged at start and not repeated by reloads', async (t) => {
  const s = await setup(t, 'not_a_falco_key: 1\n')
  const warned = (): LogLine[] => s.logs.filter((l) => l.msg === "config key 'not_a_falco_key' is not used by Lanner and is ignored")
  t.match(warned(), [{ level: 40, file: s.file }], 'logged once at start')
  s.write(BASE + 'not_a_falco_key: 1\npriority: error\n')
  t.equal(await s.watch.reload('test'), true)
  t.equal(warned().length, 1, 'not again at the reload')
})
