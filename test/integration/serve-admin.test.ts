// `lanner serve` honours falco.yaml's `webserver` block for the admin server: the liveness path
// from k8s_healthz_endpoint, no /metrics with prometheus_metrics_enabled: false, and no admin
// server at all with enabled: false. Real child processes, real loopback HTTP.
import t from 'tap'
import net from 'node:net'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { DEFAULTS } from '../../src/config/defaults.ts'
import { adminPort as adminPortOf, request, startServe, untilServing, webhookListening } from '../helpers/serve-child.ts'
import { postAsApiserver } from '../helpers/apiserver-client.ts'
import { auditEvent, createRule } from '../app/fixtures.ts'

function writeConfig (dir: string, webserver: string): string {
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, `
rules_files: [rules.yaml]
watch_config_files: false
stdout_output: {enabled: false}
webserver: ${webserver}
plugins:
  - name: k8saudit
    open_params: "http://127.0.0.1:0/k8s-audit"
`)
  return file
}

/** A loopback port that was free a moment ago (bound, then released). */
async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

t.test('k8s_healthz_endpoint moves liveness; prometheus_metrics_enabled: false makes /metrics a 404', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const file = writeConfig(dir, '{enabled: true, listen_address: 127.0.0.1, listen_port: 0, k8s_healthz_endpoint: /health, prometheus_metrics_enabled: false}')
  const serve = startServe(t, ['serve', '-c', file])
  await webhookListening(serve)
  const admin = `http://127.0.0.1:${await adminPortOf(serve)}`

  t.equal((await request(`${admin}/health`)).status, 200, 'liveness at the configured path')
  const oldHealthz = await request(`${admin}${DEFAULTS.healthzPath}`)
  t.equal(oldHealthz.status, 404, 'the default liveness path is not served')
  t.equal(JSON.parse(oldHealthz.body).code, 'ERR_WEBHOOK_NOT_FOUND')
  t.equal((await request(`${admin}${DEFAULTS.readyzPath}`)).status, 200, 'readiness is unaffected')
  const metrics = await request(`${admin}${DEFAULTS.metricsPath}`)
  t.equal(metrics.status, 404, 'no metrics endpoint')
  t.equal(JSON.parse(metrics.body).code, 'ERR_WEBHOOK_NOT_FOUND')
})

t.test('the defaults from defaults.ts: liveness, readiness and metrics all served', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const serve = startServe(t, ['serve', '-c', writeConfig(dir, '{listen_address: 127.0.0.1, listen_port: 0}')])
  await webhookListening(serve)
  const admin = `http://127.0.0.1:${await adminPortOf(serve)}`
  t.equal((await request(`${admin}${DEFAULTS.healthzPath}`)).status, 200)
  t.equal((await request(`${admin}${DEFAULTS.readyzPath}`)).status, 200)
  const metrics = await request(`${admin}${DEFAULTS.metricsPath}`)
  t.equal(metrics.status, 200)
  t.match(metrics.body, /# TYPE lanner_/)
})

t.test('webserver.enabled: false starts no admin server; the webhook still runs', async (t) => {
  const port = await freePort()
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const serve = startServe(t, ['serve', '-c', writeConfig(dir, `{enabled: false, listen_address: 127.0.0.1, listen_port: ${port}}`)])
  const { port: webhookPort } = await webhookListening(serve)
  await untilServing(serve, () => serve.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('admin server disabled')), 'the admin-disabled notice')
  t.notOk(serve.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('admin server listening')), 'no admin listening record')
  await t.rejects(request(`http://127.0.0.1:${port}${DEFAULTS.healthzPath}`), { code: 'ECONNREFUSED' }, 'nothing listens on the configured admin port')
  // a real one-event batch: the apiserver never sends an empty one
  t.equal((await postAsApiserver(`http://127.0.0.1:${webhookPort}/k8s-audit`, [auditEvent({ name: 'cm-admin-off' })])).status, 200, 'the webhook answers')
})
