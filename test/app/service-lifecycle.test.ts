// The life of a serving instance (app/service.ts runService) as the operator sees it, in process
// over real files and real sockets on loopback: strict rules that fail exit 1 with every error
// printed; a degraded start serves without the broken input and says which; a taken port fails
// the start; a serving instance (with evaluation workers) answers the apiserver, reloads on
// falco.yaml edits and SIGHUP, and stops on SIGTERM with exit code 0.
import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { PassThrough, Writable } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp, type App } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { runService } from '../../src/app/service.ts'
import type { RunningMode } from '../../src/app/audit-mode/audit-mode.ts'
import { postAsApiserver } from '../helpers/apiserver-client.ts'
import { until } from '../helpers/serve-child.ts'
import { auditEvent, createRule } from './fixtures.ts'

type LogLine = Record<string, unknown> & { level: number, msg: string }

async function instance (t: Test, files: Record<string, string>, falcoYaml: string) {
  const dir = t.testdir(files)
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, falcoYaml)
  const config = loadConfig({ file })
  const logOut = new PassThrough()
  const logs: LogLine[] = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const alertsOut = new PassThrough()
  const alerts: string[] = []
  alertsOut.on('data', (b: Buffer) => alerts.push(...b.toString().trimEnd().split('\n')))
  const app: App = await buildApp(config, { stdout: alertsOut, logger: createLogger(config.log, logOut), defaultMetrics: false })
  t.teardown(async () => { await app.dispatcher.close(1000) })
  return { dir, file, app, logs, alerts }
}

const SERVE = 'json_output: true\nwebserver: {enabled: false}\nlanner: {webhook: {listen: "127.0.0.1:0"}}\n'

t.test('lanner.rules_strict: a rules error exits 1 with each error printed, before anything listens', async (t) => {
  const s = await instance(t, { 'good.yaml': createRule('Good'), 'bad.yaml': '- rule: Broken\n  condition: ka.verb=\n' },
    'rules_files: [good.yaml, bad.yaml]\nlanner: {rules_strict: true, webhook: {listen: "127.0.0.1:0"}}\nwebserver: {enabled: false}\n')
  const printed: string[] = []
  let ready = false
  const code = await runService(s.app, { onFatal: (l) => { printed.push(l) }, stopSignal: new Promise(() => {}), onReady: () => { ready = true } })
  t.equal(code, 1)
  t.equal(ready, false, 'never served')
  t.ok(printed.length > 0)
  t.ok(printed.every((l) => /bad\.yaml:\d+:\d+: LOAD_ERR_/.test(l)), 'every error names the file, line and column')
})

t.test('a degraded start serves without the broken file and names it', async (t) => {
  const s = await instance(t, { 'good.yaml': createRule('Good'), 'bad.yaml': '- rule: Broken\n  condition: ka.verb=\n' }, 'rules_files: [good.yaml, bad.yaml]\n' + SERVE)
  let stop!: (sig: string) => void
  let mode!: RunningMode
  let onReady!: () => void
  const served = new Promise<void>((resolve) => { onReady = resolve })
  const run = runService(s.app, { onFatal: (l) => { t.fail(l) }, stopSignal: new Promise((resolve) => { stop = resolve }), onReady: (m) => { mode = m; onReady() } })
  await served
  const warn = s.logs.find((l) => l.msg.startsWith('rules loaded without the rejected inputs'))
  t.match(warn, { level: 40, rejected: [path.join(s.dir, 'bad.yaml')], rules: 1 })
  const answer = await postAsApiserver(`http://127.0.0.1:${mode.port ?? 0}/k8s-audit`, [auditEvent()])
  t.equal(answer.status, 200)
  await until(() => s.alerts.some((a) => JSON.parse(a).rule === 'Good'), 'the alert of the rule that loaded')
  stop('SIGTERM')
  t.equal(await run, 0, 'exit code 0 after the stop')
})

t.test('a webhook port already taken fails the start', async (t) => {
  const taken = net.createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { taken.close() })
  const port = (taken.address() as net.AddressInfo).port
  const s = await instance(t, { 'rules.yaml': createRule('R') }, `rules_files: [rules.yaml]\nwebserver: {enabled: false}\nlanner: {webhook: {listen: "127.0.0.1:${port}"}}\n`)
  await t.rejects(runService(s.app, { onFatal: (l) => { t.fail(l) }, stopSignal: new Promise(() => {}) }), { code: 'EADDRINUSE' })
})

t.test('serving with evaluation workers: alerts, live config reload, SIGHUP, and SIGTERM ends it with 0', async (t) => {
  const yaml = (priority: string): string => `rules_files: [rules.yaml]\nwatch_config_files: true\npriority: ${priority}\njson_output: true\nwebserver: {enabled: false}\nlanner: {eval_workers: 1, webhook: {listen: "127.0.0.1:0"}}\n`
  const s = await instance(t, { 'rules.yaml': createRule('Worker Rule') }, yaml('debug'))
  let mode!: RunningMode
  let onReady!: () => void
  const serving = new Promise<void>((resolve) => { onReady = resolve })
  // no stopSignal: the service waits for SIGTERM/SIGINT itself, as `lanner serve` does
  const run = runService(s.app, { onFatal: (l) => { t.fail(l) }, onReady: (m) => { mode = m; onReady() } })
  await serving
  t.match(s.logs.find((l) => l.msg === 'audit webhook listening'), { evalWorkers: 1 })
  const url = `http://127.0.0.1:${mode.port ?? 0}/k8s-audit`
  t.equal((await postAsApiserver(url, [auditEvent()])).status, 200)
  await until(() => s.alerts.length === 1, 'the worker\'s alert')
  t.equal(JSON.parse(s.alerts[0] ?? '{}').rule, 'Worker Rule')

  // falco.yaml is watched while serving: an edit is applied without a signal
  writeFileSync(s.file, yaml('error') + 'not_a_falco_key: 1\n')
  await until(() => s.logs.some((l) => l.msg === 'config reloaded'), 'the config reload of the edit')
  t.ok(s.logs.some((l) => l.msg === "config key 'not_a_falco_key' is not used by Lanner and is ignored"), 'the unknown key is named')
  t.notOk(s.logs.some((l) => l.level === 40 && l.msg.includes('restart Lanner to apply rules, priority')), 'no restart asked: the worker follows the rules settings')
  t.equal((await postAsApiserver(url, [auditEvent()])).status, 200)
  await s.app.dispatcher.flush(30_000)
  t.equal(s.alerts.length, 1, 'the worker runs priority: error now: the WARNING rule no longer fires')

  // a SIGHUP while serving is the reload triggers', not the start-up guard's
  const before = s.logs.filter((l) => l.msg === 'rules reloaded').length
  process.emit('SIGHUP', 'SIGHUP')
  await until(() => s.logs.filter((l) => l.msg === 'rules reloaded').length > before, 'the rules reload on SIGHUP')
  t.notOk(s.logs.some((l) => l.msg.startsWith('SIGHUP during start-up')))

  process.emit('SIGTERM', 'SIGTERM')
  t.equal(await run, 0)
  t.match(s.logs.find((l) => l.msg.startsWith('shutting down')), { signal: 'SIGTERM' })
  t.match(s.logs.find((l) => l.msg === 'stopped'), { drained: true })
  const closed = net.connect(mode.port ?? 0, '127.0.0.1')
  t.equal(await new Promise<string>((resolve) => { closed.on('error', (e: NodeJS.ErrnoException) => { resolve(e.code ?? '') }); closed.on('connect', () => { closed.destroy(); resolve('connected') }) }), 'ECONNREFUSED', 'the webhook port is closed')
})

t.test('a SIGHUP during shutdown (a log rotator, say) is logged and ignored; the instance still drains and exits 0', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('Held Rule') })
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, 'rules_files: [rules.yaml]\n' + SERVE)
  const config = loadConfig({ file, overrides: ['lanner.outputs.drain_timeout_ms=120000'] })
  // a consumer that takes nothing until released: the shutdown waits in its drain, stopping
  const held: Array<() => void> = []
  let released = false
  const stdout = new Writable({ highWaterMark: 1, write (_c, _e, cb) { if (released) cb(); else held.push(cb) } })
  const release = (): void => { released = true; for (const cb of held.splice(0)) cb() }
  t.teardown(release)
  const logOut = new PassThrough()
  const logs: LogLine[] = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app = await buildApp(config, { stdout, logger: createLogger(config.log, logOut), defaultMetrics: false })
  let stop!: (sig: string) => void
  let mode!: RunningMode
  let onReady!: () => void
  const serving = new Promise<void>((resolve) => { onReady = resolve })
  const run = runService(app, { onFatal: (l) => { t.fail(l) }, stopSignal: new Promise((resolve) => { stop = resolve }), onReady: (m) => { mode = m; onReady() } })
  await serving
  t.equal((await postAsApiserver(`http://127.0.0.1:${mode.port ?? 0}/k8s-audit`, [auditEvent()])).status, 200)
  await until(() => held.length > 0, 'the alert to reach the held consumer')
  stop('SIGTERM')
  await until(() => logs.some((l) => l.msg.startsWith('shutting down')), 'the shutdown to begin')
  // the reload triggers are gone; only the service's guard stands between SIGHUP's default
  // action (the end of the process) and the alerts still draining
  t.ok(process.listenerCount('SIGHUP') > 0, 'SIGHUP is still handled')
  process.emit('SIGHUP', 'SIGHUP')
  t.match(logs.find((l) => l.msg === 'SIGHUP ignored: shutting down'), { level: 30 })
  release()
  t.equal(await run, 0)
  t.match(logs.find((l) => l.msg === 'stopped'), { drained: true }, 'the held alert was delivered')
  t.notOk(logs.some((l) => l.msg === 'rules reloaded'), 'no reload ran')
})
