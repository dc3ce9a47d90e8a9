// Rules from a ConfigMap watched through the Kubernetes API (app/rules/configmap-rules.ts), in process
// against a loopback apiserver (HTTPS, bearer token, list+watch as kube-apiserver serves them),
// found through lanner.k8s.kubeconfig: the first load waits for the list and includes the
// ConfigMap's rules; an edit reloads them; a deletion keeps the last ones; a ConfigMap absent at
// start loads when it is created; an API that does not answer the first list within its wait lets
// the start go on with the rules files, and the ConfigMap's rules load once it answers.
// The same through a spawned `lanner serve`: test/integration/serve-configmap.test.ts.
import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp, type App } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { k8sOptionsOf, startConfigMapRules } from '../../src/app/rules/configmap-rules.ts'
import { startFakeConfigMapApiServer, type FakeConfigMapApiServer } from '../helpers/fake-configmap-apiserver.ts'
import { kubeconfigYaml } from '../helpers/fake-apiserver.ts'
import { until } from '../helpers/serve-child.ts'
import { createRule } from './fixtures.ts'

const CM = { namespace: 'lanner', name: 'lanner-custom-rules' }
const KEY = `configmap:${CM.namespace}/${CM.name}`

type LogLine = Record<string, unknown> & { level: number, msg: string }

/** One ConfigMap rule, `Custom Rule`, its output tagged `tag`. */
function customRule (tag: string): string {
  return `- rule: Custom Rule\n  desc: rule that lives only in the ConfigMap\n  condition: ka.verb=create and ka.target.resource=configmaps\n  output: "custom ${tag} (name=%ka.target.name)"\n  priority: NOTICE\n  source: k8s_audit\n`
}

async function appOn (t: Test, api: FakeConfigMapApiServer): Promise<{ app: App, logs: LogLine[] }> {
  const dir = t.testdir({ 'base.yaml': createRule('Secret Created', 'secrets'), 'kube.yaml': kubeconfigYaml(api.url, api.token, api.caCert) })
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, `rules_files: [base.yaml]\nlanner:\n  k8s:\n    kubeconfig: kube.yaml\n    rules_configmaps: [{namespace: ${CM.namespace}, name: ${CM.name}}]\n`)
  const config = loadConfig({ file })
  const logOut = new PassThrough()
  const logs: LogLine[] = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app = await buildApp(config, { stdout: new PassThrough(), logger: createLogger({ ...config.log, format: 'json' }, logOut), defaultMetrics: false })
  t.teardown(async () => { await app.dispatcher.close(1000) })
  return { app, logs }
}

/** The text of the ConfigMap's rules the app would load now (its inputs, as the reload reads them). */
function configMapText (app: App): string | undefined {
  return app.rules.inputs()?.find((i) => i.name.startsWith(`${KEY}/`))?.content
}

function ruleNames (app: App): string[] {
  return (app.rules.current()?.rules ?? []).map((r) => r.name).sort()
}

t.test('listed before the first load, an edit reloads, a deletion keeps the last rules', { timeout: 120_000 }, async (t) => {
  const api = await startFakeConfigMapApiServer(t, CM)
  api.setData({ 'custom.yaml': customRule('v1') })
  const { app, logs } = await appOn(t, api)
  const cm = await startConfigMapRules(app, k8sOptionsOf(app))
  t.teardown(() => { cm.close() })
  t.equal(api.requests[0]?.auth, `Bearer ${api.token}`, 'the kubeconfig file\'s credentials')
  t.equal((await app.rules.load()).ok, true)
  t.same(ruleNames(app), ['Custom Rule', 'Secret Created'], 'the first load has the file rule and the ConfigMap rule')
  t.match(configMapText(app), /custom v1/)

  await api.watching()
  api.send('MODIFIED', api.setData({ 'custom.yaml': customRule('v2') }))
  await until(() => /custom v2/.test(configMapText(app) ?? '') && logs.some((l) => l.msg === 'rules reloaded' && l.reason === `${KEY} changed`), 'the reload after MODIFIED')
  t.same(ruleNames(app), ['Custom Rule', 'Secret Created'])

  api.send('DELETED', api.setData(null))
  const absent = await until(() => logs.find((l) => l.msg === 'configmap absent: its last rules stay loaded'), 'the DELETED warning')
  t.match(absent, { level: 40, configmap: KEY })
  t.match(configMapText(app), /custom v2/, 'the last rules stay')
  t.same(ruleNames(app), ['Custom Rule', 'Secret Created'])
  t.equal(logs.filter((l) => l.msg === 'rules reloaded').length, 1, 'a deletion triggers no reload')
})

t.test('absent at start: a warning, the files alone; created later: its rules load', { timeout: 120_000 }, async (t) => {
  const api = await startFakeConfigMapApiServer(t, CM)
  const { app, logs } = await appOn(t, api)
  const cm = await startConfigMapRules(app, k8sOptionsOf(app))
  t.teardown(() => { cm.close() })
  t.match(logs.find((l) => l.msg === 'configmap not found: its rules load when it is created'), { level: 40, configmap: KEY })
  t.equal((await app.rules.load()).ok, true)
  t.same(ruleNames(app), ['Secret Created'])

  await api.watching()
  api.send('ADDED', api.setData({ 'custom.yaml': customRule('new') }))
  await until(() => ruleNames(app).includes('Custom Rule'), 'the created ConfigMap\'s rules to load')
  t.match(configMapText(app), /custom new/)
})

t.test('an API refusing the first lists: the start goes on after its wait; the rules load once it answers', { timeout: 120_000 }, async (t) => {
  const api = await startFakeConfigMapApiServer(t, CM)
  api.setData({ 'custom.yaml': customRule('late') })
  // RBAC not granted yet: every list refused until the test lets them through
  let refusing = true
  const refuse = (): void => { if (refusing) api.scripted.list.push(403, 403, 403, 403) }
  refuse()
  const { app, logs } = await appOn(t, api)
  const refill = setInterval(() => { if (api.scripted.list.length < 2) refuse() }, 20)
  t.teardown(() => { clearInterval(refill) })
  const cm = await startConfigMapRules(app, k8sOptionsOf(app))
  t.teardown(() => { cm.close() })
  t.match(logs.find((l) => l.msg === 'configmaps not listed yet: starting with the rules files; they load when the API answers'), { level: 40, waitedMs: 10_000 })
  t.match(logs.find((l) => l.msg === 'configmap watch problem (retrying)'), { level: 40, configmap: KEY, err: /403/ })
  t.equal((await app.rules.load()).ok, true)
  t.same(ruleNames(app), ['Secret Created'], 'started with the rules files alone')

  refusing = false
  clearInterval(refill)
  api.scripted.list.length = 0
  await until(() => ruleNames(app).includes('Custom Rule'), 'the ConfigMap\'s rules once the API answers')
  t.match(configMapText(app), /custom late/)
})
