// Live rules reload: a valid new ruleset replaces the old one between batches (file watch and
// SIGHUP); an invalid one is rejected, logged and counted, and the old rules keep running.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp, type App } from '../../src/app/build.ts'
import { createAuditBatchHandler } from '../../src/app/audit-mode/audit-handler.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { startReloadTriggers } from '../../src/app/reload/reload.ts'
import { auditEvent, createRule, eventList } from './fixtures.ts'

async function until (check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const start = Date.now()
  while (!(await check())) {
    if (Date.now() - start > 60_000) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function setup (t: { testdir(f: Record<string, string>): string }, watch: boolean) {
  const dir = t.testdir({ 'rules.yaml': createRule('Version One') })
  const rulesFile = path.join(dir, 'rules.yaml')
  const config = loadConfig({ rules: [rulesFile], overrides: ['json_output=true', `watch_config_files=${watch}`, 'log_level=debug'] })
  const alertsOut = new PassThrough()
  const alerts: string[] = []
  alertsOut.on('data', (b: Buffer) => alerts.push(...b.toString().trimEnd().split('\n')))
  const logOut = new PassThrough()
  const logs: Array<Record<string, unknown>> = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app: App = await buildApp(config, { stdout: alertsOut, logger: createLogger(config.log, logOut), defaultMetrics: false })
  const loaded = await app.rules.load()
  const handle = createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })
  /** post one batch and return the rule names of the alerts it produced */
  async function batch (): Promise<string[]> {
    const before = alerts.length
    await handle(Buffer.from(eventList([auditEvent()])))
    await app.dispatcher.flush(30_000)
    return alerts.slice(before).map((l) => JSON.parse(l).rule)
  }
  const metric = async (name: string): Promise<number> => {
    const m = (await app.metrics.text()).split('\n').find((l) => l.startsWith(name + ' '))
    return m === undefined ? 0 : Number(m.split(' ')[1])
  }
  return { app, loaded, rulesFile, batch, logs, metric }
}

t.test('file changes reload the rules; an invalid file keeps the old rules running', async (t) => {
  const s = await setup(t, true)
  t.equal(s.loaded.ok, true)
  const triggers = startReloadTriggers(s.app, { signals: false })
  t.teardown(() => { triggers.close(); void s.app.dispatcher.close(100) })
  t.same(await s.batch(), ['Version One'])

  const first = s.app.rules.current()
  writeFileSync(s.rulesFile, createRule('Version Two'))
  await until(() => s.app.rules.current() !== first, 'reload after the file changed')
  t.same(await s.batch(), ['Version Two'], 'the new ruleset evaluates the next batch')
  t.equal(await s.metric('lanner_rules_reloads_total'), 1)

  const second = s.app.rules.current()
  writeFileSync(s.rulesFile, createRule('Broken', 'configmaps', ' and ka.nonexistent.field=1'))
  await until(async () => await s.metric('lanner_rules_reload_failures_total') === 1, 'the rejected reload to be counted')
  t.equal(s.app.rules.current(), second, 'the old ruleset is kept')
  t.same(await s.batch(), ['Version Two'], 'and keeps producing alerts')
  const rejected = s.logs.find((l) => l.msg === 'rules reload rejected: the previous rules keep running')
  t.ok(rejected, 'the rejection is logged')
  t.match((rejected?.errors as string[])[0], /rules\.yaml:\d+:\d+: LOAD_ERR/, 'with file:line:col and a code')

  writeFileSync(s.rulesFile, createRule('Version Three'))
  await until(() => s.app.rules.current() !== second, 'recovery after the file was fixed')
  t.same(await s.batch(), ['Version Three'])
})

t.test('SIGHUP reloads the rules without a file watch', async (t) => {
  const s = await setup(t, false)
  const triggers = startReloadTriggers(s.app)
  t.teardown(() => { triggers.close(); void s.app.dispatcher.close(100) })
  const first = s.app.rules.current()
  writeFileSync(s.rulesFile, createRule('After Hangup'))
  process.kill(process.pid, 'SIGHUP')
  await until(() => s.app.rules.current() !== first, 'reload on SIGHUP')
  t.same(await s.batch(), ['After Hangup'])
})

t.test('concurrent reload requests coalesce and all resolve', async (t) => {
  const s = await setup(t, false)
  t.teardown(() => { void s.app.dispatcher.close(100) })
  const results = await Promise.all([s.app.rules.reload('a'), s.app.rules.reload('b'), s.app.rules.reload('c')])
  t.same(results, [true, true, true])
  t.ok(await s.metric('lanner_rules_reloads_total') <= 2, 'at most one extra load ran for the requests that arrived meanwhile')
})

t.test('rules from ConfigMaps (extra inputs) load after the files and reload like them', async (t) => {
  const s = await setup(t, false)
  t.teardown(() => { void s.app.dispatcher.close(100) })
  s.app.rules.setExtraInputs('configmap:lanner/custom', [{ name: 'configmap:lanner/custom/extra.yaml', content: createRule('From ConfigMap') }])
  t.equal(await s.app.rules.reload('configmap changed'), true)
  t.same(await s.batch(), ['Version One'], 'rule_matching first: the file rule comes first')
  t.same(s.app.rules.current()?.rules.map((r) => r.name), ['Version One', 'From ConfigMap'])
  const good = s.app.rules.current()
  s.app.rules.setExtraInputs('configmap:lanner/custom', [{ name: 'configmap:lanner/custom/extra.yaml', content: '- rule: [broken\n' }])
  t.equal(await s.app.rules.reload('configmap changed'), false, 'a broken ConfigMap is rejected')
  t.equal(s.app.rules.current(), good, 'and the running rules stay')
})
