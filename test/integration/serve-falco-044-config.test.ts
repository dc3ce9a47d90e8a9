// End to end with a falco.yaml written the way Falco 0.44 users write it: `lanner serve` spawned
// with config_files (a ConfigMap-layout directory merged with `append`, another with `override`),
// ${VAR} expansion (json_output: ${JSON_OUT}, static field values), append_output with
// extra_fields for one tag and extra_output for the source, static_fields used in a rule
// condition, metrics enabled (snapshot alert, falcosecurity_* names on the admin /metrics). Audit
// batches come from the kube-apiserver webhook double. Then a config.d file is edited the way the
// kubelet updates a ConfigMap volume (..data symlink swap) and the change is applied live.
import t from 'tap'
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { auditEvent, createApiserverClient, encodeEventList } from '../helpers/apiserver-client.ts'
import { adminPort, request, startServe, untilServing, webhookListening, type ServeChild } from '../helpers/serve-child.ts'

interface JsonAlert { rule: string, priority: string, source: string, output: string, output_fields: Record<string, unknown>, tags?: string[] }

const RULES = `
- rule: Pod created in the production cluster
  desc: a pod created while static.cluster says prod-eu
  condition: ka.verb = create and ka.target.resource = pods and static.cluster = prod-eu
  output: Pod created (user=%ka.user.name pod=%ka.target.name)
  priority: NOTICE
  source: k8s_audit
  tags: [k8s, pci]
- rule: Pod deleted
  desc: any pod deletion
  condition: ka.verb = delete and ka.target.resource = pods
  output: Pod deleted (user=%ka.user.name pod=%ka.target.name)
  priority: WARNING
  source: k8s_audit
  tags: [k8s]
- rule: Noisy pod listing
  desc: disabled by a config.d file (rules disable by tag, appended to the main file's list)
  condition: ka.verb = list and ka.target.resource = pods
  output: Pods listed (user=%ka.user.name)
  priority: NOTICE
  source: k8s_audit
  tags: [k8s, noisy]
`

const FALCO_YAML = (dir: string): string => `
# as rendered for Falco 0.44 (values trimmed to what this deployment sets)
config_files:
  - path: ${path.join(dir, 'config.d')}
    strategy: append
  - path: ${path.join(dir, 'override.d')}
    strategy: override
watch_config_files: true
rules_files:
  - ${path.join(dir, 'rules', 'custom_rules.yaml')}
rules:
  - disable:
      rule: "Never*"
priority: debug
json_output: \${JSON_OUT}
json_include_output_property: true
json_include_tags_property: true
buffered_outputs: false
outputs_queue:
  capacity: 0
stdout_output:
  enabled: true
syslog_output:
  enabled: true
file_output:
  enabled: false
  keep_alive: false
  filename: ./events.txt
http_output:
  enabled: false
  url: ""
program_output:
  enabled: false
  keep_alive: false
  program: "jq '{text: .output}' | curl -d @- -X POST https://hooks.slack.com/services/XXX"
webserver:
  enabled: true
  threadiness: 0
  listen_port: 0
  listen_address: 127.0.0.1
  k8s_healthz_endpoint: /healthz
  prometheus_metrics_enabled: true
  ssl_enabled: false
log_stderr: true
log_syslog: false
log_level: info
libs_logger:
  enabled: false
  severity: debug
output_timeout: 2000
static_fields:
  cluster: replaced-by-override.d
append_output:
  - suggested_output: true
  - match:
      source: k8s_audit
    extra_output: "cluster=%static.cluster"
  - match:
      tags: [pci]
    extra_fields:
      - ka.verb
      - team: payments
      - cluster_name: "%static.cluster"
metrics:
  enabled: true
  interval: 1s
  output_rule: true
  output_file: metrics.jsonl
  rules_counters_enabled: true
  resource_utilization_enabled: true
  state_counters_enabled: true
  kernel_event_counters_enabled: true
  convert_memory_to_mb: true
  include_empty_values: false
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config:
      maxEventSize: 262144
      webhookMaxBatchSize: 12582912
      useAsync: false
    open_params: "http://127.0.0.1:0/k8s-audit"
  - name: json
    library_path: libjson.so
load_plugins: [k8saudit, json]
`

/** A ConfigMap volume: each key a symlink into ..data, ..data a symlink to a timestamped dir. */
function configMapVolume (dir: string, files: Record<string, string>, version: string): void {
  const stamp = `..2026_12_05_12_00_00.${version}`
  mkdirSync(path.join(dir, stamp), { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, stamp, name), text)
  // the kubelet's atomic swap: a new ..data link renamed over the old one
  symlinkSync(stamp, path.join(dir, '..data_tmp'))
  renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'))
  for (const name of Object.keys(files)) {
    try { symlinkSync(path.join('..data', name), path.join(dir, name)) } catch { /* exists from the first version */ }
  }
}

function alerts (serve: ServeChild): JsonAlert[] {
  return serve.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonAlert)
}

function ruleAlerts (serve: ServeChild, rule: string): JsonAlert[] {
  return alerts(serve).filter((a) => a.rule === rule)
}

t.test('a Falco 0.44 falco.yaml with config.d, env expansion, append_output, static_fields and metrics, applied live', async (t) => {
  const dir = t.testdir({ rules: { 'custom_rules.yaml': RULES } })
  mkdirSync(path.join(dir, 'config.d'))
  mkdirSync(path.join(dir, 'override.d'))
  configMapVolume(path.join(dir, 'config.d'), { 'rules-selection.yaml': 'rules:\n  - disable:\n      tag: noisy\n' }, '1')
  configMapVolume(path.join(dir, 'override.d'), { 'static.yaml': 'static_fields:\n  cluster: "${CLUSTER_NAME}"\n' }, '1')
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, FALCO_YAML(dir))

  const serve = startServe(t, ['serve', '-c', file], { env: { ...process.env, JSON_OUT: 'true', CLUSTER_NAME: 'prod-eu' } })
  const { port } = await webhookListening(serve)
  const admin = await adminPort(serve)
  const client = createApiserverClient({ url: `http://127.0.0.1:${port}/k8s-audit`, batchMaxSize: 10 })
  t.teardown(() => { client.close() })

  let n = 0
  const create = (): Record<string, unknown> => auditEvent(++n, { user: { username: 'alice@example.com', groups: ['system:authenticated'] } })
  const del = (): Record<string, unknown> => auditEvent(++n, { verb: 'delete', requestURI: `/api/v1/namespaces/default/pods/pod-${n}`, responseStatus: { metadata: {}, code: 200 }, user: { username: 'bob@example.com', groups: ['system:authenticated'] } })
  const list = (): Record<string, unknown> => auditEvent(++n, { verb: 'list', requestURI: '/api/v1/namespaces/default/pods', objectRef: { resource: 'pods', namespace: 'default', apiVersion: 'v1' }, responseStatus: { metadata: {}, code: 200 } })

  const outcomes = await client.send([create(), del(), list()])
  t.notMatch(outcomes.map((o) => o.body).join(''), /"kind":"Event"/, 'the items carry no kind, as kube-apiserver sends them')
  t.ok(outcomes.every((o) => o.delivered), 'every batch 2xx')
  await untilServing(serve, () => ruleAlerts(serve, 'Pod deleted').length >= 1 && ruleAlerts(serve, 'Pod created in the production cluster').length >= 1, 'the first alerts')

  const created = ruleAlerts(serve, 'Pod created in the production cluster')[0] as JsonAlert
  t.match(created.output, /^\d\d:\d\d:\d\d\.\d{9}: Notice Pod created \(user=alice@example\.com pod=pod-1\) static_cluster=prod-eu cluster=prod-eu$/, 'suggested_output appends the static field as Falco does, then extra_output; ${CLUSTER_NAME} from override.d')
  t.same(created.output_fields, {
    'evt.time': created.output_fields['evt.time'],
    'ka.target.name': 'pod-1',
    'ka.user.name': 'alice@example.com',
    'static.cluster': 'prod-eu',
    'ka.verb': 'create',
    team: 'payments',
    cluster_name: 'prod-eu'
  }, 'the pci rule: extra_fields (typed field, literal, template) only in output_fields')
  t.notMatch(created.output, /payments/, 'extra_fields never reach the text')
  const deleted = ruleAlerts(serve, 'Pod deleted')[0] as JsonAlert
  t.match(deleted.output, /Warning Pod deleted \(user=bob@example\.com pod=pod-2\) static_cluster=prod-eu cluster=prod-eu$/)
  t.same(Object.keys(deleted.output_fields).sort(), ['evt.time', 'ka.target.name', 'ka.user.name', 'static.cluster'], 'no pci tag: no extra_fields')
  t.same(ruleAlerts(serve, 'Noisy pod listing'), [], 'config.d (append) added a disable by tag to the main file\'s rules list')

  // metrics: the periodic snapshot alert and Falco's names on /metrics, next to Lanner's
  const snapshot = await untilServing(serve, () => ruleAlerts(serve, 'Falco internal: metrics snapshot').find((a) => a.output_fields['falco.rules.matches_total'] === 2), 'a metrics snapshot counting both matches', 10000)
  t.match(snapshot, { priority: 'Informational', source: 'internal', output: /Falco metrics snapshot$/ })
  t.match(snapshot.output_fields, { 'evt.source': 'k8s_audit', 'falco.num_evts': 3, 'falco.rules.Pod deleted': 1, 'falco.outputs_queue_num_drops': 0, 'scap.engine_name': 'source_plugin' })
  t.type(snapshot.output_fields['falco.memory_rss_mb'], 'number')
  // metrics.output_file (relative to the config file): Falco's line per snapshot, samples from 1
  const fileLines = await untilServing(serve, () => {
    let text = ''
    try { text = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8') } catch { return undefined }
    const lines = text.split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as { output_fields: Record<string, unknown>, sample: number })
    return lines.some((l) => l.output_fields['falco.num_evts'] === 3) ? lines : undefined
  }, 'metrics.output_file lines counting the events', 30_000)
  t.same(fileLines.map((l) => l.sample), fileLines.map((_, i) => i + 1), 'one line per snapshot, sample counting from 1')
  t.same(Object.keys(fileLines[0] ?? {}), ['output_fields', 'sample'], 'nlohmann key order: output_fields, then sample')
  const last = fileLines[fileLines.length - 1] as { output_fields: Record<string, unknown> }
  t.match(last.output_fields, { 'evt.source': 'k8s_audit', 'falco.num_evts': 3, 'scap.engine_name': 'source_plugin' })
  t.type(last.output_fields['evt.time'], 'number', 'Falco\'s wrapper field evt.time')
  t.same(Object.keys(last.output_fields), Object.keys(last.output_fields).sort(), 'fields in byte order, as nlohmann writes them')
  const metrics = await request(`http://127.0.0.1:${admin}/metrics`)
  t.equal(metrics.status, 200)
  const body = metrics.body
  t.match(body, /^falcosecurity_falco_rules_matches_total\{priority="5",rule_name="Pod created in the production cluster",source="k8s_audit",tag_k8s="true",tag_pci="true"\} 1$/m)
  t.match(body, /^falcosecurity_falco_rules_matches_total\{priority="4",rule_name="Pod deleted",source="k8s_audit",tag_k8s="true"\} 1$/m)
  t.match(body, /^falcosecurity_scap_n_evts_total 3$/m)
  t.match(body, /^falcosecurity_falco_outputs_queue_num_drops_total 0$/m)
  t.match(body, /^falcosecurity_falco_version_info\{version="[^"]+"\} 1$/m)
  t.match(body, /^falcosecurity_falco_cpu_usage_ratio [\d.e-]+$/m)
  t.match(body, /^falcosecurity_falco_memory_rss_bytes \d+$/m)
  t.match(body, /^falcosecurity_falco_sha256_config_files_info\{file_name="static.yaml",sha256="[0-9a-f]{64}"\} 1$/m, 'config files hashed, included ones too')
  t.match(body, /^falcosecurity_falco_sha256_rules_files_info\{file_name="custom_rules.yaml",sha256="[0-9a-f]{64}"\} 1$/m)
  t.match(body, /^# TYPE falcosecurity_falco_rules_matches_total counter$/m)
  t.match(body, /^lanner_alerts_total\{rule="Pod deleted",priority="Warning",source="k8s_audit"\} 1$/m, 'Lanner\'s own names stay')

  // a live edit of override.d, as the kubelet applies a ConfigMap update
  const reloadsBefore = serve.logs.filter((l) => l.msg === 'config reloaded').length
  configMapVolume(path.join(dir, 'override.d'), { 'static.yaml': 'static_fields:\n  cluster: staging\n' }, '2')
  await untilServing(serve, () => serve.logs.filter((l) => l.msg === 'config reloaded').length > reloadsBefore, 'the config reload')
  await client.send([create(), del()])
  await untilServing(serve, () => ruleAlerts(serve, 'Pod deleted').length >= 2, 'the deletion after the edit')
  t.match((ruleAlerts(serve, 'Pod deleted')[1] as JsonAlert).output, /pod=pod-5\) static_cluster=staging cluster=staging$/, 'the new static value is in the output')
  t.equal(ruleAlerts(serve, 'Pod created in the production cluster').length, 1, 'and in the condition: static.cluster is no longer prod-eu')

  // a key that applies only at start: named in a warning, the running webserver untouched
  configMapVolume(path.join(dir, 'config.d'), { 'rules-selection.yaml': 'rules:\n  - disable:\n      tag: noisy\nwebserver:\n  enabled: true\n  listen_port: 18765\n' }, '2')
  const restart = await untilServing(serve, () => serve.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('config changed in settings that apply only at start')), 'the restart warning')
  t.same(restart.keys, ['webserver'], 'webserver (root-key merge from config.d) needs a restart')
  t.equal((await request(`http://127.0.0.1:${admin}/healthz`)).status, 200, 'the admin server still listens where it started')

  // a broken edit keeps the running config, logged and counted
  configMapVolume(path.join(dir, 'override.d'), { 'static.yaml': 'static_fields: [not, a, mapping\n' }, '3')
  await untilServing(serve, () => serve.logs.find((l) => l.msg === 'config reload rejected: the running config is kept'), 'the rejected reload')
  const after = await request(`http://127.0.0.1:${admin}/metrics`)
  t.match(after.body, /^lanner_config_reload_failures_total 1$/m)
  t.match(after.body, /^lanner_config_reloads_total 2$/m)
  await client.send([del()])
  await untilServing(serve, () => ruleAlerts(serve, 'Pod deleted').length >= 3, 'a deletion after the broken edit')
  t.match((ruleAlerts(serve, 'Pod deleted')[2] as JsonAlert).output, /cluster=staging$/, 'still the last good config')

  serve.child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0)
})

t.test('k8saudit open_params naming a file: serve evaluates the file and exits, as Falco does when its source ends', async (t) => {
  const events = [
    auditEvent(1, { verb: 'delete', requestURI: '/api/v1/namespaces/default/pods/pod-1', responseStatus: { metadata: {}, code: 200 } }),
    auditEvent(2)
  ]
  const dir = t.testdir({ rules: { 'custom_rules.yaml': RULES }, 'audit.json': encodeEventList(events) })
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, `
rules_files: [${path.join(dir, 'rules', 'custom_rules.yaml')}]
json_output: true
webserver: {enabled: false}
static_fields: {cluster: prod-eu}
load_plugins: [k8saudit]
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    open_params: "file://${path.join(dir, 'audit.json')}"
`)
  const serve = startServe(t, ['serve', '-c', file])
  const { code } = await serve.exited
  t.equal(code, 0)
  t.same(alerts(serve).map((a) => a.rule).sort(), ['Pod created in the production cluster', 'Pod deleted'])
  t.match(serve.stderr(), /replay: 2 event\(s\) read from 1 file\(s\), 2 alert\(s\)/)
})
