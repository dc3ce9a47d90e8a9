// What a hostile client can get out of the webhook and admin servers: answers that quote the
// request are JSON with nosniff (never renderable as HTML), and carry no stack traces.
import t from 'tap'
import { createAdminServer } from '../../src/webhook/index.ts'
import { DEFAULTS } from '../../src/config/defaults.ts'
import { request } from '../helpers/apiserver-client.ts'
import { recordingLogger, startWebhook } from './fakes.ts'

const HOSTILE_PATH = '/%3Cscript%3Ealert(1)%3C/script%3E'

t.test('webhook: a 404 for a script-like path is JSON with nosniff, and the path is only quoted in JSON', async (t) => {
  const w = await startWebhook(t)
  const res = await request(w.url.replace('/k8s-audit', '') + HOSTILE_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  t.equal(res.status, 404)
  t.match(res.headers['content-type'], /^application\/json/)
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  const body = JSON.parse(res.body)
  t.equal(body.code, 'ERR_WEBHOOK_NOT_FOUND')
  t.notOk('stack' in body, 'no stack trace')
})

t.test('webhook: successful answers carry nosniff too', async (t) => {
  const w = await startWebhook(t)
  const res = await request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}' })
  t.equal(res.status, 200)
  t.equal(res.headers['x-content-type-options'], 'nosniff')
})

t.test('admin: a 404 for a script-like path is JSON with nosniff', async (t) => {
  const admin = await createAdminServer({ host: '127.0.0.1', port: 0, healthzPath: DEFAULTS.healthzPath, readyzPath: DEFAULTS.readyzPath, metricsPath: DEFAULTS.metricsPath }, {
    isReady: () => true,
    metricsText: async () => '',
    metricsContentType: 'text/plain',
    logger: recordingLogger()
  })
  t.teardown(() => admin.close())
  const res = await request(`http://127.0.0.1:${admin.port}${HOSTILE_PATH}`, { method: 'GET' })
  t.equal(res.status, 404)
  t.match(res.headers['content-type'], /^application\/json/)
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  const body = JSON.parse(res.body)
  t.equal(body.code, 'ERR_WEBHOOK_NOT_FOUND')
  t.notOk('stack' in body, 'no stack trace')
})

t.test('webhook: a query string is no part of the path: 405 on the audit path whatever it carries, and a 404 never quotes it', async (t) => {
  const w = await startWebhook(t)
  const probe = await request(`${w.url}?watch=1`, { method: 'GET' })
  t.equal(probe.status, 405, 'the audit path with a query is still the audit path')
  t.equal(probe.headers.allow, 'POST')
  t.equal(JSON.parse(probe.body).message, 'GET is not allowed on /k8s-audit; use POST')
  const other = await request(w.url.replace('/k8s-audit', '/k8s-audit-x?token=s3cr3t'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  t.equal(other.status, 404)
  t.equal(JSON.parse(other.body).message, 'nothing at POST /k8s-audit-x; audit batches go to POST /k8s-audit')
  t.notMatch(other.body, /s3cr3t/, 'what a query may carry (a token) is not echoed')
  t.equal(w.bodies.length, 0)
})
