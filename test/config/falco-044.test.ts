// The falco.yaml keys of Falco 0.38–0.44 at the config layer: ${VAR} expansion and its $${
// escape, scalar coercion as Falco's YAML reading does it, config_files with the three merge
// strategies (root-key level), append_output / static_fields / outputs_queue / output_timeout /
// metrics resolution, deprecated and removed keys, and the k8saudit open_params file forms.
import t from 'tap'
import path from 'node:path'
import { symlinkSync, mkdirSync, writeFileSync } from 'node:fs'
import { loadConfig, DEFAULTS } from '../../src/config/index.ts'
import { expandEnvString } from '../../src/config/env-expand.ts'
import { ConfigError } from '../../src/errors/index.ts'
import { FALCO_044_KEYS } from '../../src/config/falco-keys.ts'
import { readFileSync } from 'node:fs'
import { PACKAGE_ROOT } from '../../src/config/index.ts'


t.test('${VAR} expands, an unset one is empty, $${VAR} is the literal ${VAR}', async (t) => {
  const env = { HOME: '/root', EMPTY: '' }
  t.equal(expandEnvString('${HOME}/x', env), '/root/x')
  t.equal(expandEnvString('a ${NOPE} b', env), 'a  b', 'unset variable: empty, as in Falco')
  t.equal(expandEnvString('$${HOME}', env), '${HOME}', 'escape')
  t.equal(expandEnvString('$${HOME} and ${HOME}', env), '${HOME} and /root')
  t.equal(expandEnvString('cost $5 ${HOME}', env), 'cost $5 /root', 'a lone $ stays')
  t.equal(expandEnvString('${HOME', env), '${HOME', 'no closing brace: left as is')
  t.equal(expandEnvString('${X}', { X: '${HOME}' }), '${HOME}', 'an expanded value is not expanded again')
})

t.test('json_output: ${JSON_OUT} with JSON_OUT=true is a boolean; numbers and yes/no too', async (t) => {
  const dir = t.testdir({
    'falco.yaml': `
json_output: \${JSON_OUT}
json_include_tags_property: "no"
webserver:
  listen_port: \${ADMIN_PORT}
priority: \${PRIO}
http_output:
  enabled: true
  url: "http://\${SIDEKICK}:2801/"
  user_agent: "$\${literal}"
`
  })
  const c = loadConfig({ file: path.join(dir, 'falco.yaml'), env: { JSON_OUT: 'true', ADMIN_PORT: '8799', PRIO: 'warning', SIDEKICK: 'falcosidekick' } })
  t.equal(c.json.enabled, true)
  t.equal(c.json.includeTags, false, '"no" reads as false, as yaml-cpp does')
  t.equal(c.admin.port, 8799)
  t.equal(c.minPriority, 4)
  t.equal(c.outputs.http.url, 'http://falcosidekick:2801/')
  t.equal(c.outputs.http.userAgent, '${literal}', '$${ escape')
  const bad = t.testdir({ 'falco.yaml': 'json_output: ${JSON_OUT}\n' })
  const err = t.throws(() => loadConfig({ file: path.join(bad, 'falco.yaml'), env: { JSON_OUT: 'maybe' } })) as ConfigError
  t.equal(err.code, 'ERR_CONFIG_INVALID')
  t.match(err.message, /json_output: expected a boolean/)
  t.match(err.location, { pos: { line: 1 } })
})

t.test('config_files: a directory of files in name order, with append, override and add-only', async (t) => {
  const dir = t.testdir({
    'falco.yaml': `
rules_files: [a.yaml]
json_output: false
priority: debug
webserver:
  listen_port: 8001
  k8s_healthz_endpoint: /hz
rules:
  - disable: {rule: "A*"}
config_files:
  - config.d
  - path: override.yaml
    strategy: override
  - path: addonly.yaml
    strategy: add-only
`,
    'config.d': {
      '10-rules.yaml': 'rules_files: [b.yaml]\nrules:\n  - enable: {tag: k8s}\njson_output: true\n',
      '20-web.yaml': 'webserver:\n  listen_port: 8002\n',
      '.hidden.yaml': 'priority: emergency\n'
    },
    'override.yaml': 'rules_files: [c.yaml]\n',
    'addonly.yaml': 'priority: error\nrule_matching: all\njson_output: false\n'
  })
  const c = loadConfig({ file: path.join(dir, 'falco.yaml') })
  t.same(c.rulesPaths, [path.join(dir, 'c.yaml')], 'override replaces the list that append had extended')
  t.same(c.selection, [{ disable: { rule: 'A*' } }, { enable: { tag: 'k8s' } }], 'append: lists appended')
  t.equal(c.json.enabled, true, 'append: scalars replaced; add-only does not touch an existing key')
  t.equal(c.admin.port, 8002)
  t.equal(c.admin.healthzPath, '/healthz', 'root-key level: webserver from config.d replaced the whole section')
  t.equal(c.minPriority, 7, 'add-only: priority exists, kept; hidden files are not read')
  t.equal(c.ruleMatching, 'all', 'add-only: a new key is added')
  t.same(c.loadedConfigFiles, ['falco.yaml', 'config.d/10-rules.yaml', 'config.d/20-web.yaml', 'override.yaml', 'addonly.yaml'].map((f) => path.join(dir, f)))
  t.same(c.configFiles.map((e) => e.strategy), ['append', 'override', 'add-only'])
})

t.test('config_files: the ConfigMap volume layout (..data symlink) is read once, through the links', async (t) => {
  const dir = t.testdir({ 'falco.yaml': 'config_files: [config.d]\n', 'config.d': {} })
  const cd = path.join(dir, 'config.d')
  mkdirSync(path.join(cd, '..2026_01_01'))
  writeFileSync(path.join(cd, '..2026_01_01', 'out.yaml'), 'json_output: true\n')
  symlinkSync('..2026_01_01', path.join(cd, '..data'))
  symlinkSync('..data/out.yaml', path.join(cd, 'out.yaml'))
  const c = loadConfig({ file: path.join(dir, 'falco.yaml') })
  t.equal(c.json.enabled, true)
  t.same(c.loadedConfigFiles, [path.join(dir, 'falco.yaml'), path.join(cd, 'out.yaml')])
})

t.test('config_files errors name the included file; nested config_files is ignored with a warning; -o wins', async (t) => {
  const dir = t.testdir({
    'falco.yaml': 'config_files: [extra.yaml]\n',
    'extra.yaml': 'json_output: true\nconfig_files: [more.yaml]\nwebserver:\n  listen_port: nope\n'
  })
  const err = t.throws(() => loadConfig({ file: path.join(dir, 'falco.yaml') })) as ConfigError
  t.equal(err.code, 'ERR_CONFIG_INVALID')
  t.equal(err.location?.file, path.join(dir, 'extra.yaml'), 'the position is in the file that holds the value')
  t.match(err.location, { pos: { line: 4 } })
  writeFileSync(path.join(dir, 'extra.yaml'), 'json_output: true\nconfig_files: [more.yaml]\n')
  const c = loadConfig({ file: path.join(dir, 'falco.yaml'), overrides: ['json_output=false'] })
  t.equal(c.json.enabled, false, '-o applies after config_files')
  t.ok(c.warnings.some((w) => w.includes('cannot include others')))
  const missing = t.testdir({ 'falco.yaml': 'config_files: [nothere.d]\n' })
  t.throws(() => loadConfig({ file: path.join(missing, 'falco.yaml') }), { code: 'ERR_CONFIG_READ' })
  const badStrategy = t.testdir({ 'falco.yaml': 'config_files: [{path: x.yaml, strategy: merge}]\n', 'x.yaml': '' })
  t.throws(() => loadConfig({ file: path.join(badStrategy, 'falco.yaml') }), { code: 'ERR_CONFIG_INVALID', message: /config_files\[0\]\.strategy/ })
  const cfg = loadConfig({ file: path.join(dir, 'falco.yaml'), overrides: ['config_files=[]'] })
  t.equal(cfg.json.enabled, false, '-o config_files=[] reads no included file')
})

t.test('append_output, static_fields, outputs_queue, output_timeout, metrics resolve', async (t) => {
  const dir = t.testdir({
    'falco.yaml': `
append_output:
  - match:
      source: k8s_audit
      tags: [k8s, pci]
    extra_output: "cluster=%static.cluster"
    extra_fields:
      - ka.verb
      - home: "\${HOME}"
  - suggested_output: true
static_fields:
  cluster: \${CLUSTER}
  zone: 3
outputs_queue:
  capacity: 500
output_timeout: 2000
metrics:
  enabled: true
  interval: 1m30s
  output_rule: true
`
  })
  const c = loadConfig({ file: path.join(dir, 'falco.yaml'), env: { HOME: '/home/x', CLUSTER: 'prod-eu' } })
  t.same(c.appendOutput, [
    { tags: ['k8s', 'pci'], source: 'k8s_audit', extraOutput: 'cluster=%static.cluster', extraFields: [{ key: 'ka.verb', field: 'ka.verb' }, { key: 'home', template: '/home/x' }], suggestedOutput: false },
    { tags: [], extraFields: [], suggestedOutput: true }
  ])
  t.same(c.staticFields, { cluster: 'prod-eu', zone: '3' })
  t.equal(c.outputs.queueSize, 500)
  t.equal(c.outputs.program.timeoutMs, 2000, 'output_timeout bounds a program run or batch write unless lanner.outputs.program_timeout_ms is set')
  t.equal(c.outputs.http.timeoutMs, 2000, 'output_timeout bounds an HTTP delivery unless lanner.outputs.http_timeout_ms is set')
  t.match(c.metrics, { enabled: true, intervalMs: 90000, outputRule: true, rulesCounters: true, resourceUtilization: true })
  const d = loadConfig({})
  t.same(d.appendOutput, [], 'without append_output: nothing appended, as in Falco (configuration.cpp reads an optional sequence; the shipped falco.yaml is what enables suggested_output)')
  t.equal(d.metrics.enabled, false)
  t.equal(d.outputs.queueSize, DEFAULTS.outputQueueSize)
  t.throws(() => loadConfig({ overrides: ['metrics.interval=soon'] }), { code: 'ERR_CONFIG_INVALID', message: /metrics\.interval/ })
})

t.test('removed keys: outputs.rate/max_burst and grpc are accepted with one clear warning each', async (t) => {
  const c = loadConfig({ overrides: ['outputs={rate: 1, max_burst: 1000}', 'grpc={enabled: true, bind_address: "unix:///run/falco/falco.sock"}', 'grpc_output={enabled: true}', 'outputs_queue.capacity=0'] })
  t.equal(c.warnings.filter((w) => w.includes('outputs.rate')).length, 1)
  t.equal(c.warnings.filter((w) => w.includes('grpc')).length, 1)
  t.match(c.warnings.find((w) => w.includes('grpc')), /removed in Falco 0\.44/)
  t.ok(c.warnings.some((w) => w.includes('outputs_queue.capacity 0')))
})

t.test('k8saudit open_params: http(s) listens; file:// and a bare path name a file to replay', async (t) => {
  const dir = t.testdir({ 'falco.yaml': '' })
  const plugin = (open: string): string[] => ['load_plugins=[k8saudit]', `plugins=[{name: k8saudit, library_path: libk8saudit.so, open_params: "${open}", init_config: {useAsync: false, maxEventSize: "1048576"}}]`]
  const f = loadConfig({ file: path.join(dir, 'falco.yaml'), overrides: plugin('file:///var/log/audit.log') })
  t.equal(f.replayFile, '/var/log/audit.log')
  t.equal(f.webhook.maxEventBytes, 1048576, 'a quoted number in init_config reads as a number')
  // written in the file, a bare path is the file's; typed with -o, the working directory's (as every -o path)
  writeFileSync(path.join(dir, 'in-file.yaml'), 'load_plugins: [k8saudit]\nplugins: [{name: k8saudit, library_path: libk8saudit.so, open_params: "audit/events.json"}]\n')
  const b = loadConfig({ file: path.join(dir, 'in-file.yaml') })
  t.equal(b.replayFile, path.join(dir, 'audit/events.json'), 'a bare relative path resolves against the config file')
  const bo = loadConfig({ file: path.join(dir, 'falco.yaml'), cwd: '/srv', overrides: plugin('audit/events.json') })
  t.equal(bo.replayFile, '/srv/audit/events.json', 'a bare relative path given with -o resolves against the working directory')
  const h = loadConfig({ file: path.join(dir, 'falco.yaml'), overrides: plugin('http://:9800/k8s-audit') })
  t.equal(h.replayFile, undefined)
  t.equal(h.webhook.port, 9800)
  t.throws(() => loadConfig({ overrides: plugin('ftp://x/y') }), { code: 'ERR_CONFIG_INVALID' })
  const u = loadConfig({ overrides: ['plugins=[{name: k8saudit, library_path: x, init_config: {sslCertificat: /x.pem}}]'] })
  t.ok(u.warnings.some((w) => w.includes('init_config.sslCertificat')), 'a misspelt init_config key is named')
})

t.test('docs/falco-compatibility.md has a row for every Falco 0.44 key; ignored keys are warned with the reason', async (t) => {
  const doc = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'falco-compatibility.md'), 'utf8')
  const table = doc.slice(doc.indexOf('## falco.yaml keys (Falco 0.44)'))
  for (const k of FALCO_044_KEYS) t.match(table, new RegExp('^\\| [^|]*`' + k.key + '`', 'm'), `row for ${k.key}`)
  const c = loadConfig({ overrides: ['syslog_output={enabled: true}', 'base_syscalls={custom_set: [clone]}', 'log_syslog=true', 'nonsense_key=1'] })
  t.ok(c.warnings.includes("config key 'syslog_output' is ignored: Lanner has no syslog output; use program_output (e.g. `logger -t falco`) or collect stdout"))
  t.ok(c.warnings.some((w) => w.startsWith("config key 'base_syscalls' is ignored:")))
  t.ok(c.warnings.some((w) => w.startsWith("config key 'log_syslog' is ignored:")))
  t.ok(c.warnings.includes("config key 'nonsense_key' is not used by Lanner and is ignored"))
})

t.test('an invalid item appended to a list by config_files is reported in its own file, at its own line', async (t) => {
  const dir = t.testdir({
    'falco.yaml': 'rules:\n  - disable: {rule: a}\n  - enable: {tag: b}\nconfig_files: [more.yaml]\n',
    'more.yaml': '# appended\nrules:\n  - disable: {tag: c}\n  - bogus: {rule: d}\n'
  })
  const err = t.throws(() => loadConfig({ file: path.join(dir, 'falco.yaml') })) as ConfigError
  t.equal(err.code, 'ERR_CONFIG_INVALID')
  t.equal(err.location?.file, path.join(dir, 'more.yaml'))
  t.match(err.location, { pos: { line: 4 }, itemName: 'rules[3]' }, 'item 3 of the merged list is item 1 of more.yaml, on its line 4')
})
