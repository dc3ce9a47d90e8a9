// One bad rules file must not crash the pod: `lanner serve` with the default rules, a good custom
// file and a broken one starts with what loads, says so in the log (file:line:col and code), in
// /metrics and as an internal alert in the outputs, and takes the file back once it is fixed.
// `lanner.rules_strict: true` and `--dry-run` keep the exit 1 that CI gates on.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { DEFAULT_RULES_FILES } from '../../src/config/defaults.ts'
import { adminPort as adminPortOf, request, startServe, until, untilServing, webhookListening } from '../helpers/serve-child.ts'
import { runLanner } from './cli-child.ts'
import { startFakeConfigMapApiServer, configMapServeConfig } from '../helpers/fake-configmap-apiserver.ts'
import { kubeconfigYaml } from '../helpers/fake-apiserver.ts'
import { postAsApiserver } from '../helpers/apiserver-client.ts'
import { auditEvent, createRule } from '../app/fixtures.ts'

const BROKEN = `- rule: Secret Created
  desc: a condition that does not compile
  condition: ka.verb=create and ka.target.resource=secrets and ka.no.such.field=1
  output: "Secret Created fired (name=%ka.target.name)"
  priority: WARNING
  source: k8s_audit
`

function configFor (dir: string, extra = ''): string {
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, `
json_output: true
rules_files: ["${DEFAULT_RULES_FILES.k8s_audit}", good.yaml, custom.yaml]
watch_config_files: true
stdout_output: {enabled: false}
file_output: {enabled: true, keep_alive: true, filename: alerts.jsonl}
webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0}
plugins:
  - name: k8saudit
    open_params: "http://127.0.0.1:0/k8s-audit"
${extra}`)
  return file
}

function fileAlerts (dir: string): Array<Record<string, any>> {
  try {
    return readFileSync(path.join(dir, 'alerts.jsonl'), 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))
  } catch { return [] }
}

function gauge (metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(name + ' '))
  return line === undefined ? undefined : Number(line.split(' ')[1])
}

t.test('serve: a broken custom rules file is left out, loudly; fixing it brings its rules back', async (t) => {
  const dir = t.testdir({ 'good.yaml': createRule('ConfigMap Created'), 'custom.yaml': BROKEN })
  const custom = path.join(dir, 'custom.yaml')
  const serve = startServe(t, ['serve', '-c', configFor(dir)], { env: { FALCO_HOSTNAME: 'degraded-host' } })
  const { port } = await webhookListening(serve)
  const admin = `http://127.0.0.1:${await adminPortOf(serve)}`
  const webhook = `http://127.0.0.1:${port}/k8s-audit`

  const rejected = serve.logs.find((l) => l.msg === 'rules input rejected: running without it')
  t.match(rejected, { level: 50, input: custom, code: 'LOAD_ERR_COMPILE_CONDITION', detailCode: 'RULE_COMPILE_UNKNOWN_FIELD' }, 'logged at error level with the code')
  t.match(rejected?.error, `${custom}:3:`, 'and the position in the file')
  t.match(serve.logs.find((l) => l.msg?.startsWith('rules loaded without the rejected inputs')), { level: 40, rejected: [custom] })
  t.equal((await request(`${admin}/readyz`)).status, 200, 'ready: serving with the rules it has')
  t.equal(gauge((await request(`${admin}/metrics`)).body, 'lanner_rules_rejected_inputs'), 1)

  const internal = await until(() => fileAlerts(dir).find((a) => a.rule === 'Lanner internal: rules file rejected'), 'the internal alert in the file output')
  t.match(internal, { source: 'internal', priority: 'Error', hostname: 'degraded-host', output_fields: { rules_file: custom, error_code: 'LOAD_ERR_COMPILE_CONDITION', error_detail_code: 'RULE_COMPILE_UNKNOWN_FIELD' } })
  t.match(internal.output, `${custom} is not loaded`)

  t.equal((await postAsApiserver(webhook, [auditEvent({ name: 'cm-1' }), auditEvent({ resource: 'secrets', name: 's-1' })])).status, 200)
  await until(() => fileAlerts(dir).some((a) => a.rule === 'ConfigMap Created'), 'the alert of the good rules')
  t.notOk(fileAlerts(dir).some((a) => a.rule === 'Secret Created'), 'the broken file\'s rule is not running')

  writeFileSync(custom, createRule('Secret Created', 'secrets'))
  await untilServing(serve, () => serve.logs.some((l) => l.msg === 'rules reloaded' && l.recovered === true), 'the watcher to reload the fixed file')
  t.equal(gauge((await request(`${admin}/metrics`)).body, 'lanner_rules_rejected_inputs'), 0, 'the gauge goes back to 0')
  t.equal((await postAsApiserver(webhook, [auditEvent({ resource: 'secrets', name: 's-2' })])).status, 200)
  const fixed = await until(() => fileAlerts(dir).find((a) => a.rule === 'Secret Created'), 'the fixed rule\'s alert')
  t.match(fixed, { output_fields: { 'ka.target.name': 's-2' } })

  serve.child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null })
})

t.test('serve: a broken key of an API-watched ConfigMap is left out the same way, and comes back when edited', async (t) => {
  const CM = { namespace: 'lanner', name: 'lanner-custom-rules' }
  const api = await startFakeConfigMapApiServer(t, { ...CM, token: 'cm-reader' })
  api.setData({ 'custom.yaml': BROKEN })
  const dir = t.testdir({ 'good.yaml': createRule('ConfigMap Created'), 'kube.yaml': kubeconfigYaml(api.url, api.token) })
  const file = path.join(dir, 'lanner.yaml')
  writeFileSync(file, configMapServeConfig('good.yaml', CM))
  const key = `configmap:${CM.namespace}/${CM.name}/custom.yaml`
  const serve = startServe(t, ['serve', '-c', file], { env: { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' } })
  const { port } = await webhookListening(serve)
  const admin = `http://127.0.0.1:${await adminPortOf(serve)}`
  t.match(serve.logs.find((l) => l.msg === 'rules input rejected: running without it'), { level: 50, input: key, error: `${key}:3:` })
  t.equal(gauge((await request(`${admin}/metrics`)).body, 'lanner_rules_rejected_inputs'), 1)
  const internal = await until(() => fileAlerts(dir).find((a) => a.rule === 'Lanner internal: rules file rejected'), 'the internal alert')
  t.match(internal, { output_fields: { rules_file: key } })

  await api.watching()
  api.send('MODIFIED', api.setData({ 'custom.yaml': createRule('Secret Created', 'secrets') }))
  await untilServing(serve, () => serve.logs.some((l) => l.msg === 'rules reloaded' && l.recovered === true), 'the reload after the ConfigMap edit')
  t.equal(gauge((await request(`${admin}/metrics`)).body, 'lanner_rules_rejected_inputs'), 0)
  t.equal((await postAsApiserver(`http://127.0.0.1:${port}/k8s-audit`, [auditEvent({ resource: 'secrets', name: 's-cm' })])).status, 200)
  await until(() => fileAlerts(dir).some((a) => a.rule === 'Secret Created'), 'the ConfigMap rule\'s alert')
  serve.child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null })
})

t.test('serve with lanner.rules_strict: true exits 1 with the error', async (t) => {
  const dir = t.testdir({ 'good.yaml': createRule('ConfigMap Created'), 'custom.yaml': BROKEN })
  const serve = startServe(t, ['serve', '-c', configFor(dir, 'lanner:\n  rules_strict: true\n')])
  const exit = await serve.exited
  t.equal(exit.code, 1)
  t.match(serve.stderr(), `${path.join(dir, 'custom.yaml')}:3:`)
  t.match(serve.stderr(), 'RULE_COMPILE_UNKNOWN_FIELD')
  t.notOk(serve.logs.some((l) => l.msg === 'audit webhook listening'), 'never served')
})

t.test('serve --dry-run stays strict: the same broken file exits 1', async (t) => {
  const dir = t.testdir({ 'good.yaml': createRule('ConfigMap Created'), 'custom.yaml': BROKEN })
  const r = await runLanner(['serve', '--dry-run', '-c', configFor(dir)])
  t.equal(r.code, 1)
  t.match(r.stderr, `${path.join(dir, 'custom.yaml')}:3:`)
  t.match(r.stdout, /rules failed to load: 1 error/)
})
