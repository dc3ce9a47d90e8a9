// The admin server as falco.yaml's `webserver` section sets it up (app/start/admin.ts): HTTPS from
// ssl_certificate (one PEM with certificate and key, as Falco's), /metrics gone with
// prometheus_metrics_enabled: false, /readyz following the rules, the source and shutdown, and no
// server at all with enabled: false. Real files, real HTTP(S) on loopback.
import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp, type App } from '../../src/app/build.ts'
import { startAdmin, type AdminState } from '../../src/app/start/admin.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { createTestPki, type TestPki } from '../helpers/certs.ts'
import { request } from '../helpers/apiserver-client.ts'
import { createRule } from './fixtures.ts'

let pki: TestPki
t.before(async () => { pki = await createTestPki() })
t.teardown(async () => { await pki.remove() })

async function appWith (t: Test, webserver: string): Promise<{ app: App, logs: Array<Record<string, unknown>> }> {
  const dir = t.testdir({ 'rules.yaml': createRule('Admin Rule') })
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, `rules_files: [rules.yaml]\nwebserver: {listen_address: 127.0.0.1, listen_port: 0, ${webserver}}\n`)
  const config = loadConfig({ file })
  const logOut = new PassThrough()
  const logs: Array<Record<string, unknown>> = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app = await buildApp(config, { stdout: new PassThrough(), logger: createLogger(config.log, logOut), defaultMetrics: false })
  t.teardown(async () => { await app.dispatcher.close(1000) })
  return { app, logs }
}

t.test('HTTPS from ssl_certificate, no /metrics when prometheus_metrics_enabled is false', async (t) => {
  const { app } = await appWith(t, `ssl_enabled: true, ssl_certificate: ${pki.files.serverCombined}, prometheus_metrics_enabled: false`)
  t.equal((await app.rules.load()).ok, true)
  const admin = await startAdmin(app)
  t.teardown(async () => { await admin?.close() })
  const base = `https://localhost:${admin?.port ?? 0}`
  const health = await request(`${base}/healthz`, { ca: pki.caCert })
  t.equal(health.status, 200, 'served over TLS, verified against the CA')
  t.equal((await request(`${base}/readyz`, { ca: pki.caCert })).status, 200, 'rules loaded: ready')
  t.equal((await request(`${base}/metrics`, { ca: pki.caCert })).status, 404, '/metrics is not served')
  await t.rejects(request(`http://127.0.0.1:${admin?.port ?? 0}/healthz`), 'plain HTTP is not answered')
})

t.test('/readyz is 503 before the rules load, while the source is not ready, and once stopping', async (t) => {
  const { app } = await appWith(t, 'prometheus_metrics_enabled: true')
  let sourceReady = true
  let stopping = false
  const state: AdminState = { sourceReady: () => sourceReady, stopping: () => stopping }
  const admin = await startAdmin(app, state)
  t.teardown(async () => { await admin?.close() })
  const ready = async (): Promise<number> => (await request(`http://127.0.0.1:${admin?.port ?? 0}/readyz`)).status
  t.equal(await ready(), 503, 'no rules yet')
  t.equal((await app.rules.load()).ok, true)
  t.equal(await ready(), 200)
  sourceReady = false
  t.equal(await ready(), 503, 'the source is not delivering')
  sourceReady = true
  t.equal(await ready(), 200)
  stopping = true
  t.equal(await ready(), 503, 'shutting down')
  const metrics = await request(`http://127.0.0.1:${admin?.port ?? 0}/metrics`)
  t.equal(metrics.status, 200)
  t.match(metrics.body, /^lanner_rules_active\{source="k8s_audit"\} 1$/m, 'the app\'s own metrics')
})

t.test('webserver.enabled: false starts no server, and says so', async (t) => {
  const { app, logs } = await appWith(t, 'enabled: false')
  t.equal(await startAdmin(app), undefined)
  t.match(logs, [{ level: 30, msg: /^admin server disabled \(webserver\.enabled: false\)/ }])
})
