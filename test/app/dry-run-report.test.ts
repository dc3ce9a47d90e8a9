// What `lanner serve --dry-run` reports (app/start/dry-run.ts), through app/'s public surface the way
// cli/serve.ts runs it: a real falco.yaml read by loadConfig, the webhook files read by the
// preflight, the rules loaded from their paths. Which webhook a start would open and how it is
// authenticated, where audit events come from instead when open_params names a file, the outputs,
// config warnings, and the verdict (refused authentication, rules that do not load).
// The CLI around it (exit status, stdout/stderr): test/cli/serve-dry-run.test.ts.
import t from 'tap'
import path from 'node:path'
import { writeFileSync } from 'node:fs'
import { loadConfig } from '../../src/config/index.ts'
import { buildSources, dryRunReport, loadOptionsFrom, loadRulesFromPaths, webhookPreflight } from '../../src/app/index.ts'
import { createTestPki, type TestPki } from '../helpers/certs.ts'
import { createRule } from './fixtures.ts'

let pki: TestPki
t.before(async () => { pki = await createTestPki() })
t.teardown(async () => { await pki.remove() })

/** `falco.yaml` (in `dir`) → the report a dry run prints, as cli/serve.ts builds it. */
async function dryRun (dir: string, yaml: string): Promise<ReturnType<typeof dryRunReport> & { file: string }> {
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, yaml)
  const config = loadConfig({ file })
  const preflight = config.source === 'k8s_audit' && config.replayFile === undefined ? webhookPreflight(config) : undefined
  const sources = await buildSources(config)
  return { ...dryRunReport(config, await loadRulesFromPaths(config.rulesPaths, loadOptionsFrom(config, sources)), preflight), file }
}

t.test('mTLS + bearer token + Basic auth: https webhook, every way named, admin and outputs, ok', async (t) => {
  // the client CA is not the one that signed the serving certificate: nothing to refuse
  const dir = t.testdir({ 'rules.yaml': createRule('Dry Rule'), 'client-ca.pem': pki.rogueCert, token: 's3cret\n', password: 'pw\n' })
  const r = await dryRun(dir, `rules_files: [rules.yaml]
json_output: true
webserver:
  enabled: true
  listen_address: 127.0.0.1
  listen_port: 8765
plugins:
  - name: k8saudit
    open_params: "https://127.0.0.1:9443/audit"
lanner:
  webhook:
    tls: { cert: ${pki.files.serverCert}, key: ${pki.files.serverKey}, client_auth: require, ca: client-ca.pem }
    bearer_token_file: token
    basic_auth: { username: apiserver, password_file: password }
`)
  t.equal(r.ok, true, r.stderr.join('\n'))
  t.same(r.stderr, [], 'nothing to warn about')
  t.same(r.stdout, [
    `config: ${r.file}`,
    'source: k8s_audit',
    `rules: ${path.join(dir, 'rules.yaml')}`,
    'webhook: https://127.0.0.1:9443/audit',
    `webhook authentication: client certificate (require, CA ${path.join(dir, 'client-ca.pem')}) + bearer token + basic auth`,
    'admin: 127.0.0.1:8765',
    'outputs: stdout (json)',
    'rules loaded: 1, active for k8s_audit: 1',
    'ok'
  ])
})

t.test('plain HTTP without authentication: the warning on stderr, no admin line, no outputs, text', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('Dry Rule') })
  const r = await dryRun(dir, `rules_files: [rules.yaml]
stdout_output: { enabled: false }
webserver: { enabled: false }
engine: { kind: modern_ebpf }
plugins:
  - name: k8saudit
    open_params: "http://127.0.0.1:9765/k8s-audit"
`)
  t.equal(r.ok, true, 'a warning does not fail the dry run')
  t.match(r.stdout, ['config: ', 'source: k8s_audit', 'rules: ', 'webhook: http://127.0.0.1:9765/k8s-audit', 'webhook authentication: none', 'outputs: (none) (text)', 'rules loaded: 1, active for k8s_audit: 1', 'ok'])
  t.equal(r.stdout.length, 8, 'no admin line: the webserver is disabled')
  t.match(r.stderr, [
    /^warning: WARN_CONFIG_INSECURE: lanner\.webhook\.tls: the audit webhook serves plain HTTP without authentication/,
    /^warning: engine\.kind 'modern_ebpf' is ignored/
  ])
})

t.test('a bearer token over plain HTTP: the error, "refused", no "ok", not ok', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('Dry Rule'), token: 's3cret\n' })
  const r = await dryRun(dir, `rules_files: [rules.yaml]
webserver: { enabled: false }
lanner:
  webhook: { listen: "127.0.0.1:9765", bearer_token_file: token }
`)
  t.equal(r.ok, false)
  t.match(r.stdout, ['config: ', 'source: k8s_audit', 'rules: ', 'webhook: http://127.0.0.1:9765/', 'webhook authentication: bearer token', 'outputs: stdout (text)',
    'refused: the webhook authentication protects nothing (see the errors above)'])
  t.notOk(r.stdout.includes('ok'), 'the rules load, but a refused start is not ok')
  t.notOk(r.stdout.some((l) => l.startsWith('rules loaded')), 'no rules summary for a start that would be refused')
  t.match(r.stderr, [/^error: ERR_CONFIG_INSECURE: lanner\.webhook\.bearer_token_file: a bearer token over plain HTTP travels in clear/])
})

t.test('open_params naming a file: where the events come from, and no webhook at all', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('Dry Rule'), 'audit.log': '' })
  const r = await dryRun(dir, `rules_files: [rules.yaml]
webserver: { enabled: false }
plugins:
  - name: k8saudit
    open_params: audit.log
`)
  t.equal(r.ok, true, r.stderr.join('\n'))
  t.same(r.stdout.slice(3, 4), [`audit events from: ${path.join(dir, 'audit.log')} (read once, then exit; no webhook)`])
  t.notOk(r.stdout.some((l) => l.startsWith('webhook')), 'no webhook line: serve reads the file and exits')
  t.same(r.stderr, [], 'no webhook, so no finding about its authentication')
})

t.test('rules that do not load: each error with its position on stderr, the count on stdout, not ok', async (t) => {
  const dir = t.testdir({ 'bad.yaml': createRule('Bad', 'pods', ' and ka.no.such.field=1') })
  const r = await dryRun(dir, `rules_files: [bad.yaml]
webserver: { enabled: false }
lanner:
  webhook: { listen: "127.0.0.1:9765" }
`)
  t.equal(r.ok, false)
  t.equal(r.stdout.at(-1), 'rules failed to load: 1 error(s)')
  t.notOk(r.stdout.includes('ok'))
  t.match(r.stderr[0], /bad\.yaml:3:\d+: RULE_COMPILE_UNKNOWN_FIELD: /)
})

t.test('syscall source: no webhook lines, the syscall rules counted as active', async (t) => {
  const dir = t.testdir({
    'rules.yaml': '- rule: Shell\n  desc: d\n  condition: evt.type = execve and proc.name = bash\n  output: "shell (%proc.name)"\n  priority: NOTICE\n  source: syscall\n'
  })
  const r = await dryRun(dir, 'rules_files: [rules.yaml]\nwebserver: { enabled: false }\nlanner: { source: syscall }\n')
  t.equal(r.ok, true, r.stderr.join('\n'))
  t.same(r.stdout.slice(1), ['source: syscall', `rules: ${path.join(dir, 'rules.yaml')}`, 'outputs: stdout (text)', 'rules loaded: 1, active for syscall: 1', 'ok'])
})

t.test('no config file and no rules named: the defaults, and the built-in default rules', async (t) => {
  const config = loadConfig({ overrides: ['webserver.enabled=false'] })
  const sources = await buildSources(config)
  const r = dryRunReport(config, await loadRulesFromPaths(config.rulesPaths, loadOptionsFrom(config, sources)), webhookPreflight(config))
  t.equal(r.stdout[0], 'config: (defaults)')
  t.match(r.stdout[2], /^rules: \S+k8s_audit_rules\.yaml \(built-in defaults\)$/)
  t.equal(r.ok, true, r.stderr.join('\n'))
  t.match(r.stdout.at(-2), /^rules loaded: [1-9]\d*, active for k8s_audit: [1-9]\d*$/)
})
