// Smoke set on the built product, as the image runs it: tsc's dist/ + bin/lanner.js, NODE_ENV
// production, no tsx (test/helpers/built-cli.ts builds it). Version, rules validation of Falco's
// upstream k8s_audit_rules.yaml (../shared), and `lanner serve` taking real audit events as
// kube-apiserver sends them (EventList without per-item kind), evaluated in the compiled eval
// workers, alerts in the file output, SIGTERM exit 0.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { builtLanner } from '../helpers/built-cli.ts'
import { runLanner } from './cli-child.ts'
import { request, startServe, until, webhookListening, adminPort } from '../helpers/serve-child.ts'
import { encodeEventList, loadAuditSamples } from '../helpers/apiserver-client.ts'

const UPSTREAM = fileURLToPath(new URL('../../../shared/reference/k8saudit/k8s_audit_rules.yaml', import.meta.url))
// the whole product is compiled here (tsc) before the first test: on a loaded machine that alone
// can take a minute, so this file gets more than the runner's 120 s (a bound, never a wait)
t.setTimeout(300_000)
const bin = await builtLanner()

t.test('the built CLI runs from dist/ without tsx: --version and rules validate', async (t) => {
  const version = await runLanner(['--version'], { built: bin })
  t.equal(version.code, 0)
  t.match(version.stdout, /^lanner 0\.1\.0 \(node v\d+/, 'the version read from the app\'s package.json')
  const ok = await runLanner(['rules', 'validate', UPSTREAM], { built: bin })
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, /k8s_audit_rules\.yaml: Ok/)
  const bad = await runLanner(['rules', 'validate', '/nonexistent/rules.yaml'], { built: bin })
  t.not(bad.code, 0, 'a missing rules file fails')
})

t.test('the built serve: real audit events over the webhook, evaluated in compiled eval workers, alerts out, SIGTERM exit 0', async (t) => {
  const dir = t.testdir({
    'rules.yaml': `- rule: Any Exec Into Pod
  desc: "kubectl exec seen by the audit webhook (kubectl 1.31 execs over a websocket: verb get)"
  condition: ka.target.subresource = exec
  output: "exec into %ka.target.namespace/%ka.target.name by %ka.user.name"
  priority: NOTICE
  source: k8s_audit
`
  })
  const alertsFile = path.join(dir, 'alerts.jsonl')
  writeFileSync(path.join(dir, 'falco.yaml'), `
json_output: true
rules_files: [${UPSTREAM}, rules.yaml]
watch_config_files: false
stdout_output: {enabled: false}
file_output: {enabled: true, keep_alive: true, filename: alerts.jsonl}
webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0}
lanner:
  eval_workers: 2
  webhook: {listen: "127.0.0.1:0"}
`)
  const serve = startServe(t, ['serve', '-c', path.join(dir, 'falco.yaml')], { built: bin })
  const listening = await webhookListening(serve, 60_000)
  t.equal(listening.evalWorkers, 2, 'evaluation runs in worker threads')
  const admin = await adminPort(serve)
  t.equal((await request(`http://127.0.0.1:${admin}/healthz`)).status, 200)

  const samples = loadAuditSamples().map((s) => s.event)
  const execs = samples.filter((e) => (e.objectRef as { subresource?: string } | undefined)?.subresource === 'exec')
  t.ok(execs.length > 0, 'the samples hold a kubectl exec')
  const res = await request(`http://127.0.0.1:${listening.port}/k8s-audit`, { method: 'POST', body: encodeEventList(samples) })
  t.equal(res.status, 200, res.body)
  t.match(JSON.parse(res.body), { accepted: samples.length, rejected: 0 }, 'every real event decoded')

  const alerts = await until(() => {
    let text: string
    try { text = readFileSync(alertsFile, 'utf8') } catch { return undefined }
    const lines = text.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { rule: string, priority: string })
    return lines.filter((a) => a.rule === 'Any Exec Into Pod').length >= execs.length ? lines : undefined
  }, 'the exec alerts in the file output', 30_000).catch((err: unknown) => { t.comment(serve.stderr().slice(-3000)); throw err })
  t.ok(alerts.filter((a) => a.rule === 'Any Exec Into Pod').every((a) => a.priority === 'Notice'))
  serve.child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null }, 'SIGTERM exits 0')
})
