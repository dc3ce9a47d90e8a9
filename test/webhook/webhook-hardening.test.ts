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
