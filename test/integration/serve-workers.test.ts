// `lanner serve` with evaluation workers (lanner.eval_workers: 2): alerts still reach the
// outputs, a SIGHUP reload reaches every worker, SIGTERM exits 0.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { startServe, until, webhookListening } from '../helpers/serve-child.ts'
import { postAsApiserver } from '../helpers/apiserver-client.ts'
import { auditEvent, createRule } from '../app/fixtures.ts'

t.test('serve with two evaluation workers', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const alerts = path.join(dir, 'alerts.jsonl')
  const serve = startServe(t, ['serve', '-r', path.join(dir, 'rules.yaml'), '-o', 'json_output=true', '-o', 'stdout_output.enabled=false',
    '-o', `file_output={enabled: true, filename: "${alerts}"}`, '-o', 'webserver.enabled=false', '-o', 'watch_config_files=false',
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'lanner.eval_workers=2'])
  const { child } = serve
  const info = await webhookListening(serve)
  t.equal(info.evalWorkers, 2)
  const url = `http://127.0.0.1:${info.port}/k8s-audit`
  const codes = await Promise.all([1, 2, 3, 4].map((i) => postAsApiserver(url, [auditEvent({ name: `w${i}` }), auditEvent({ verb: 'get' })]).then((a) => a.status)))
  t.same(codes, [200, 200, 200, 200])
  const rulesOf = (): string[] => { try { return readFileSync(alerts, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).rule) } catch { return [] } }
  await until(() => rulesOf().length === 4, 'four alerts')

  writeFileSync(path.join(dir, 'rules.yaml'), createRule('After Reload'))
  child.kill('SIGHUP')
  await until(() => serve.stderr().includes('"rules reloaded"'), 'the reload')
  const again = await Promise.all([1, 2, 3, 4].map((i) => postAsApiserver(url, [auditEvent({ name: `r${i}` })]).then((a) => a.status)))
  t.same(again, [200, 200, 200, 200])
  child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0)
  const rules = rulesOf()
  t.same(rules.slice(4), ['After Reload', 'After Reload', 'After Reload', 'After Reload'], 'both workers use the reloaded rules')
})
