// Basic auth on the webhook, as kube-apiserver sends it when its webhook kubeconfig has
// username/password: the double posts real batches; wrong or missing credentials are 401 (and,
// the apiserver retrying everything, 401 five times); with a bearer token configured too, either
// scheme is accepted.
import t from 'tap'
import { createBasicCheck } from '../../src/webhook/basic-auth.ts'
import { auditEvent, createWebhookBackend, request, encodeEventList } from '../helpers/apiserver-client.ts'
import { decodeForTest, startWebhook } from './fakes.ts'

function basic (user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')
}

t.test('the check: both parts must match, the password may hold colons', async (t) => {
  const check = createBasicCheck('apiserver', 'p:a:ss')
  t.equal(check(basic('apiserver', 'p:a:ss')), true)
  t.equal(check('basic  ' + Buffer.from('apiserver:p:a:ss').toString('base64')), true, 'scheme is case-insensitive')
  t.equal(check(basic('apiserver', 'p:a:s')), false)
  t.equal(check(basic('apiserve', 'p:a:ss')), false)
  t.equal(check(basic('apiserver', '')), false)
  t.equal(check('Basic ' + Buffer.from('apiserver').toString('base64')), false, 'no colon: no password')
  t.equal(check('Bearer p:a:ss'), false)
  t.equal(check(undefined), false)
})

t.test('the apiserver with username/password in its kubeconfig is admitted; wrong ones get 401 on every retry', async (t) => {
  const w = await startWebhook(t, { basicAuth: { username: 'kube-apiserver', password: 'ch0se-n' } }, { handleBody: async (b) => decodeForTest(b) })
  const good = createWebhookBackend({ kubeconfig: { server: w.url, username: 'kube-apiserver', password: 'ch0se-n' }, mode: 'blocking-strict', initialBackoffMs: 1 })
  t.teardown(() => good.close())
  t.equal(await good.processEvents(auditEvent(1)), true)
  t.same(good.outcomes[0]?.attempts.map((a) => a.status), [200])
  const bad = createWebhookBackend({ kubeconfig: { server: w.url, username: 'kube-apiserver', password: 'guess' }, mode: 'blocking-strict', initialBackoffMs: 1 })
  t.teardown(() => bad.close())
  t.equal(await bad.processEvents(auditEvent(2)), false)
  t.same(bad.outcomes[0]?.attempts.map((a) => a.status), [401, 401, 401, 401, 401], 'the apiserver retries a 401 too, then drops the batch')
  const none = await request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: encodeEventList([auditEvent(3)]) })
  t.equal(none.status, 401)
  t.equal(none.headers['www-authenticate'], 'Basic realm="lanner"')
  t.equal(JSON.parse(none.body).code, 'ERR_WEBHOOK_UNAUTHORIZED')
  t.equal(w.metrics.accepted, 1, 'only the authenticated batch reached the handler')
})

t.test('bearer token and Basic both configured: either admits', async (t) => {
  const w = await startWebhook(t, { bearerToken: 'tok', basicAuth: { username: 'u', password: 'p' } }, { handleBody: async (b) => decodeForTest(b) })
  for (const kubeconfig of [{ server: w.url, token: 'tok' }, { server: w.url, username: 'u', password: 'p' }]) {
    const b = createWebhookBackend({ kubeconfig, mode: 'blocking-strict', initialBackoffMs: 1 })
    t.teardown(() => b.close())
    t.equal(await b.processEvents(auditEvent(1)), true)
  }
  const none = await request(w.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: encodeEventList([auditEvent(3)]) })
  t.equal(none.status, 401)
  t.equal(none.headers['www-authenticate'], 'Bearer, Basic realm="lanner"')
  t.match(JSON.parse(none.body).message, /bearer token or Basic credentials/)
})
