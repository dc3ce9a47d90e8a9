// lanner.webhook.max_body_values: a body denser in JSON values than any real audit batch is
// refused 413 ERR_WEBHOOK_TOO_COMPLEX before JSON.parse sees it, and kube-apiserver's five attempts
// at it are reported once; a real batch (../shared audit samples) with more values than the bound
// but as sparse as real events are is never refused on its count.
import t from 'tap'
import { decodeAuditPayload } from '../../src/audit/index.ts'
import type { HandleBodyResult, UnusableBatch } from '../../src/webhook/index.ts'
import { auditSampleItems, createWebhookBackend, encodeEventList } from '../helpers/apiserver-client.ts'
import { startWebhook } from './fakes.ts'

const MAX_VALUES = 100

async function handleWithDecoder (body: Buffer): Promise<HandleBodyResult> {
  const { events, issues } = decodeAuditPayload(body, { maxEventBytes: 1024 * 1024 })
  return {
    accepted: events.length,
    rejected: issues.filter((i) => i.index !== undefined).length,
    issues: issues.map((i) => ({ code: i.code, message: i.message, ...(i.index === undefined ? {} : { index: i.index }) }))
  }
}

t.test('a body of 3 bytes per value over max_body_values: 413 on each of the apiserver\'s 5 attempts, never parsed, reported once', async (t) => {
  const unusable: UnusableBatch[] = []
  const w = await startWebhook(t, { maxBodyValues: MAX_VALUES }, { handleBody: handleWithDecoder, onUnusableBatch: (u) => { unusable.push(u) } })
  // bytes the apiserver never writes itself (deliverBody): through its request and both retry loops
  const apiserver = createWebhookBackend({ kubeconfig: { server: w.url }, mode: 'blocking-strict', initialBackoffMs: 1 })
  t.teardown(() => apiserver.close())
  const dense = '[' + Array.from({ length: 5000 }, () => '{}').join(',') + ']'

  t.equal(await apiserver.deliverBody(dense), false, 'not delivered: the apiserver gives up after its attempts')
  const outcome = apiserver.outcomes[0]
  t.same(outcome?.attempts.map((a) => a.status), [413, 413, 413, 413, 413], 'kube-apiserver retries any non-2xx five times')
  const answer = JSON.parse(outcome?.attempts[0]?.exchanges[0]?.body ?? '{}')
  t.match(answer, { statusCode: 413, code: 'ERR_WEBHOOK_TOO_COMPLEX', error: 'Payload Too Large' })
  // the bound is max(max_body_values, bytes / 16): 5000 × 3 bytes / 16 is under 1000
  t.match(answer.message, /^request body holds more than 937 JSON values \(lanner\.webhook\.max_body_values, or one per 16 bytes\); send smaller batches$/)
  t.equal(w.bodies.length, 0, 'handleBody (JSON.parse) never saw it')
  t.same(unusable, [{ reason: 'ERR_WEBHOOK_TOO_COMPLEX', message: 'request body holds more than 937 JSON values (lanner.webhook.max_body_values, or one per 16 bytes)', bytes: Buffer.byteLength(dense), remote: '127.0.0.1', status: 413 }],
    'five attempts from the same address with the same Content-Length: one report')
  t.ok(w.logger.lines.some((l) => l.level === 'warn' && l.obj.code === 'ERR_WEBHOOK_TOO_COMPLEX'), 'operators are told')
})

t.test('real audit events with more values than max_body_values are accepted: only bodies denser than real ones are held to it', async (t) => {
  const items = auditSampleItems()
  const body = encodeEventList(items)
  // the samples hold hundreds of JSON values (each object, array, and value after a comma)
  t.ok((body.match(/[,{[]/g) ?? []).length > 4 * MAX_VALUES, 'the batch has several times more values than the bound')
  const w = await startWebhook(t, { maxBodyValues: MAX_VALUES }, { handleBody: handleWithDecoder })
  const apiserver = createWebhookBackend({ kubeconfig: { server: w.url }, mode: 'blocking-strict', initialBackoffMs: 1 })
  t.teardown(() => apiserver.close())
  t.equal(await apiserver.processEvents(...items), true, 'delivered')
  const x = apiserver.outcomes[0]?.attempts[0]?.exchanges[0]
  t.equal(x?.status, 200)
  t.same(JSON.parse(x?.body ?? '{}'), { accepted: items.length, rejected: 0 })
  t.equal(apiserver.outcomes[0]?.body, body, 'the bytes the real backend writes')
})
