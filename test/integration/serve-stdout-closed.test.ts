// `lanner serve | jq`, and jq exits: the alert stream's reader is gone. Serving must go on: the
// webhook keeps answering 200 after evaluating, the other outputs keep receiving every alert, the
// lost stdout lines are counted (lanner_output_failures_total) and logged, and SIGTERM exits 0.
import t from 'tap'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { adminPort as adminPortOf, request, startServe, until, webhookListening } from '../helpers/serve-child.ts'
import { postAsApiserver } from '../helpers/apiserver-client.ts'
import { auditEvent, createRule } from '../app/fixtures.ts'

t.test('serve: stdout closed by its reader (EPIPE) does not stop the instance', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const alertsFile = path.join(dir, 'alerts.jsonl')
  const serve = startServe(t, ['serve', '-r', path.join(dir, 'rules.yaml'), '-o', 'json_output=true',
    '-o', `file_output={enabled: true, filename: "${alertsFile}"}`,
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver={listen_address: 127.0.0.1, listen_port: 0}'])
  const { child, logs } = serve
  const { port } = await webhookListening(serve)
  const adminPort = await adminPortOf(serve)
  const webhook = `http://127.0.0.1:${port}/k8s-audit`

  t.equal((await postAsApiserver(webhook, [auditEvent({ name: 'before' })])).status, 200)
  await until(() => serve.stdout().includes('before'), 'the first alert on stdout')
  // the reader exits: our end of the child's stdout pipe closes
  child.stdout.destroy()

  for (let i = 0; i < 5; i++) {
    const res = await postAsApiserver(webhook, [auditEvent({ name: `after-${i}` })])
    t.equal(res.status, 200, `batch ${i} after stdout closed is still evaluated and answered`)
  }
  const fileLines = (): string[] => { try { return readFileSync(alertsFile, 'utf8').trim().split('\n') } catch { return [] } }
  await until(() => fileLines().length === 6, 'every alert in the file output')
  const failures = async (): Promise<number> => {
    const m = /lanner_output_failures_total\{output="stdout"\} (\d+)/.exec((await request(`http://127.0.0.1:${adminPort}/metrics`)).body)
    return Number(m?.[1] ?? 0)
  }
  // polled one request at a time, so no request is left in flight when the instance stops
  const counted = await until(async () => { const n = await failures(); return n >= 5 && n }, 'the five lost stdout lines to be counted')
  t.equal(counted, 5, 'the five lost stdout lines are counted as output failures')
  t.ok(logs.some((l) => l.code === 'ERR_OUTPUT_FAILED' && l.output === 'stdout'), 'the failure is logged with its code')
  t.equal(child.exitCode, null, 'still running')

  child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null }, 'SIGTERM exits 0')
})
