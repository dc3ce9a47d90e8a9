// The webhook over the real audit decoder (src/audit decodeAuditPayload), wired as the app does:
// statuses and counts for good, partial, oversized-event and unrecognized bodies.
import t from 'tap'
import { decodeAuditPayload } from '../../src/audit/index.ts'
import type { HandleBodyResult } from '../../src/webhook/index.ts'
import { auditEvent, createApiserverClient, createWebhookBackend, postAsApiserver, request } from '../helpers/apiserver-client.ts'
import { startWebhook } from './fakes.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }
const MAX_EVENT_BYTES = 4096

async function handleWithDecoder (body: Buffer): Promise<HandleBodyResult> {
  const { events, issues } = decodeAuditPayload(body, { maxEventBytes: MAX_EVENT_BYTES })
  return {
    accepted: events.length,
    rejected: issues.filter((i) => i.index !== undefined).length,
    issues: issues.map((i) => ({ code: i.code, message: i.message, ...(i.index === undefined ? {} : { index: i.index }) }))
  }
}

t.test('EventLists of 400 from an apiserver-like client are decoded and answered 200', async (t) => {
  const w = await startWebhook(t, {}, { handleBody: handleWithDecoder })
  const client = createApiserverClient({ url: w.url, initialBackoffMs: 5 })
  t.teardown(() => client.close())
  const outcomes = await client.send(Array.from({ length: 1000 }, (_, i) => auditEvent(i)))
  t.same(outcomes.map((o) => [o.events, o.delivered]), [[400, true], [400, true], [200, true]])
  t.equal(w.metrics.accepted, 1000)
  t.same(w.metrics.issues, [])
})

t.test('bad JSON and non-audit JSON are acknowledged 200 with the decoder\'s codes: the apiserver sends them once, not 5 times', async (t) => {
  const w = await startWebhook(t, {}, { handleBody: handleWithDecoder })
  const unusable: string[] = []
  const w2 = await startWebhook(t, {}, { handleBody: handleWithDecoder, onUnusableBatch: (u) => { unusable.push(`${u.reason} ${u.status}`) } })
  const apiserver = createWebhookBackend({ kubeconfig: { server: w2.url }, mode: 'blocking-strict', initialBackoffMs: 1 })
  t.teardown(() => apiserver.close())
  for (const [body, code] of [['{"kind":"EventList","items":[{', 'ERR_AUDIT_BAD_JSON'], [JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'x' } }), 'ERR_AUDIT_NOT_RECOGNIZED']] as const) {
    const res = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body })
    t.equal(res.status, 200, `${code}: acknowledged`)
    t.match(JSON.parse(res.body), { accepted: 0, rejected: 0, code, message: /^not usable as audit data; acknowledged so that it is not re-sent: / })
    t.equal(await apiserver.deliverBody(body), true)
  }
  t.same(apiserver.outcomes.map((o) => o.attempts.length), [1, 1], 'one attempt each: nothing for the apiserver to retry')
  t.same(unusable, ['ERR_AUDIT_BAD_JSON 200', 'ERR_AUDIT_NOT_RECOGNIZED 200'], 'reported once per batch')
  // EventList items are events whatever their kind: a kind-Pod item is a per-item issue (no
  // stageTimestamp), not an unrecognized batch
  const pods = await request(w.url, { method: 'POST', headers: JSON_HEADERS, body: '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[{"kind":"Pod"},42]}' })
  t.equal(pods.status, 200, 'an EventList whose items are all bad is per-item issues')
  t.same(JSON.parse(pods.body), { accepted: 0, rejected: 2 })
})

t.test('events without stageTimestamp or over the per-event limit: 200, counted by code', async (t) => {
  const w = await startWebhook(t, {}, { handleBody: handleWithDecoder })
  const items = [
    auditEvent(1),
    auditEvent(2, { stageTimestamp: undefined }),
    auditEvent(3, { requestObject: { blob: 'x'.repeat(MAX_EVENT_BYTES) } }),
    auditEvent(4)
  ]
  const res = await postAsApiserver(w.url, items)
  t.equal(res.status, 200)
  t.same(JSON.parse(res.body), { accepted: 2, rejected: 2 })
  t.same(w.metrics.issues.sort(), ['ERR_AUDIT_EVENT_TOO_LARGE', 'ERR_AUDIT_NO_TIMESTAMP'])
  t.ok(w.logger.lines.some((l) => l.level === 'warn'), 'logged')
})

t.test('an empty POST (curl -X POST -H "Content-Type: application/json") reaches the decoder as an empty body and is acknowledged as not audit data', async (t) => {
  const w = await startWebhook(t, {}, { handleBody: handleWithDecoder })
  for (const headers of [{ ...JSON_HEADERS, 'content-length': '0' }, JSON_HEADERS]) {
    const res = await request(w.url, { method: 'POST', headers })
    t.equal(res.status, 200)
    t.match(JSON.parse(res.body), { accepted: 0, rejected: 0, code: 'ERR_AUDIT_BAD_JSON', message: /^not usable as audit data; acknowledged so that it is not re-sent: / })
  }
  t.same(w.bodies.map((b) => b.length), [0, 0], 'handleBody got two empty bodies')
})
