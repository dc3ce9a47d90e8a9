// A falco.yaml whose YAML aliases expand without bound (a "billion laughs" document: each alias
// list repeats the one before nine times) is a config error like any other bad YAML: at start,
// ConfigError ERR_CONFIG_YAML naming the file (it was a bare ReferenceError from the yaml library,
// which `lanner serve` printed as a crash with a stack trace); as a live edit, a rejected reload
// (app/reload/config-reload.ts) with that code, the running config kept and still alerting.
import t from 'tap'
import path from 'node:path'
import { writeFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { ConfigError } from '../../src/errors/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createAuditBatchHandler } from '../../src/app/audit-mode/audit-handler.ts'
import { startConfigWatch } from '../../src/app/reload/config-reload.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { auditEvent, createRule, eventList } from './fixtures.ts'

const BASE = 'rules_files: [rules.yaml]\njson_output: true\nwatch_config_files: true\nwebserver: {enabled: false}\n'
// 9^6 = 531441 strings from a 300-byte file
const ALIAS_BOMB = `laughs:
  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
`

t.test('at start: ERR_CONFIG_YAML naming the file', async (t) => {
  const file = path.join(t.testdir({ 'falco.yaml': BASE + ALIAS_BOMB }), 'falco.yaml')
  const err = (() => { try { loadConfig({ file }); return undefined } catch (e) { return e } })()
  t.type(err, ConfigError)
  t.match(err, { code: 'ERR_CONFIG_YAML', message: /aliases \(\*name\) expand to too many values/, location: { file } })
})

t.test('as a live edit: the reload is rejected with ERR_CONFIG_YAML, counted, and the running config keeps alerting', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('Config Rule'), 'falco.yaml': BASE })
  const file = path.join(dir, 'falco.yaml')
  const config = loadConfig({ file })
  const alertsOut = new PassThrough()
  const alerts: Array<Record<string, unknown>> = []
  alertsOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) alerts.push(JSON.parse(l)) })
  const logOut = new PassThrough()
  const logs: Array<Record<string, unknown>> = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app = await buildApp(config, { stdout: alertsOut, logger: createLogger({ ...config.log, format: 'json' }, logOut), defaultMetrics: false })
  t.equal((await app.rules.load()).ok, true)
  // reloads asked for by the test only (the file watch's debounce outlasts it)
  const watch = startConfigWatch(app, { signals: false, debounceMs: 600_000 })
  t.teardown(async () => { watch.close(); await app.dispatcher.close(1000) })

  writeFileSync(file, BASE + ALIAS_BOMB)
  t.equal(await watch.reload('test'), false)
  const rejected = logs.find((l) => l.msg === 'config reload rejected: the running config is kept')
  t.match(rejected, { level: 50, module: 'config', reason: 'test', code: 'ERR_CONFIG_YAML' })
  t.match(rejected?.error, new RegExp(`^${file.replace(/[.]/g, '\\.')}: ERR_CONFIG_YAML: .*expand to too many values`))
  t.match(await app.metrics.text(), /^lanner_config_reload_failures_total 1$/m)
  t.equal(app.config, config, 'the running config is kept')

  await createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })(Buffer.from(eventList([auditEvent()])))
  await app.dispatcher.flush(30_000)
  t.match(alerts, [{ rule: 'Config Rule' }], 'still alerting with the running config')
})
