// What a client sees from the audit webhook over real loopback HTTP: one status per situation,
// each with the {statusCode, code, error, message} body, as kube-apiserver's retry logic needs.
import t from 'tap'
import { AppError, CODES, type CodeInfo } from '../../src/errors/index.ts'
import { auditEvent, encodeEventList, logLine, postAsApiserver, request } from '../helpers/apiserver-client.ts'
import { startWebhook } from './fakes.ts'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createAuditBatchHandler } from '../../src/app/audit-mode/audit-handler.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import type { HandleBodyResult } from '../../src/webhook/index.ts'

// The statuses come from the product's own decoding and evaluation (decodeAuditPayload through
// the audit batch handler, over Falco's upstream k8s_audit_rules.yaml from ../shared), not from a
// test stand-in: what the apiserver is answered is what the decoder decides.
const UPSTREAM_RULES = fileURLToPath(new URL('../../../shared/reference/k8saudit/k8s_audit_rules.yaml', import.meta.url))
const config = loadConfig({ rules: [UPSTREAM_RULES], overrides: ['json_output=true', 'stdout_output.enabled=false'] })
const app = await buildApp(config, { stdout: new PassThrough(), logger: createLogger({ level: 'error', stderr: true }, new PassThrough()), defaultMetrics: false })
if (!(await app.rules.load()).ok) throw new Error('upstream k8s_audit_rules.yaml did not load')
const decodeAndEvaluate = createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })
t.teardown(async () => { await app.dispatcher.close(5000) })
function real (): { handleBody: (body: Buffer) => Promise<HandleBodyResult> } { return { handleBody: decodeAndEvaluate } }

const JSON_HEADERS = { 'content-type': 'application/json' }

/** The error catalog must not list an error status for a code the webhook acknowledges 200. */
function catalogStatus (code: string): number | undefined {
  return (CODES as Record<string, CodeInfo>)[code]?.statusCode
}

t.test('an EventList is answered 200 after handleBody resolved, with its counts', async (t) => {
  const w = await startWebhook(t, {}, real())
  const items = Array.from({ length: 400 }, (_, i) => auditEvent(i))
  const res = await postAsApiserver(w.url, items)
  t.equal(res.status, 200)
  t.same(JSON.parse(res.body), { accepted: 400, rejected: 0 })
  t.equal(w.bodies.length, 1, 'handleBody got the body once')
  t.same(JSON.parse((w.bodies[0] as Buffer).toString()).items.length, 400, 'the raw bytes, unparsed by the server')
  t.equal(w.metrics.received, 1)
  t.same(w.metrics.answered, [200])
  t.equal(w.metrics.accepted, 400)
  t.same(w.metrics.inFlightSeen, [1, 0], 'in-flight gauge went up and back down')
  t.notOk(w.logger.lines.some((l) => l.level === 'info' && l.msg === 'batch evaluated'), 'no per-batch info logging')
})

t.test('a single Event and "application/json; charset=utf-8" are accepted', async (t) => {
  const w = await startWebhook(t, {}, real())
  const res = await request(w.url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: logLine(auditEvent(1)) })
  t.equal(res.status, 200)
  t.same(JSON.parse(res.body), { accepted: 1, rejected: 0 })
})

t.test('a query string does not change the route', async (t) => {
  const w = await startWebhook(t, {}, real())
  const res = await postAsApiserver(`${w.url}?timeout=30s`, [auditEvent(1)])
  t.equal(res.status, 200)
})

// Decision (issue 12): kube-apiserver retries any non-2xx 5 times and the same bytes never parse,
// so invalid or foreign JSON is acknowledged 200 with a body naming the problem (was 400).
t.test('invalid JSON is acknowledged 200 with ERR_AUDIT_BAD_JSON in the body', async (t) => {
  const w = await startWebhook(t, {}, real())
  const res = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: '{"kind": "EventList", "items": [' })
  t.equal(res.status, 200)
  const body = JSON.parse(res.body)
  t.match(body, { accepted: 0, rejected: 0, code: 'ERR_AUDIT_BAD_JSON', message: String })
  t.match(res.headers['content-type'], /application\/json/)
  t.same(w.metrics.issues, ['ERR_AUDIT_BAD_JSON'])
  t.ok(w.logger.lines.some((l) => l.level === 'warn' && l.obj.code === 'ERR_AUDIT_BAD_JSON'), 'logged as a warning')
  t.equal(catalogStatus(body.code), undefined, 'the catalog lists no error status for a code answered 200')
})

t.test('an empty body is bad JSON too', async (t) => {
  const w = await startWebhook(t, {}, real())
  const res = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: '' })
  t.equal(res.status, 200)
  t.equal(JSON.parse(res.body).code, 'ERR_AUDIT_BAD_JSON')
})

t.test('JSON that is not an audit Event/EventList/array is acknowledged 200 with ERR_AUDIT_NOT_RECOGNIZED', async (t) => {
  const w = await startWebhook(t, {}, real())
  const res = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ kind: 'Pod', apiVersion: 'v1' }) })
  t.equal(res.status, 200)
  t.equal(JSON.parse(res.body).code, 'ERR_AUDIT_NOT_RECOGNIZED')
  t.equal(catalogStatus('ERR_AUDIT_NOT_RECOGNIZED'), undefined, 'the catalog lists no error status for a code answered 200')
})

t.test('an EventList none of whose items is an object is acknowledged 200 with ERR_AUDIT_NOT_OBJECT', async (t) => {
  const w = await startWebhook(t, {}, real())
  const res = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [1, null] }) })
  t.equal(res.status, 200)
  t.match(JSON.parse(res.body), { accepted: 0, rejected: 0, code: 'ERR_AUDIT_NOT_OBJECT' })
  t.equal(catalogStatus('ERR_AUDIT_NOT_OBJECT'), undefined, 'the catalog lists no error status for a code answered 200')
})

t.test('a partially bad batch is 200: bad events cannot be fixed by a retry, so they are counted and logged', async (t) => {
  const w = await startWebhook(t, {}, real())
  const items = [auditEvent(1), auditEvent(2, { stageTimestamp: undefined }), auditEvent(3)]
  const res = await postAsApiserver(w.url, items)
  t.equal(res.status, 200)
  t.same(JSON.parse(res.body), { accepted: 2, rejected: 1 })
  t.equal(w.metrics.rejected, 1)
  t.same(w.metrics.issues, ['ERR_AUDIT_NO_TIMESTAMP'])
  const warn = w.logger.lines.find((l) => l.level === 'warn')
  t.match(warn?.obj, { code: 'ERR_AUDIT_NO_TIMESTAMP', rejected: 1, first: { index: 1 } })
})

t.test('a batch whose every event is bad is still 200 (retrying cannot help)', async (t) => {
  const w = await startWebhook(t, {}, real())
  const res = await postAsApiserver(w.url, [{ kind: 'Event' }])
  t.equal(res.status, 200)
  t.same(JSON.parse(res.body), { accepted: 0, rejected: 1 })
})

t.test('a Content-Type without application/json is 400 ERR_WEBHOOK_CONTENT_TYPE, before the body is read', async (t) => {
  const w = await startWebhook(t, {}, real())
  for (const headers of [{ 'content-type': 'text/plain' }, {} as Record<string, string>]) {
    const res = await request(w.url, { method: 'POST', headers, body: encodeEventList([auditEvent(1)]) })
    t.equal(res.status, 400)
    t.equal(JSON.parse(res.body).code, 'ERR_WEBHOOK_CONTENT_TYPE')
  }
  t.equal(w.bodies.length, 0, 'handleBody never called')
})

t.test('other methods on the path are 405 with Allow: POST', async (t) => {
  const w = await startWebhook(t, {}, real())
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND']) {
    const res = await request(w.url, { method })
    t.equal(res.status, 405, method)
    t.equal(res.headers.allow, 'POST', method)
    t.equal(JSON.parse(res.body).code, 'ERR_WEBHOOK_METHOD', method)
  }
  const head = await request(w.url, { method: 'HEAD' })
  t.equal(head.status, 405, 'HEAD')
})

t.test('other paths are 404, a trailing slash included (the match is exact)', async (t) => {
  const w = await startWebhook(t, {}, real())
  const base = w.url.replace('/k8s-audit', '')
  for (const path of ['/', '/k8s-audit/', '/k8s-audit/x', '/K8S-AUDIT', '/healthz']) {
    const res = await request(base + path, { method: 'POST', headers: JSON_HEADERS, body: '{}' })
    t.equal(res.status, 404, path)
    t.equal(JSON.parse(res.body).code, 'ERR_WEBHOOK_NOT_FOUND', path)
  }
  t.equal(w.metrics.received, 0, '404s are not counted as batches')
})

t.test('a path other than the default is served', async (t) => {
  const w = await startWebhook(t, { path: '/audit/v1' }, real())
  const ok = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: logLine(auditEvent(1)) })
  t.equal(ok.status, 200)
  const old = await request(w.url.replace('/audit/v1', '/k8s-audit'), { method: 'POST', headers: JSON_HEADERS, body: '{}' })
  t.equal(old.status, 404)
})

t.test('a handleBody rejection is 500 so the apiserver retries', async (t) => {
  const w = await startWebhook(t, {}, { handleBody: async () => { throw new Error('output queue exploded') } })
  const res = await postAsApiserver(w.url, [auditEvent(1)])
  t.equal(res.status, 500)
  t.match(JSON.parse(res.body), { statusCode: 500, code: 'ERR_WEBHOOK_HANDLER_FAILED' })
  t.notMatch(res.body, /exploded/, 'internal error text is not sent to the client')
  t.ok(w.logger.lines.some((l) => l.level === 'error'), 'logged as an error')
  t.same(w.metrics.inFlightSeen.at(-1), 0, 'slot released')
})

t.test('bearer token: 401 without it or with a wrong one, 200 with it', async (t) => {
  const w = await startWebhook(t, { bearerToken: 's3cret-token' }, real())
  const body = encodeEventList([auditEvent(1)])
  for (const authorization of [undefined, 'Bearer wrong', 'Bearer s3cret-token-and-more', 'Basic czNjcmV0LXRva2Vu', 's3cret-token']) {
    const headers: Record<string, string> = { ...JSON_HEADERS }
    if (authorization !== undefined) headers.authorization = authorization
    const res = await request(w.url, { method: 'POST', headers, body })
    t.equal(res.status, 401, String(authorization))
    t.equal(res.headers['www-authenticate'], 'Bearer')
    t.equal(JSON.parse(res.body).code, 'ERR_WEBHOOK_UNAUTHORIZED')
  }
  t.equal(w.bodies.length, 0, 'unauthenticated bodies never reach handleBody')
  const ok = await request(w.url, { method: 'POST', headers: { ...JSON_HEADERS, authorization: 'Bearer s3cret-token' }, body })
  t.equal(ok.status, 200)
})

t.test('a handleBody rejection carrying 503 or 429 (an AppError) is answered with it and Retry-After', async (t) => {
  for (const code of ['ERR_WEBHOOK_SHUTTING_DOWN', 'ERR_WEBHOOK_OVERLOADED'] as const) {
    const w = await startWebhook(t, { retryAfterSeconds: 4 }, {
      handleBody: async () => { throw new AppError(code, 'rules are not loaded yet') }
    })
    const res = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: logLine(auditEvent(1)) })
    t.equal(res.status, code === 'ERR_WEBHOOK_SHUTTING_DOWN' ? 503 : 429, code)
    t.equal(res.headers['retry-after'], '4', code)
    t.equal(JSON.parse(res.body).code, code)
  }
})
