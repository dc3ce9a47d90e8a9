// TLS as kube-apiserver's webhook kubeconfig uses it: a CA-signed server certificate, Falco's
// combined cert+key PEM, and client certificates (mTLS) for 'require' and 'request'.
import t from 'tap'
import { createTestPki, type TestPki } from '../helpers/certs.ts'
import { auditEvent, createApiserverClient, encodeEventList, request } from '../helpers/apiserver-client.ts'
import { createWebhookServer } from '../../src/webhook/index.ts'
import { recordingLogger, BASE_OPTIONS, startWebhook } from './fakes.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }
const BODY = encodeEventList([auditEvent(1), auditEvent(2)])

let pki: TestPki
t.before(async () => { pki = await createTestPki() })
t.teardown(() => pki.remove())

t.test('HTTPS with a CA-signed certificate: the client verifies it with the CA', async (t) => {
  const w = await startWebhook(t, { tls: { cert: pki.serverCert, key: pki.serverKey, clientAuth: 'none' } })
  t.match(w.url, /^https:/)
  const res = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: BODY, ca: pki.caCert })
  t.equal(res.status, 200)
  t.same(JSON.parse(res.body), { accepted: 2, rejected: 0 })
  await t.rejects(request(w.url, { method: 'POST', headers: JSON_HEADERS, body: BODY }),
    { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'a client without the CA refuses the certificate')
  await t.rejects(request(w.url.replace('https:', 'http:'), { method: 'POST', headers: JSON_HEADERS, body: BODY }),
    'plain HTTP is not served on a TLS port')
})

t.test("Falco's sslCertificate form: one PEM with certificate and key, given as cert alone", async (t) => {
  const w = await startWebhook(t, { tls: { cert: pki.serverCombined, clientAuth: 'none' } })
  const res = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: BODY, ca: pki.caCert })
  t.equal(res.status, 200)
})

t.test('the combined PEM also works when passed as both cert and key, and as Buffers', async (t) => {
  const combined = Buffer.from(pki.serverCombined)
  const w = await startWebhook(t, { tls: { cert: combined, key: combined, clientAuth: 'none' } })
  const res = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: BODY, ca: pki.caCert })
  t.equal(res.status, 200)
})

t.test("mTLS 'require': a client certificate from the CA is accepted", async (t) => {
  const w = await startWebhook(t, { tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, clientAuth: 'require' } })
  const client = createApiserverClient({ url: w.url, ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey, initialBackoffMs: 5 })
  t.teardown(() => client.close())
  const outcomes = await client.send(Array.from({ length: 900 }, (_, i) => auditEvent(i)))
  t.same(outcomes.map((o) => o.attempts.map((a) => a.status)), [[200], [200], [200]])
  t.equal(w.metrics.accepted, 900)
})

t.test("mTLS 'require': no client certificate, or one from another CA, fails the handshake", async (t) => {
  const w = await startWebhook(t, { tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, clientAuth: 'require' } })
  await t.rejects(request(w.url, { method: 'POST', headers: JSON_HEADERS, body: BODY, ca: pki.caCert }), 'without a certificate')
  await t.rejects(request(w.url, { method: 'POST', headers: JSON_HEADERS, body: BODY, ca: pki.caCert, cert: pki.rogueCert, key: pki.rogueKey }),
    'with a certificate from an untrusted CA')
  t.equal(w.bodies.length, 0, 'nothing reached handleBody')
  t.equal(w.metrics.received, 0, 'not even counted as a batch: the HTTP layer never saw them')
})

t.test("'request': no certificate is fine, a CA-signed one is fine, an untrusted one gets 401", async (t) => {
  const w = await startWebhook(t, { tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, clientAuth: 'request' } })
  const none = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: BODY, ca: pki.caCert })
  t.equal(none.status, 200)
  const good = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: BODY, ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey })
  t.equal(good.status, 200)
  const rogue = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: BODY, ca: pki.caCert, cert: pki.rogueCert, key: pki.rogueKey })
  t.equal(rogue.status, 401)
  t.equal(JSON.parse(rogue.body).code, 'ERR_WEBHOOK_UNAUTHORIZED')
})

t.test('mTLS and a bearer token together: both are required', async (t) => {
  const w = await startWebhook(t, { bearerToken: 'tok', tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, clientAuth: 'require' } })
  const tls = { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey }
  const noToken = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: BODY, ...tls })
  t.equal(noToken.status, 401)
  const both = await request(w.url, { method: 'POST', headers: { ...JSON_HEADERS, authorization: 'Bearer tok' }, body: BODY, ...tls })
  t.equal(both.status, 200)
})

t.test('bad TLS settings fail at startup with ERR_WEBHOOK_TLS', async (t) => {
  const deps = { logger: recordingLogger(), handleBody: async () => ({ accepted: 0, rejected: 0, issues: [] }) }
  const cases: Array<[string, Parameters<typeof createWebhookServer>[0]['tls']]> = [
    ['certificate without a key', { cert: pki.serverCert, clientAuth: 'none' }],
    ['key file with no key in it', { cert: pki.serverCert, key: pki.caCert, clientAuth: 'none' }],
    ['no certificate at all', { cert: pki.serverKey, key: pki.serverKey, clientAuth: 'none' }],
    ['key of another certificate', { cert: pki.serverCert, key: pki.clientKey, clientAuth: 'none' }],
    ["'require' without a CA", { cert: pki.serverCombined, clientAuth: 'require' }],
    ["'request' with a CA file holding no certificate", { cert: pki.serverCombined, ca: 'garbage', clientAuth: 'request' }]
  ]
  for (const [name, tls] of cases) {
    await t.rejects(createWebhookServer({ ...BASE_OPTIONS, tls }, deps), { code: 'ERR_WEBHOOK_TLS' }, name)
  }
})
