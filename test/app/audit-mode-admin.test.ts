// Audit mode with its admin server (falco.yaml `webserver.enabled: true`, Falco's default), run the
// way serve runs it (app/service.ts runService), over real sockets on loopback: the admin port is
// reported and answers /healthz and /readyz while the webhook serves, and both are closed by the
// stop; a webhook that cannot start takes the admin server it already started down with it, so
// a failed start leaves no port open.
import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { runService } from '../../src/app/service.ts'
import type { RunningMode } from '../../src/app/audit-mode/audit-mode.ts'
import { postAsApiserver, request } from '../helpers/apiserver-client.ts'
import { until } from '../helpers/serve-child.ts'
import { auditEvent, createRule } from './fixtures.ts'

async function instance (t: Test, falcoYaml: string) {
  const dir = t.testdir({ 'rules.yaml': createRule('Admin Mode Rule') })
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, falcoYaml)
  const config = loadConfig({ file })
  const alertsOut = new PassThrough()
  const alerts: string[] = []
  alertsOut.on('data', (b: Buffer) => alerts.push(...b.toString().trimEnd().split('\n')))
  const app = await buildApp(config, { stdout: alertsOut, logger: createLogger(config.log, new PassThrough()), defaultMetrics: false })
  t.teardown(async () => { await app.dispatcher.close(1000) })
  return { app, alerts }
}

async function listening (port = 0): Promise<net.Server> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve) })
  return server
}

async function closeServer (server: net.Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
}

t.test('serving with the admin server: its port reported, health and readiness while serving, both ports closed by the stop', async (t) => {
  const s = await instance(t, 'rules_files: [rules.yaml]\njson_output: true\nwebserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0}\nlanner: {webhook: {listen: "127.0.0.1:0"}}\n')
  let stop!: (sig: string) => void
  let mode!: RunningMode
  let onReady!: () => void
  const served = new Promise<void>((resolve) => { onReady = resolve })
  const run = runService(s.app, { onFatal: (l) => { t.fail(l) }, stopSignal: new Promise((resolve) => { stop = resolve }), onReady: (m) => { mode = m; onReady() } })
  // a failed assertion must not leave the instance serving (its probe, ports and timers)
  t.teardown(async () => { stop('SIGTERM'); await run.catch(() => 1) })
  await served
  t.type(mode.adminPort, 'number')
  t.not(mode.adminPort, mode.port, 'two servers')
  const admin = `http://127.0.0.1:${mode.adminPort ?? 0}`
  t.equal((await request(`${admin}/healthz`)).status, 200)
  t.equal((await request(`${admin}/readyz`)).status, 200, 'ready: rules loaded and serving')
  t.equal((await postAsApiserver(`http://127.0.0.1:${mode.port ?? 0}/k8s-audit`, [auditEvent()])).status, 200)
  await until(() => s.alerts.some((a) => (JSON.parse(a) as { rule: string }).rule === 'Admin Mode Rule'), 'the alert')
  stop('SIGTERM')
  t.equal(await run, 0)
  await t.rejects(request(`${admin}/healthz`), { code: 'ECONNREFUSED' }, 'the admin server is closed')
  await t.rejects(postAsApiserver(`http://127.0.0.1:${mode.port ?? 0}/k8s-audit`, [auditEvent()]), /ECONNREFUSED/, 'the webhook is closed')
})

t.test('a webhook port already taken: the start fails and the admin server it had started is closed', async (t) => {
  const taken = await listening()
  t.teardown(async () => { await closeServer(taken) })
  const webhookPort = (taken.address() as net.AddressInfo).port
  // a free port for the admin server, known in advance so that its release can be checked
  const probe = await listening()
  const adminPort = (probe.address() as net.AddressInfo).port
  await closeServer(probe)
  const s = await instance(t, `rules_files: [rules.yaml]\nwebserver: {enabled: true, listen_address: 127.0.0.1, listen_port: ${adminPort}}\nlanner: {webhook: {listen: "127.0.0.1:${webhookPort}"}}\n`)
  await t.rejects(runService(s.app, { onFatal: (l) => { t.fail(l) }, stopSignal: new Promise(() => {}) }), { code: 'EADDRINUSE' })
  const again = await listening(adminPort)
  t.equal((again.address() as net.AddressInfo).port, adminPort, 'the admin port is free again')
  await closeServer(again)
})
