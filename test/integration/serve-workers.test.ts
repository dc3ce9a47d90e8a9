// `lanner serve` with evaluation workers (lanner.eval_workers: 2): alerts still reach the
// outputs, a SIGHUP reload reaches every worker, SIGTERM exits 0.
import t from 'tap'
import http from 'node:http'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { spawnLanner } from './cli-child.ts'
import { auditEvent, createRule, eventList } from '../app/fixtures.ts'

async function until<T> (get: () => T | undefined | false, what: string, limitMs = 20000): Promise<T> {
  const start = Date.now()
  for (;;) {
    const v = get()
    if (v !== undefined && v !== false) return v
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function post (url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => { res.resume(); res.on('end', () => { resolve(res.statusCode ?? 0) }) })
    req.on('error', reject)
    req.end(body)
  })
}

t.test('serve with two evaluation workers', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const alerts = path.join(dir, 'alerts.jsonl')
  const child = spawnLanner(['serve', '-r', path.join(dir, 'rules.yaml'), '-o', 'json_output=true', '-o', 'stdout_output.enabled=false',
    '-o', `file_output={enabled: true, filename: "${alerts}"}`, '-o', 'webserver.enabled=false', '-o', 'watch_config_files=false',
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'lanner.eval_workers=2'])
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const exited = new Promise<number | null>((resolve) => { child.on('close', (code) => { resolve(code) }) })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const line = await until(() => stderr.split('\n').find((l) => l.includes('"audit webhook listening"')), 'the webhook')
  const info = JSON.parse(line)
  t.equal(info.evalWorkers, 2)
  const url = `http://127.0.0.1:${info.port}/k8s-audit`
  const codes = await Promise.all([1, 2, 3, 4].map((i) => post(url, eventList([auditEvent({ name: `w${i}` }), auditEvent({ verb: 'get' })]))))
  t.same(codes, [200, 200, 200, 200])
  const rulesOf = (): string[] => { try { return readFileSync(alerts, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).rule) } catch { return [] } }
  await until(() => rulesOf().length === 4, 'four alerts')

  writeFileSync(path.join(dir, 'rules.yaml'), createRule('After Reload'))
  child.kill('SIGHUP')
  await until(() => stderr.includes('"rules reloaded"'), 'the reload')
  const again = await Promise.all([1, 2, 3, 4].map((i) => post(url, eventList([auditEvent({ name: `r${i}` })]))))
  t.same(again, [200, 200, 200, 200])
  child.kill('SIGTERM')
  t.equal(await exited, 0)
  const rules = rulesOf()
  t.same(rules.slice(4), ['After Reload', 'After Reload', 'After Reload', 'After Reload'], 'both workers use the reloaded rules')
})
