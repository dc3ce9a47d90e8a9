// Loading the falco.yaml-compatible config: defaults, Falco aliases, the lanner section, errors
// with key paths and file positions, -o overrides, and the one-source-per-instance rule.
import t from 'tap'
import path from 'node:path'
import { loadConfig, DEFAULTS, DEFAULT_RULES_FILES } from '../../src/config/index.ts'

function withFile (t: { testdir(f: Record<string, string>): string }, yaml: string, extra: Record<string, string> = {}): { dir: string, file: string } {
  const dir = t.testdir({ 'falco.yaml': yaml, ...extra })
  return { dir, file: path.join(dir, 'falco.yaml') }
}

t.test('without a file every setting has its default, from defaults.ts', async (t) => {
  const c = loadConfig({})
  t.equal(c.source, 'k8s_audit')
  t.same(c.rulesPaths, [DEFAULT_RULES_FILES.k8s_audit], 'built-in k8s_audit rules')
  t.equal(c.defaultRules, true)
  t.match(c.webhook, { host: '0.0.0.0', port: DEFAULTS.webhookPort, path: DEFAULTS.webhookPath, maxBodyBytes: DEFAULTS.maxBodyBytes })
  t.equal(c.webhook.port, 9765)
  t.equal(c.webhook.maxInflightBytes, DEFAULTS.maxInflightBytes, 'in-flight body bytes bounded by default')
  t.equal(c.webhook.path, '/k8s-audit')
  t.match(c.admin, { enabled: true, port: 8765, healthzPath: '/healthz', readyzPath: '/readyz', metricsPath: '/metrics' })
  t.match(c.outputs, { stdout: { enabled: true }, file: { enabled: false }, program: { enabled: false }, http: { enabled: false } })
  t.equal(c.json.enabled, false)
  t.equal(c.json.includeOutput, true)
  t.equal(c.json.includeMessage, false)
  t.equal(c.minPriority, 7)
  t.equal(c.ruleMatching, 'first')
})

t.test('--source syscall without rules uses the built-in syscall rules', async (t) => {
  const c = loadConfig({ source: 'syscall' })
  t.same(c.rulesPaths, [DEFAULT_RULES_FILES.syscall])
})

t.test('a whole falco.yaml as users paste it: Falco keys are honoured, unknown ones are warnings', async (t) => {
  const { dir, file } = withFile(t, `
rules_file:
  - /etc/falco/k8s_audit_rules.yaml
  - rules.d
json_output: true
json_include_output_property: true
json_include_tags_property: false
time_format_iso_8601: true
priority: WARNING
rule_matching: all
buffered_outputs: true
stdout_output:
  enabled: false
file_output:
  enabled: true
  keep_alive: true
  filename: ./events.txt
program_output:
  enabled: true
  keep_alive: false
  program: "jq '{text: .output}' | curl -d @- -X POST https://hooks.slack.com/services/XXX"
http_output:
  enabled: true
  url: http://falcosidekick:2801/
  user_agent: "falcosecurity/falco"
webserver:
  enabled: true
  listen_port: 8766
  k8s_healthz_endpoint: /health
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config:
      maxEventSize: 1048576
      webhookMaxBatchSize: 12582912
      sslCertificate: /etc/falco/falco.pem
    open_params: "http://:9766/audit"
  - name: json
    library_path: libjson.so
    init_config: ""
load_plugins: [k8saudit, json]
rules:
  - disable:
      rule: "Anonymous*"
  - enable:
      tag: k8s
engine:
  kind: nodriver
syscall_event_drops:
  actions: [log, alert]
grpc:
  enabled: false
`)
  const c = loadConfig({ file })
  t.same(c.rulesPaths, ['/etc/falco/k8s_audit_rules.yaml', path.join(dir, 'rules.d')], 'rules_file list; relative paths resolve against the config file')
  t.equal(c.json.enabled, true)
  t.equal(c.json.includeTags, false)
  t.equal(c.timeFormatIso8601, true)
  t.equal(c.minPriority, 4, 'priority is case-insensitive')
  t.equal(c.ruleMatching, 'all')
  t.equal(c.outputs.buffered, true)
  t.equal(c.outputs.stdout.enabled, false)
  t.same(c.outputs.file, { enabled: true, keepAlive: true, filename: path.join(dir, 'events.txt') })
  t.match(c.outputs.program, { enabled: true, keepAlive: false, program: /^jq / })
  t.match(c.outputs.http, { enabled: true, url: 'http://falcosidekick:2801/', userAgent: 'falcosecurity/falco' })
  t.match(c.admin, { port: 8766, healthzPath: '/health' })
  t.match(c.webhook, { host: '0.0.0.0', port: 9766, path: '/audit', maxEventBytes: 1048576, maxBodyBytes: 12582912 }, 'maxEventSize and webhookMaxBatchSize (bytes) from init_config')
  t.equal(c.webhook.tls, undefined, 'http:// open_params means plain HTTP')
  t.same(c.selection, [{ disable: { rule: 'Anonymous*' } }, { enable: { tag: 'k8s' } }])
  t.ok(c.warnings.some((w) => w.includes('syscall_event_drops')), 'unknown top-level keys are reported')
  t.ok(c.warnings.some((w) => w.includes('grpc')))
  t.ok(c.warnings.some((w) => w.startsWith('engine.kind')), 'engine.kind is ignored with a warning')
})

t.test('https open_params uses the k8saudit sslCertificate (one PEM with cert and key)', async (t) => {
  const c = loadConfig({ overrides: ['plugins=[{name: k8saudit, open_params: "https://10.0.0.1:443/k8s-audit", init_config: {sslCertificate: /certs/falco.pem}}]'] })
  t.match(c.webhook, { host: '10.0.0.1', port: 443, path: '/k8s-audit', tls: { cert: '/certs/falco.pem', key: '/certs/falco.pem', clientAuth: 'none' } })
})

t.test('the lanner section wins over Falco plugin settings', async (t) => {
  const { dir, file } = withFile(t, `
plugins:
  - name: k8saudit
    open_params: "http://:9765/k8s-audit"
lanner:
  webhook:
    listen: "127.0.0.1:0"
    path: /audit
    max_body_bytes: 1024
    max_inflight_batches: 2
    max_inflight_bytes: 4096
    retry_after_seconds: 3
    tls: {cert: tls/crt.pem, key: tls/key.pem, ca: tls/ca.pem, client_auth: require}
    bearer_token_file: token
  user_fields:
    - {name: custom.team, jsonpath: "$.requestObject.metadata.labels.team"}
  outputs: {queue_size: 5, drain_timeout_ms: 100}
  k8s: {configmap: {namespace: lanner, name: rules}}
`)
  const c = loadConfig({ file })
  t.match(c.webhook, { host: '127.0.0.1', port: 0, path: '/audit', maxBodyBytes: 1024, maxInflightBatches: 2, maxInflightBytes: 4096, retryAfterSeconds: 3 })
  t.same(c.webhook.tls, { cert: path.join(dir, 'tls/crt.pem'), key: path.join(dir, 'tls/key.pem'), ca: path.join(dir, 'tls/ca.pem'), clientAuth: 'require' })
  t.equal(c.webhook.bearerTokenFile, path.join(dir, 'token'))
  t.same(c.userFields, [{ name: 'custom.team', jsonpath: '$.requestObject.metadata.labels.team' }])
  t.equal(c.outputs.queueSize, 5)
  t.same(c.k8s, { configmap: { namespace: 'lanner', name: 'rules' } }, 'lanner.k8s passes through for the ConfigMap watcher')
})

t.test('-r replaces rules_files; relative -r paths resolve against the working directory', async (t) => {
  const { file } = withFile(t, 'rules_files: [/etc/falco/a.yaml]\n')
  const c = loadConfig({ file, rules: ['mine.yaml', '/abs/b.yaml'], cwd: '/work/x' })
  t.same(c.rulesPaths, ['/work/x/mine.yaml', '/abs/b.yaml'])
  t.equal(c.defaultRules, false)
})

t.test('-t/-T reach the resolved config', async (t) => {
  const c = loadConfig({ tagsKeep: ['k8s'], tagsDrop: ['shell'] })
  t.same(c.tagsKeep, ['k8s'])
  t.same(c.tagsDrop, ['shell'])
})

t.test('wrong shapes are ERR_CONFIG_INVALID naming the key path, with the file position', async (t) => {
  const { file } = withFile(t, `json_output: true
webserver:
  listen_port: "eighty"
`)
  const err = t.throws(() => loadConfig({ file }), { code: 'ERR_CONFIG_INVALID' }) as any
  t.equal(err.location.itemName, 'webserver.listen_port')
  t.equal(err.location.file, file)
  t.same([err.location.pos.line, err.location.pos.col], [3, 16], 'points at the offending value')
  t.match(err.message, /webserver\.listen_port: .*expected number/)
})

t.test('every problem is listed; list items are named by index', async (t) => {
  const { file } = withFile(t, `priority: loud
rules:
  - enable: {rule: a}
  - frobnicate: {rule: b}
plugins:
  - name: k8saudit
    open_params: 42
`)
  const err = t.throws(() => loadConfig({ file }), { code: 'ERR_CONFIG_INVALID' }) as any
  t.match(err.message, /priority: expected one of/)
  t.match(err.message, /rules\[1\]: expected \{enable/)
  t.match(err.message, /plugins\[0\]\.open_params: /)
  t.same(err.location.pos.line, 1)
})

t.test('bad open_params and listen values name their key', async (t) => {
  t.throws(() => loadConfig({ overrides: ['plugins[0]={name: k8saudit, open_params: "ftp://x/y"}'] }), { code: 'ERR_CONFIG_INVALID', location: { itemName: 'plugins[0].open_params' } })
  t.throws(() => loadConfig({ overrides: ['lanner.webhook.listen=host:99999'] }), { code: 'ERR_CONFIG_INVALID', location: { itemName: 'lanner.webhook.listen' } })
  t.throws(() => loadConfig({ overrides: ['file_output.enabled=true'] }), { code: 'ERR_CONFIG_INVALID', location: { itemName: 'file_output.filename' } })
})

t.test('unreadable files and invalid YAML have their own codes', async (t) => {
  t.throws(() => loadConfig({ file: '/nonexistent/falco.yaml' }), { code: 'ERR_CONFIG_READ' })
  const { file } = withFile(t, 'json_output: true\nrules_files: [a, b\n')
  const err = t.throws(() => loadConfig({ file }), { code: 'ERR_CONFIG_YAML' }) as any
  t.equal(err.location.file, file)
  t.ok(err.location.pos.line >= 2)
  const list = withFile(t, '- a\n- b\n')
  t.throws(() => loadConfig({ file: list.file }), { code: 'ERR_CONFIG_INVALID', location: { pos: { line: 1 } } })
})

t.test('a key given twice in one mapping is ERR_CONFIG_YAML at the second, naming the first', async (t) => {
  const { file } = withFile(t, 'json_output: true\nwebserver:\n  enabled: true\n  listen_port: 8766\n  k8s_healthz_endpoint: /health\n  listen_port: 8767\n')
  const err = t.throws(() => loadConfig({ file }), { code: 'ERR_CONFIG_YAML' }) as any
  t.match(err.location, { file, pos: { line: 6, col: 3 }, itemType: 'config' })
  t.match(err.message, /'listen_port'.*line 4, column 3/)
  const top = withFile(t, 'json_output: true\npriority: debug\njson_output: false\n')
  t.throws(() => loadConfig({ file: top.file }), { code: 'ERR_CONFIG_YAML', location: { pos: { line: 3, col: 1 } } }, 'top-level keys too')
})

t.test('webserver: enabled and prometheus_metrics_enabled resolve; a liveness path on another endpoint is refused', async (t) => {
  const off = loadConfig({ overrides: ['webserver.enabled=false', 'webserver.prometheus_metrics_enabled=false'] })
  t.match(off.admin, { enabled: false, metricsEnabled: false })
  const err = t.throws(() => loadConfig({ overrides: [`webserver.k8s_healthz_endpoint=${DEFAULTS.readyzPath}`] }), { code: 'ERR_CONFIG_INVALID' }) as any
  t.equal(err.location.itemName, 'webserver.k8s_healthz_endpoint')
  t.throws(() => loadConfig({ overrides: [`webserver.k8s_healthz_endpoint=${DEFAULTS.metricsPath}`] }), { code: 'ERR_CONFIG_INVALID' })
  const noMetrics = loadConfig({ overrides: [`webserver.k8s_healthz_endpoint=${DEFAULTS.metricsPath}`, 'webserver.prometheus_metrics_enabled=false'] })
  t.equal(noMetrics.admin.healthzPath, DEFAULTS.metricsPath, 'the metrics path is free when metrics are off')
})

t.test('an empty file is all defaults', async (t) => {
  const { file } = withFile(t, '# nothing set\n')
  t.equal(loadConfig({ file }).source, 'k8s_audit')
})

t.test('the k8saudit plugin and the syscall source in one instance is ERR_CONFIG_SOURCES', async (t) => {
  const { file } = withFile(t, `
plugins:
  - name: k8saudit
    open_params: "http://:9765/k8s-audit"
load_plugins: [k8saudit]
`)
  t.throws(() => loadConfig({ file, source: 'syscall' }), { code: 'ERR_CONFIG_SOURCES' })
  t.throws(() => loadConfig({ file, overrides: ['lanner.source=syscall'] }), { code: 'ERR_CONFIG_SOURCES' })
  t.equal(loadConfig({ file, source: 'syscall', overrides: ['load_plugins=[]'] }).source, 'syscall',
    'a k8saudit plugin that load_plugins does not load is no conflict (Falco loads only listed plugins)')
})

t.test('lanner.rules_strict: off by default (serve starts without failing rules inputs), on when set', async (t) => {
  t.equal(loadConfig({}).rulesStrict, false)
  t.equal(loadConfig({ overrides: ['lanner.rules_strict=true'] }).rulesStrict, true)
  const { file } = withFile(t, 'lanner:\n  rules_strict: yes please\n')
  const err = t.throws(() => loadConfig({ file }), { code: 'ERR_CONFIG_INVALID' }) as any
  t.match(err.message, /lanner\.rules_strict/)
  t.match(err.location, { file, pos: { line: 2 } })
})

t.test('an unknown key inside the lanner section is ERR_CONFIG_INVALID naming it and the allowed keys', async (t) => {
  const { file } = withFile(t, `json_output: true
some_falco_key_lanner_does_not_know: 1
webserver:
  threadiness: 4
lanner:
  sourcee: syscall
`)
  const err = t.throws(() => loadConfig({ file }), { code: 'ERR_CONFIG_INVALID' }) as any
  t.equal(err.location.itemName, 'lanner.sourcee')
  t.same(err.location.pos.line, 6, 'points at the mistyped key')
  t.match(err.message, /lanner\.sourcee: .*allowed keys: source, webhook, eval_workers/)
  t.notMatch(err.message, /threadiness|some_falco_key/, 'Falco keys outside lanner: stay tolerated')
})

t.test('unknown keys are errors at every depth of the lanner section, files and -o alike', async (t) => {
  const nested = withFile(t, `lanner:
  webhook:
    listn: ":9765"
    tls: {cert: a.pem, key: b.pem, clientauth: require}
  outputs:
    queue_sise: 10
  user_fields:
    - {name: x.y, jsonpath: "$.x", typo: 1}
`)
  const err = t.throws(() => loadConfig({ file: nested.file }), { code: 'ERR_CONFIG_INVALID' }) as any
  t.equal(err.location.itemName, 'lanner.webhook.listn', 'the first in file order')
  t.same(err.location.pos.line, 3)
  t.match(err.message, /lanner\.webhook\.listn: .*allowed keys: listen, path, max_body_bytes/)
  t.match(err.message, /lanner\.webhook\.tls\.clientauth: .*allowed keys: cert, key, ca, client_auth/)
  t.match(err.message, /lanner\.outputs\.queue_sise: .*allowed keys: queue_size/)
  t.match(err.message, /lanner\.user_fields\[0\]\.typo: .*allowed keys: name, jsonpath/)
  t.throws(() => loadConfig({ overrides: ['lanner.webhook.listn=:9765'] }), { code: 'ERR_CONFIG_INVALID', location: { itemName: 'lanner.webhook.listn' } })
  const known = loadConfig({ overrides: ['lanner.webhook.listen=:9765', 'lanner.k8s.anything=1'] })
  t.equal(known.webhook.port, 9765, 'known keys pass')
  t.same(known.k8s, { anything: 1 }, 'lanner.k8s is its owner\'s to check: passed through as given')
})

t.test('http_output verifies TLS unless insecure is set explicitly', async (t) => {
  const secure = withFile(t, 'http_output:\n  enabled: true\n  url: https://sink.example:2801/\n')
  t.equal(loadConfig({ file: secure.file }).outputs.http.insecure, false, 'not set: certificates are verified')
  const opted = withFile(t, 'http_output:\n  enabled: true\n  url: https://sink.example:2801/\n  insecure: true\n')
  t.equal(loadConfig({ file: opted.file }).outputs.http.insecure, true, 'only an explicit insecure: true turns it off')
})
