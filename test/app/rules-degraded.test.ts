// Degraded rules loading: a failing rules input is left out (with every input that fails only
// because it went), the rest runs, and the instance says so in logs, metrics and an internal
// alert; reloads try the full set again. Plus the first-load race: reloads wait for it.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { RULES_REJECTED_RULE } from '../../src/app/metrics/internal-alerts.ts'
import { loadDroppingFailures } from '../../src/app/rules/rules-degraded.ts'
import { loadOptionsFrom } from '../../src/app/rules/rules-manager.ts'
import { buildSources } from '../../src/app/sources.ts'
import { loadRules, type LoadResult, type RulesInput } from '../../src/rules/index.ts'
import { createRule } from './fixtures.ts'

const BROKEN_RULE = `- rule: Broken
  desc: a condition that does not parse
  condition: ka.verb=create and and
  output: "broken"
  priority: WARNING
  source: k8s_audit
`
const LIST = `- list: watched_resources
  items: [configmaps]
`
const APPEND = `- list: watched_resources
  items: [secrets]
  append: true
`

async function realLoader (): Promise<(inputs: RulesInput[]) => LoadResult> {
  const config = loadConfig({})
  const opts = loadOptionsFrom(config, await buildSources(config))
  return (inputs) => loadRules(inputs, opts)
}

t.test('dropping loop: a file appending to a list of a rejected file is dropped too; the rest loads', async (t) => {
  const load = await realLoader()
  const inputs: RulesInput[] = [
    { name: 'good.yaml', content: createRule('Good Rule') },
    { name: 'broken.yaml', content: LIST + BROKEN_RULE },
    { name: 'appends.yaml', content: APPEND },
    { name: 'also-good.yaml', content: createRule('Other Rule', 'secrets') }
  ]
  const d = loadDroppingFailures(inputs, load)
  if (!d.ok) throw new Error(`expected a degraded load, got ${d.reason}`)
  t.same(d.inputs.map((i) => i.name), ['good.yaml', 'also-good.yaml'], 'the inputs that load')
  t.same(d.ruleset.rules.map((r) => r.name), ['Good Rule', 'Other Rule'])
  t.same(d.rejected.map((r) => r.name), ['broken.yaml', 'appends.yaml'], 'rejected, in input order')
  t.match(d.rejected[0]?.errors, [{ code: 'LOAD_ERR_COMPILE_CONDITION', location: { file: 'broken.yaml', pos: { line: 5, col: 33 } } }])
  t.match(d.rejected[1]?.errors, [{ code: 'LOAD_ERR_VALIDATE', location: { file: 'appends.yaml', pos: { line: 1, col: 3 } } }], 'failed only once its list was gone')
})

t.test('dropping loop: a set that loads is returned whole', async (t) => {
  const load = await realLoader()
  const d = loadDroppingFailures([{ name: 'a.yaml', content: LIST }, { name: 'b.yaml', content: APPEND + createRule('Good Rule') }], load)
  t.match(d, { ok: true, rejected: [] })
})

t.test('dropping loop: an error naming no input fails without dropping anything', async (t) => {
  const calls: string[][] = []
  const noFile: LoadResult = { ok: false, errors: [{ code: 'LOAD_ERR_VALIDATE', severity: 'error', message: 'somewhere' }], warnings: [] }
  const d = loadDroppingFailures([{ name: 'a.yaml', content: '' }, { name: 'b.yaml', content: '' }], (inputs) => { calls.push(inputs.map((i) => i.name)); return noFile })
  t.match(d, { ok: false, reason: 'unattributed', full: noFile })
  t.same(calls, [['a.yaml', 'b.yaml']], 'one load, nothing retried')

  const otherFile: LoadResult = { ok: false, errors: [{ code: 'LOAD_ERR_VALIDATE', severity: 'error', message: 'x', location: { file: 'elsewhere.yaml' } }], warnings: [] }
  t.match(loadDroppingFailures([{ name: 'a.yaml', content: '' }], () => otherFile), { ok: false, reason: 'unattributed' }, 'a file outside the set counts as unattributed')
})

t.test('dropping loop: nothing left is a failure carrying the full set\'s errors', async (t) => {
  const load = await realLoader()
  const d = loadDroppingFailures([{ name: 'broken.yaml', content: LIST + BROKEN_RULE }, { name: 'appends.yaml', content: APPEND }], load)
  t.match(d, { ok: false, reason: 'nothing-loads', full: { ok: false, errors: [{ code: 'LOAD_ERR_COMPILE_CONDITION', location: { file: 'broken.yaml' } }] } })
})

async function setup (t: { testdir(f: Record<string, string>): string, teardown(fn: () => void): void }, files: Record<string, string>) {
  const dir = t.testdir(files)
  const config = loadConfig({ rules: [dir], overrides: ['json_output=true', 'watch_config_files=false'] })
  const alertsOut = new PassThrough()
  const alerts: Array<Record<string, any>> = []
  alertsOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) alerts.push(JSON.parse(l)) })
  const logOut = new PassThrough()
  const logs: Array<Record<string, any>> = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app = await buildApp(config, { stdout: alertsOut, logger: createLogger(config.log, logOut), defaultMetrics: false })
  t.teardown(() => { void app.dispatcher.close(100) })
  const metric = async (name: string): Promise<number | undefined> => {
    const m = (await app.metrics.text()).split('\n').find((l) => l.startsWith(name + ' '))
    return m === undefined ? undefined : Number(m.split(' ')[1])
  }
  const internalAlerts = async (): Promise<Array<Record<string, any>>> => {
    await app.dispatcher.flush(30_000)
    return alerts.filter((a) => a.rule === RULES_REJECTED_RULE)
  }
  return { dir, app, logs, metric, internalAlerts }
}

t.test('manager: a degraded first load runs the good files and reports the bad one everywhere', async (t) => {
  const s = await setup(t, { 'a-good.yaml': createRule('Good Rule'), 'b-broken.yaml': LIST + BROKEN_RULE, 'c-appends.yaml': APPEND })
  const broken = path.join(s.dir, 'b-broken.yaml')
  const appends = path.join(s.dir, 'c-appends.yaml')

  const res = await s.app.rules.load({ degraded: true })
  t.equal(res.ok, true)
  t.same(res.rejected.map((r) => r.name), [broken, appends])
  t.same(s.app.rules.current()?.rules.map((r) => r.name), ['Good Rule'])
  t.equal(await s.metric('lanner_rules_rejected_inputs'), 2)

  const errors = s.logs.filter((l) => l.msg === 'rules input rejected: running without it')
  t.match(errors, [
    { level: 50, input: broken, code: 'LOAD_ERR_COMPILE_CONDITION', error: `${broken}:5:33: LOAD_ERR_COMPILE_CONDITION: ` },
    { level: 50, input: appends, code: 'LOAD_ERR_VALIDATE', error: `${appends}:1:3: LOAD_ERR_VALIDATE: ` }
  ], 'every error at error level with file:line:col and code')

  const alerts = await s.internalAlerts()
  t.equal(alerts.length, 2, 'one internal alert per rejected input')
  t.match(alerts[0], { source: 'internal', priority: 'Error', output_fields: { rules_file: broken, error_code: 'LOAD_ERR_COMPILE_CONDITION' } })
  t.match(alerts[0]?.output, `${broken} is not loaded`)

  // a reload that still fails the same way: still degraded, no new alert
  t.equal(await s.app.rules.reload('test'), true)
  t.equal((await s.internalAlerts()).length, 2, 'the same rejection is not alerted again')

  // the fix comes back with the full set
  writeFileSync(broken, LIST + createRule('Was Broken', 'configmaps'))
  t.equal(await s.app.rules.reload('fixed'), true)
  t.same(s.app.rules.current()?.rules.map((r) => r.name), ['Good Rule', 'Was Broken'])
  t.same(s.app.rules.rejected(), [])
  t.equal(await s.metric('lanner_rules_rejected_inputs'), 0)
  t.match(s.logs.at(-1), { msg: 'rules reloaded', recovered: true })
})

t.test('manager: fixing one file while another is still broken brings the fixed one back', async (t) => {
  const s = await setup(t, { 'a-good.yaml': createRule('Good Rule'), 'b-broken.yaml': BROKEN_RULE, 'c-broken.yaml': BROKEN_RULE.replace('Broken', 'Broken Too') })
  t.equal((await s.app.rules.load({ degraded: true })).rejected.length, 2)
  writeFileSync(path.join(s.dir, 'b-broken.yaml'), createRule('Fixed B', 'secrets'))
  t.equal(await s.app.rules.reload('b fixed'), true)
  t.same(s.app.rules.current()?.rules.map((r) => r.name), ['Good Rule', 'Fixed B'])
  t.same(s.app.rules.rejected().map((r) => path.basename(r.name)), ['c-broken.yaml'])
  t.equal(await s.metric('lanner_rules_rejected_inputs'), 1)
  t.match(s.logs.find((l) => l.msg === 'rules reloaded without the rejected inputs'), { level: 40, reason: 'b fixed' })
})

t.test('manager: a healthy instance never becomes degraded by a reload; strict load fails', async (t) => {
  const s = await setup(t, { 'a-good.yaml': createRule('Good Rule') })
  t.equal((await s.app.rules.load({ degraded: true })).ok, true)
  const good = s.app.rules.current()
  writeFileSync(path.join(s.dir, 'b-broken.yaml'), BROKEN_RULE)
  t.equal(await s.app.rules.reload('new broken file'), false, 'rejected as before')
  t.equal(s.app.rules.current(), good, 'the running rules stay')
  t.equal(await s.metric('lanner_rules_rejected_inputs'), 0)
  t.equal((await s.internalAlerts()).length, 0, 'a rejected reload is not a rejected input')

  const strict = await setup(t, { 'a-good.yaml': createRule('Good Rule'), 'b-broken.yaml': BROKEN_RULE })
  const res = await strict.app.rules.load()
  t.match(res, { ok: false, rejected: [], errors: [{ code: 'LOAD_ERR_COMPILE_CONDITION' }] }, 'load() without degraded stays strict (replay)')
  t.equal(strict.app.rules.current(), undefined)
})

t.test('manager: nothing loadable keeps the failure', async (t) => {
  const s = await setup(t, { 'b-broken.yaml': BROKEN_RULE })
  const res = await s.app.rules.load({ degraded: true })
  t.match(res, { ok: false, rejected: [], errors: [{ code: 'LOAD_ERR_COMPILE_CONDITION' }] })
  t.equal(s.app.rules.current(), undefined)
})

t.test('race: a reload requested while the first load is installing runs after it, once', async (t) => {
  const s = await setup(t, { 'a-good.yaml': createRule('File Rule') })
  const events: string[] = []
  let active = 0
  let maxActive = 0
  let release!: () => void
  const blocked = new Promise<void>((resolve) => { release = resolve })
  let reloads: Array<Promise<boolean>> = []
  s.app.rules.onInstall(async function slowListener (inputs) {
    active++
    maxActive = Math.max(maxActive, active)
    events.push(`install ${inputs.map((i) => path.basename(i.name)).join(',')}`)
    if (events.length === 1) {
      // the ConfigMap changes while the first load is handing its ruleset to the listeners
      s.app.rules.setExtraInputs('configmap:lanner/custom', [{ name: 'configmap:lanner/custom/cm.yaml', content: createRule('ConfigMap Rule', 'secrets') }])
      reloads = [s.app.rules.reload('configmap changed'), s.app.rules.reload('configmap changed again')]
      await blocked
    }
    active--
  })
  const loading = s.app.rules.load({ degraded: true }).then((r) => { events.push('load resolved'); return r })
  await new Promise((resolve) => setImmediate(resolve))
  release()
  t.equal((await loading).ok, true)
  t.same(await Promise.all(reloads), [true, true])
  t.same(events, ['install a-good.yaml', 'load resolved', 'install a-good.yaml,cm.yaml'], 'one reload, after the load')
  t.equal(maxActive, 1, 'installs never overlap, so listeners (eval workers) end on the latest set')
  t.same(s.app.rules.current()?.rules.map((r) => r.name), ['File Rule', 'ConfigMap Rule'])
  t.equal(await s.metric('lanner_rules_reloads_total'), 1)
})

t.test('race: a reload requested before the first load waits for it', async (t) => {
  const s = await setup(t, { 'a-good.yaml': createRule('File Rule') })
  const order: string[] = []
  const early = s.app.rules.reload('early').then((ok) => { order.push('reload'); return ok })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(s.app.rules.current(), undefined, 'nothing installed by the early reload on its own')
  await s.app.rules.load({ degraded: true }).then(() => { order.push('load') })
  t.equal(await early, true)
  t.same(order, ['load', 'reload'])
  t.match(s.logs.find((l) => l.msg === 'rules reloaded'), { reason: 'early (requested during the first load)' })
})
