// `lanner serve` with evaluation workers (lanner.eval_workers: 2): alerts still reach the
// outputs, a SIGHUP reload and a live config reload (priority, static_fields) reach every worker,
// SIGTERM exits 0.
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

t.test('serve with two evaluation workers: a live config reload (priority, static_fields) reaches every worker', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const alerts = path.join(dir, 'alerts.jsonl')
  const config = path.join(dir, 'falco.yaml')
  const base = `rules_files: [${path.join(dir, 'rules.yaml')}]
json_output: true
stdout_output: {enabled: false}
file_output: {enabled: true, filename: "${alerts}"}
webserver: {enabled: false}
watch_config_files: true
lanner: {eval_workers: 2, webhook: {listen: "127.0.0.1:0"}}
`
  writeFileSync(config, base)
  const serve = startServe(t, ['serve', '-c', config])
  const { child } = serve
  const info = await webhookListening(serve)
  t.equal(info.evalWorkers, 2)
  const url = `http://127.0.0.1:${info.port}/k8s-audit`
  const lines = (): Array<Record<string, any>> => { try { return readFileSync(alerts, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) } catch { return [] } }
  const post4 = async (tag: string): Promise<number[]> => await Promise.all([1, 2, 3, 4].map((i) => postAsApiserver(url, [auditEvent({ name: `${tag}${i}` })]).then((a) => a.status)))

  t.same(await post4('a'), [200, 200, 200, 200])
  await until(() => lines().length === 4, 'four alerts at the default priority')

  // priority: error drops the WARNING rule in every worker
  // reloads that changed the rules settings (a second event for the same write reloads nothing new)
  const reloads = (): number => serve.logs.filter((l) => l.msg === 'config reloaded' && l.rules === true).length
  // the config file is watched (watch_config_files: true), as falco.yaml in a ConfigMap is
  writeFileSync(config, base + 'priority: error\n')
  await until(() => reloads() === 1, 'the config reload')
  t.notOk(serve.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('config changed in settings that apply only at start')), 'no restart asked')
  t.same(await post4('b'), [200, 200, 200, 200], 'evaluated, below the new priority')

  // back to all priorities, with a static field appended to every alert
  writeFileSync(config, base + 'static_fields: {cluster: prod-eu}\nappend_output: [{extra_fields: [static.cluster]}]\n')
  await until(() => reloads() === 2, 'the second config reload')
  t.same(await post4('c'), [200, 200, 200, 200])
  await until(() => lines().length === 8, 'four more alerts')
  child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0)
  const all = lines()
  t.same(all.slice(0, 4).map((a) => a.output_fields?.['static.cluster']), [undefined, undefined, undefined, undefined], 'before: no static field')
  t.same(all.slice(4).map((a) => a.output_fields?.['static.cluster']), ['prod-eu', 'prod-eu', 'prod-eu', 'prod-eu'], 'after: both workers carry it')
  t.notOk(all.some((a) => /\bb[1-4]\b/.test(String(a.output))), 'nothing from the batches posted under priority: error')
})
