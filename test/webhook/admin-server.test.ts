// The admin server: /healthz, /readyz (503 until rules are loaded), /metrics (Prometheus text),
// 404 elsewhere; the paths are options (metrics may be off); over HTTP and HTTPS on its own port.
import t from 'tap'
import { DEFAULTS } from '../../src/config/defaults.ts'
import { createAdminServer, type AdminDeps, type AdminOptions } from '../../src/webhook/index.ts'
import { request } from '../helpers/apiserver-client.ts'
import { createTestPki } from '../helpers/certs.ts'
import { recordingLogger } from './fakes.ts'

const PROM_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
const METRICS = '# HELP lanner_events_total Events\n# TYPE lanner_events_total counter\nlanner_events_total 42\n'
/** the paths the app passes by default, from src/config/defaults.ts */
const PATHS = { healthzPath: DEFAULTS.healthzPath, readyzPath: DEFAULTS.readyzPath, metricsPath: DEFAULTS.metricsPath }

async function startAdmin (t: { teardown(fn: () => unknown): void }, deps: Partial<AdminDeps> = {}, tls?: AdminOptions['tls'], paths: Partial<AdminOptions> = {}) {
  const server = await createAdminServer({ host: '127.0.0.1', port: 0, ...PATHS, ...paths, tls }, {
    isReady: () => true,
    metricsText: async () => METRICS,
    metricsContentType: PROM_TYPE,
    logger: recordingLogger(),
    ...deps
  })
  t.teardown(() => server.close())
  return { server, base: `${tls === undefined ? 'http' : 'https'}://${tls === undefined ? '127.0.0.1' : 'localhost'}:${server.port}` }
}

t.test('/readyz is 503 before rules are loaded and 200 after', async (t) => {
  let ready = false
  const { base } = await startAdmin(t, { isReady: () => ready })
  const before = await request(`${base}/readyz`)
  t.equal(before.status, 503)
  ready = true
  const after = await request(`${base}/readyz`)
  t.equal(after.status, 200)
})

t.test('/healthz is 200 when live (the default) and 503 when isLive says otherwise', async (t) => {
  const a = await startAdmin(t)
  t.equal((await request(`${a.base}/healthz`)).status, 200)
  t.equal((await request(`${a.base}/healthz`, { method: 'HEAD' })).status, 200, 'HEAD works for probes')
  let live = false
  const b = await startAdmin(t, { isLive: () => live })
  t.equal((await request(`${b.base}/healthz`)).status, 503)
  live = true
  t.equal((await request(`${b.base}/healthz`)).status, 200)
})

t.test('/metrics serves metricsText() with its content type', async (t) => {
  const { base } = await startAdmin(t)
  const res = await request(`${base}/metrics`)
  t.equal(res.status, 200)
  t.equal(res.headers['content-type'], PROM_TYPE)
  t.equal(res.body, METRICS)
})

t.test('/metrics is 500 ERR_ADMIN_METRICS when collecting fails', async (t) => {
  const { base } = await startAdmin(t, { metricsText: async () => { throw new Error('registry broken') } })
  const res = await request(`${base}/metrics`)
  t.equal(res.status, 500)
  t.equal(JSON.parse(res.body).code, 'ERR_ADMIN_METRICS')
})

t.test('anything else is 404, including the webhook path', async (t) => {
  const { base } = await startAdmin(t)
  for (const path of ['/', '/k8s-audit', '/metrics/x', '/ready']) {
    const res = await request(`${base}${path}`)
    t.equal(res.status, 404, path)
    t.equal(JSON.parse(res.body).code, 'ERR_WEBHOOK_NOT_FOUND', path)
  }
})

t.test('the paths are options: a custom liveness path (k8s_healthz_endpoint) replaces /healthz', async (t) => {
  const { base } = await startAdmin(t, {}, undefined, { healthzPath: '/health', readyzPath: '/ready-now', metricsPath: '/prom' })
  t.equal((await request(`${base}/health`)).status, 200)
  t.equal((await request(`${base}/health`, { method: 'HEAD' })).status, 200, 'HEAD works for probes')
  t.equal((await request(`${base}/ready-now`)).status, 200)
  const prom = await request(`${base}/prom`)
  t.equal(prom.status, 200)
  t.equal(prom.body, METRICS)
  for (const path of [DEFAULTS.healthzPath, DEFAULTS.readyzPath, DEFAULTS.metricsPath]) {
    const res = await request(`${base}${path}`)
    t.equal(res.status, 404, `${path} is not served any more`)
    t.equal(JSON.parse(res.body).code, 'ERR_WEBHOOK_NOT_FOUND')
    t.match(JSON.parse(res.body).message, /try \/health, \/ready-now, \/prom$/, 'the 404 names the paths actually served')
  }
})

t.test('metricsPath undefined (prometheus_metrics_enabled: false): /metrics is 404, metricsText is never called', async (t) => {
  let collected = 0
  const { base } = await startAdmin(t, { metricsText: async () => { collected++; return METRICS } }, undefined, { metricsPath: undefined })
  const res = await request(`${base}${DEFAULTS.metricsPath}`)
  t.equal(res.status, 404)
  t.equal(JSON.parse(res.body).code, 'ERR_WEBHOOK_NOT_FOUND')
  t.match(JSON.parse(res.body).message, /; try \/healthz, \/readyz$/, 'the 404 does not suggest a metrics path')
  t.equal(collected, 0)
  t.equal((await request(`${base}${DEFAULTS.healthzPath}`)).status, 200, 'health and readiness still served')
  t.equal((await request(`${base}${DEFAULTS.readyzPath}`)).status, 200)
})

t.test('over HTTPS', async (t) => {
  const pki = await createTestPki()
  t.teardown(() => pki.remove())
  const { base } = await startAdmin(t, {}, { cert: pki.serverCombined, clientAuth: 'none' })
  const res = await request(`${base}/readyz`, { ca: pki.caCert })
  t.equal(res.status, 200)
})

t.test('close() frees the port', async (t) => {
  const server = await createAdminServer({ host: '127.0.0.1', port: 0, ...PATHS }, { isReady: () => true, metricsText: async () => '', metricsContentType: PROM_TYPE })
  await server.close()
  await t.rejects(request(`http://127.0.0.1:${server.port}/healthz`), { code: 'ECONNREFUSED' })
})

t.test("host '' listens on every interface, loopback included", async (t) => {
  const server = await createAdminServer({ host: '', port: 0, ...PATHS }, { isReady: () => true, metricsText: async () => '', metricsContentType: PROM_TYPE })
  t.teardown(() => server.close())
  t.equal((await request(`http://127.0.0.1:${server.port}/healthz`)).status, 200)
})

t.test('/version answers the version object as JSON, and the 404 lists it among the served paths', async (t) => {
  const version = { version: '0.1.0', node: 'v22.0.0', platform: 'linux/x64' }
  const { base } = await startAdmin(t, { version })
  const res = await request(`${base}/version`)
  t.equal(res.status, 200)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.same(JSON.parse(res.body), version)
  const missing = await request(`${base}/nope`)
  t.equal(missing.status, 404)
  t.match(JSON.parse(missing.body).message, /; try \/healthz, \/readyz, \/metrics, \/version$/)
  const without = await startAdmin(t)
  t.equal((await request(`${without.base}/version`)).status, 404, 'not served when no version is given')
})

t.test('a port already in use: createAdminServer rejects with EADDRINUSE, and the port stays with its owner', async (t) => {
  const { server: owner, base } = await startAdmin(t)
  await t.rejects(createAdminServer({ host: '127.0.0.1', port: owner.port, ...PATHS }, { isReady: () => false, metricsText: async () => '', metricsContentType: PROM_TYPE }),
    { code: 'EADDRINUSE' })
  t.equal((await request(`${base}/readyz`)).status, 200, 'the first server still answers (the failed one never took over)')
})
