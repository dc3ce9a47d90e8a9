// `lanner serve --dry-run` and start-up errors, through a real child process.
import t from 'tap'
import path from 'node:path'
import { runLanner } from '../integration/cli-child.ts'
import { createRule } from '../app/fixtures.ts'

t.test('--dry-run loads config and rules, prints a summary and exits 0', async (t) => {
  const dir = t.testdir({
    'rules.yaml': createRule('Dry Rule'),
    'falco.yaml': 'json_output: true\nrules_files: [rules.yaml]\nplugins:\n  - name: k8saudit\n    open_params: "http://:9999/audit"\n'
  })
  const r = await runLanner(['serve', '-c', path.join(dir, 'falco.yaml'), '--dry-run'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /source: k8s_audit/)
  t.match(r.stdout, /webhook: http:\/\/0\.0\.0\.0:9999\/audit/)
  t.match(r.stdout, /rules loaded: 1, active for k8s_audit: 1/)
  t.match(r.stdout, /outputs: stdout \(json\)/)
})

t.test('--dry-run with an invalid rules file exits 1 with file:line:col and the code', async (t) => {
  const dir = t.testdir({ 'bad.yaml': createRule('Bad', 'pods', ' and ka.no.such.field=1') })
  const r = await runLanner(['serve', '-r', path.join(dir, 'bad.yaml'), '--dry-run'])
  t.equal(r.code, 1)
  t.match(r.stderr, /bad\.yaml:3:\d+: RULE_COMPILE_UNKNOWN_FIELD: .*\n.*condition: .*\n +\^/, 'the precise code and a caret snippet')
})

t.test('--dry-run without rules uses the built-in default rules', async (t) => {
  const r = await runLanner(['serve', '--dry-run'])
  t.match(r.stdout, /k8s_audit_rules\.yaml \(built-in defaults\)/)
})

t.test('config errors exit 1 naming the key path and position; usage errors exit 2', async (t) => {
  const dir = t.testdir({ 'falco.yaml': 'webserver:\n  listen_port: [1]\n' })
  const bad = await runLanner(['serve', '-c', path.join(dir, 'falco.yaml'), '--dry-run'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /falco\.yaml:2:16: ERR_CONFIG_INVALID: webserver\.listen_port: /)
  const override = await runLanner(['serve', '-o', 'json_output', '--dry-run'])
  t.equal(override.code, 1)
  t.match(override.stderr, /ERR_CONFIG_OVERRIDE/)
  const conflict = await runLanner(['serve', '--source', 'syscall', '-o', 'plugins=[{name: k8saudit}]', '--dry-run'])
  t.equal(conflict.code, 1)
  t.match(conflict.stderr, /ERR_CONFIG_SOURCES/)
  const usage = await runLanner(['serve', '--frobnicate'])
  t.equal(usage.code, 2)
  t.match(usage.stderr, /ERR_CLI_USAGE/)
})

t.test('a rules error at start-up exits 1 before any port is opened', async (t) => {
  const dir = t.testdir({ 'bad.yaml': '- rule: [unclosed\n' })
  const r = await runLanner(['serve', '-r', path.join(dir, 'bad.yaml'), '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver.enabled=false'])
  t.equal(r.code, 1)
  t.match(r.stderr, /LOAD_ERR_YAML_PARSE/)
})

t.test('lanner.k8s is validated at start-up (ConfigMap rules options)', async (t) => {
  const r = await runLanner(['serve', '--dry-run', '-o', 'lanner.k8s.rules_configmaps=[{namespace: Bad_NS, name: x}]'])
  t.equal(r.code, 1)
  t.match(r.stderr, /ERR_CONFIG_INVALID: lanner\.k8s\.rules_configmaps\[0\]\.namespace/)
})
