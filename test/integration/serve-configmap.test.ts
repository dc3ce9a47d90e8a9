// End to end: `lanner serve` reading rules from a ConfigMap through the Kubernetes API
// (`lanner.k8s.rules_configmaps`), found through a kubeconfig file, against a loopback apiserver.
// Edits reload without a restart; invalid edits are rejected with the old rules kept running;
// deleting the ConfigMap keeps its last rules, and re-creating it loads the new ones.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { adminPort as adminPortOf, request, startServe, until, untilServing, webhookListening, type ServeChild } from '../helpers/serve-child.ts'
import { startFakeConfigMapApiServer, configMapServeConfig } from '../helpers/fake-configmap-apiserver.ts'
import { kubeconfigYaml } from '../helpers/fake-apiserver.ts'
import { postAsApiserver } from '../helpers/apiserver-client.ts'
import { auditEvent, createRule } from '../app/fixtures.ts'

const CM = { namespace: 'lanner', name: 'lanner-custom-rules' }

/** One ConfigMap rule, `Custom Rule`, firing on creates of `resource`, its output tagged `tag`. */
function customRule (tag: string, resource: string): string {
  return `- rule: Custom Rule
  desc: rule that lives only in the ConfigMap
  condition: ka.verb=create and ka.target.resource=${resource}
  output: "custom ${tag} (name=%ka.target.name)"
  priority: NOTICE
  source: k8s_audit
`
}

interface Alert { rule: string, output: string, output_fields: Record<string, unknown> }

function alertsIn (file: string): Alert[] {
  let text = ''
  try { text = readFileSync(file, 'utf8') } catch { return [] }
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Alert)
}

/** The value of one un-labelled counter in a Prometheus text exposition. */
function counter (metrics: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)
  return m === null ? undefined : Number(m[1])
}

/**
 * POSTs `events` followed by a secret create, which the rules FILE always alerts on. Alerts of one
 * batch reach the file in event order, so once the sentinel's alert is there, every alert the
 * batch will ever produce is there too: "no alert for X" needs no timeout.
 */
async function postBatch (s: ServeChild, webhook: string, file: string, sentinel: string, events: Array<Record<string, unknown>>): Promise<Alert[]> {
  const before = alertsIn(file).length
  const res = await postAsApiserver(webhook, [...events, auditEvent({ resource: 'secrets', name: sentinel })])
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.body}`)
  await untilServing(s, () => alertsIn(file).some((a) => a.output_fields['ka.target.name'] === sentinel), `the alert for ${sentinel}`)
  return alertsIn(file).slice(before).filter((a) => a.output_fields['ka.target.name'] !== sentinel)
}

// three `lanner serve` children that each load @kubernetes/client-node: 70-90 s on a loaded
// machine, so more than the runner's 120 s default (a bound, never a wait)
t.setTimeout(300_000)

t.test('serve: rules from a ConfigMap are live at start and follow its edits without a restart', async (t) => {
  const api = await startFakeConfigMapApiServer(t, { ...CM, token: 'cm-reader' })
  api.setData({ 'custom.yaml': customRule('v1', 'configmaps'), 'README': 'not rules: keys that are not .yaml/.yml are ignored' })
  const dir = t.testdir({
    'base.yaml': createRule('Secret Created', 'secrets'),
    // relative, like every path in the file: resolved against the config file's directory
    'kube.yaml': kubeconfigYaml(api.url, api.token)
  })
  const alertsFile = path.join(dir, 'alerts.jsonl')
  writeFileSync(path.join(dir, 'lanner.yaml'), configMapServeConfig('base.yaml', CM))
  // no ambient cluster: only the configured kubeconfig may be used
  const serve = startServe(t, ['serve', '-c', path.join(dir, 'lanner.yaml')], { env: { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' } })
  const { child, logs } = serve
  const pid = child.pid
  const { port } = await webhookListening(serve)
  const admin = await adminPortOf(serve)
  const webhook = `http://127.0.0.1:${port}/k8s-audit`
  const metrics = async (): Promise<string> => (await request(`http://127.0.0.1:${admin}/metrics`)).body
  /** waits until the reload counter `name` reaches `n` */
  async function reloads (name: string, n: number, what: string): Promise<void> {
    let seen: number | undefined
    // polled one request at a time for up to 60 s (a loaded machine delays the watch and the reload)
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      seen = counter(await metrics(), name)
      if (seen === n) return
      if (child.exitCode !== null) break
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    throw new Error(`${what}: ${name} is ${String(seen)}, expected ${n}; stderr: ${serve.stderr().slice(-2000)}`)
  }

  t.equal(api.requests[0]?.auth, 'Bearer cm-reader', 'the kubeconfig file\'s credentials are sent')
  t.equal(api.requests[0]?.query.get('fieldSelector'), `metadata.name=${CM.name}`, 'only the named ConfigMap is asked for')
  t.match(logs.find((l) => l.msg === 'rules loaded'), { rules: 2 }, 'the first load has the file rule and the ConfigMap rule')

  // 1. the ConfigMap's rules are active from the start
  let got = await postBatch(serve, webhook, alertsFile, 'sentinel-1', [auditEvent({ name: 'cm-1' })])
  t.same(got.map((a) => [a.rule, a.output.replace(/^\S+ \w+ /, '')]), [['Custom Rule', 'custom v1 (name=cm-1)']], 'the ConfigMap rule fired')

  // 2. MODIFIED: new condition and output, live after the reload, same process
  await api.watching()
  api.send('MODIFIED', api.setData({ 'custom.yaml': customRule('v2', 'serviceaccounts') }))
  await reloads('lanner_rules_reloads_total', 1, 'the reload after MODIFIED')
  t.match(logs.find((l) => l.msg === 'rules reloaded'), { reason: `configmap:${CM.namespace}/${CM.name} changed`, rules: 2 }, 'the reload names the ConfigMap')
  got = await postBatch(serve, webhook, alertsFile, 'sentinel-2', [auditEvent({ name: 'cm-2' }), auditEvent({ resource: 'serviceaccounts', name: 'sa-2' })])
  t.same(got.map((a) => a.output_fields['ka.target.name']), ['sa-2'], 'the new condition applies, the old one no longer does')
  t.match(got[0]?.output, /custom v2 \(name=sa-2\)$/, 'with the new output')
  t.equal(child.pid, pid, 'no restart: the same process')
  t.equal(child.exitCode, null, 'still running')
  t.equal(logs.filter((l) => l.msg === 'rules loaded').length, 1, 'the first load happened once')

  // 3. MODIFIED with invalid rules: rejected, the v2 rules keep running
  api.send('MODIFIED', api.setData({ 'custom.yaml': customRule('v3', 'configmaps').replace('ka.verb=create', 'ka.verb=create and ka.no_such_field=1') }))
  await reloads('lanner_rules_reload_failures_total', 1, 'the rejected reload')
  t.equal(counter(await metrics(), 'lanner_rules_reloads_total'), 1, 'no successful reload counted for it')
  const rejected = logs.find((l) => l.msg === 'rules reload rejected: the previous rules keep running')
  t.match(rejected, { level: 50, reason: `configmap:${CM.namespace}/${CM.name} changed` }, 'logged as an error')
  const errors = (rejected?.errors ?? []) as string[]
  t.ok(errors.some((e) => e.startsWith(`configmap:${CM.namespace}/${CM.name}/custom.yaml:`) && /: LOAD_ERR_COMPILE_CONDITION: /.test(e)),
    'the error names the ConfigMap key, its position and the code')
  got = await postBatch(serve, webhook, alertsFile, 'sentinel-3', [auditEvent({ name: 'cm-3' }), auditEvent({ resource: 'serviceaccounts', name: 'sa-3' })])
  t.same(got.map((a) => a.output_fields['ka.target.name']), ['sa-3'], 'the previous condition still applies')
  t.match(got[0], { rule: 'Custom Rule', output: /custom v2 \(name=sa-3\)$/ }, 'with the previous output')

  // 4. DELETED: the last loaded rules stay; re-creating the ConfigMap loads its rules
  api.send('DELETED', api.setData(null))
  await untilServing(serve, () => logs.some((l) => l.msg === 'configmap absent: its last rules stay loaded' && l.configmap === `configmap:${CM.namespace}/${CM.name}`), 'the DELETED warning')
  got = await postBatch(serve, webhook, alertsFile, 'sentinel-4', [auditEvent({ resource: 'serviceaccounts', name: 'sa-4' })])
  t.equal(got.length, 1)
  t.match(got[0], { rule: 'Custom Rule', output: /custom v2 \(name=sa-4\)$/ }, 'the v2 rules still fire after the ConfigMap is gone')
  const m = await metrics()
  t.equal(counter(m, 'lanner_rules_reloads_total'), 1, 'DELETED triggered no reload')
  t.equal(counter(m, 'lanner_rules_reload_failures_total'), 1, 'nor a failed one')

  api.send('ADDED', api.setData({ 'custom.yaml': customRule('v5', 'configmaps') }))
  await reloads('lanner_rules_reloads_total', 2, 'the reload after ADDED')
  got = await postBatch(serve, webhook, alertsFile, 'sentinel-5', [auditEvent({ name: 'cm-5' }), auditEvent({ resource: 'serviceaccounts', name: 'sa-5' })])
  t.equal(got.length, 1)
  t.match(got[0], { rule: 'Custom Rule', output: /custom v5 \(name=cm-5\)$/ }, 'the re-created ConfigMap\'s rules replace the old ones')
  t.equal(child.pid, pid, 'still the same process')

  child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null }, 'SIGTERM exits 0, closing the watch')
  // the child's exit and the server seeing its socket close are not ordered: wait (bounded)
  await until(() => api.openWatches() === 0, 'the watch connection to close')
  t.equal(api.openWatches(), 0, 'no watch left open')
})

t.test('serve: found through $KUBECONFIG, after a refused first list, a ConfigMap absent at start loads when it is created', async (t) => {
  const api = await startFakeConfigMapApiServer(t, CM)
  api.scripted.list.push(403) // RBAC not there yet: logged and retried, start-up goes on
  const dir = t.testdir({ 'base.yaml': createRule('Secret Created', 'secrets'), 'kube.yaml': kubeconfigYaml(api.url, api.token) })
  const alertsFile = path.join(dir, 'alerts.jsonl')
  const serve = startServe(t, ['serve', '-r', path.join(dir, 'base.yaml'), '-o', 'json_output=true', '-o', 'stdout_output.enabled=false',
    '-o', 'watch_config_files=false', '-o', `file_output={enabled: true, filename: "${alertsFile}"}`,
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver.enabled=false',
    '-o', `lanner.k8s.rules_configmaps=[{namespace: ${CM.namespace}, name: ${CM.name}}]`],
  { env: { KUBECONFIG: path.join(dir, 'kube.yaml'), KUBERNETES_SERVICE_HOST: '' } })
  const { logs } = serve
  const { port } = await webhookListening(serve)
  const webhook = `http://127.0.0.1:${port}/k8s-audit`
  t.equal(api.requests[0]?.auth, `Bearer ${api.token}`, 'the $KUBECONFIG file\'s credentials are sent')
  t.match(logs.find((l) => l.msg === 'configmap watch problem (retrying)'), { level: 40, code: 'ERR_K8S_WATCH', err: /403/ }, 'the refused list is a warning with its code')
  t.same(api.requests.slice(0, 2).map((r) => r.kind), ['list', 'list'], 'and was retried')
  t.match(logs.find((l) => l.msg === 'configmap not found: its rules load when it is created'), { level: 40, configmap: `configmap:${CM.namespace}/${CM.name}` }, 'the absence is a warning')
  t.match(logs.find((l) => l.msg === 'rules loaded'), { rules: 1 }, 'serving with the file rules alone')

  let got = await postBatch(serve, webhook, alertsFile, 'sentinel-1', [auditEvent({ name: 'cm-1' })])
  t.same(got, [], 'no ConfigMap rule yet')

  await api.watching()
  api.send('ADDED', api.setData({ 'custom.yaml': customRule('new', 'configmaps') }))
  await untilServing(serve, () => logs.some((l) => l.msg === 'rules reloaded'), 'the reload after ADDED')
  got = await postBatch(serve, webhook, alertsFile, 'sentinel-2', [auditEvent({ name: 'cm-2' })])
  t.equal(got.length, 1)
  t.match(got[0], { rule: 'Custom Rule', output: /custom new \(name=cm-2\)$/ }, 'the created ConfigMap\'s rule fires')
})

t.test('serve: an unreadable lanner.k8s.kubeconfig stops start-up with ERR_CONFIG_READ naming the key', async (t) => {
  const dir = t.testdir({ 'base.yaml': createRule('Secret Created', 'secrets') })
  writeFileSync(path.join(dir, 'lanner.yaml'), `
rules_files: [base.yaml]
lanner:
  k8s:
    kubeconfig: missing/kube.yaml
    rules_configmaps: [{namespace: lanner, name: rules}]
`)
  const serve = startServe(t, ['serve', '-c', path.join(dir, 'lanner.yaml'), '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver.enabled=false'])
  t.equal((await serve.exited).code, 1, 'exit 1')
  const line = serve.stderr().split('\n').find((l) => l.includes('ERR_CONFIG_READ')) ?? ''
  t.match(line, `${path.join(dir, 'lanner.yaml')}: ERR_CONFIG_READ: `, 'the config file and the code')
  t.match(line, path.join(dir, 'missing', 'kube.yaml'), 'the path, resolved against the config file\'s directory')
  t.match(line, "(config 'lanner.k8s.kubeconfig')", 'the key')
})
