// What `lanner serve` answers to content retrying can never fix, seen from the kube-apiserver
// webhook double (its real retry loops) and from Lanner's own metrics, log and internal alerts:
// - not JSON / not audit data: 200 on the first attempt (the apiserver would otherwise send the
//   same bytes 5 times), the problem in the body, counted once per batch;
// - over max_body_bytes, or over max_body_values and denser than real events: 413, which the
//   apiserver retries 5 times, counted once per batch; a batch as sparse as real ones is admitted;
// - a byte-identical re-delivery of an evaluated batch: 200, not evaluated twice, counted;
// - a rejected event is one drop under one reason.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { auditEvent, createWebhookBackend, encodeEventList } from '../helpers/apiserver-client.ts'
import { adminPort, request, startServe, until, webhookListening } from '../helpers/serve-child.ts'
import { createRule } from '../app/fixtures.ts'

function metric (text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"\\]/g, (c) => '\\' + c)} (\\S+)$`, 'm').exec(text)
  return m === null ? 0 : Number(m[1])
}

function sumOf (text: string, prefix: string): number {
  let n = 0
  for (const line of text.split('\n')) if (line.startsWith(prefix)) n += Number(line.slice(line.lastIndexOf(' ') + 1))
  return n
}

interface Alert { rule: string, priority: string, output_fields: Record<string, unknown> }

t.test('unusable bodies, oversize batches, re-deliveries and drops, through a spawned serve', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const alertsFile = path.join(dir, 'alerts.jsonl')
  writeFileSync(path.join(dir, 'falco.yaml'), `
json_output: true
rules_files: [rules.yaml]
stdout_output: {enabled: false}
file_output: {enabled: true, keep_alive: true, filename: ${alertsFile}}
webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0}
lanner:
  webhook: {listen: "127.0.0.1:0", max_body_bytes: 8192, max_body_values: 200}
`)
  const serve = startServe(t, ['serve', '-c', path.join(dir, 'falco.yaml')])
  const { port } = await webhookListening(serve)
  const admin = `http://127.0.0.1:${await adminPort(serve)}`
  const server = `http://127.0.0.1:${port}/k8s-audit`
  const apiserver = createWebhookBackend({ kubeconfig: { server }, mode: 'blocking-strict', initialBackoffMs: 5 })
  t.teardown(() => apiserver.close())
  const alerts = (): Alert[] => { try { return readFileSync(alertsFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Alert) } catch { return [] } }

  // 1. not JSON, not audit data: acknowledged at the first attempt, the problem named
  t.equal(await apiserver.deliverBody('{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"level":'), true)
  t.equal(await apiserver.deliverBody('{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"}}\n'), true)
  t.same(apiserver.outcomes.map((o) => o.attempts.map((a) => a.status)), [[200], [200]], 'one attempt each: nothing for the apiserver to retry or log')
  t.match(JSON.parse(apiserver.outcomes[0]?.attempts[0]?.exchanges[0]?.body ?? '{}'), { accepted: 0, rejected: 0, code: 'ERR_AUDIT_BAD_JSON', message: /invalid JSON/ })
  t.match(JSON.parse(apiserver.outcomes[1]?.attempts[0]?.exchanges[0]?.body ?? '{}'), { accepted: 0, rejected: 0, code: 'ERR_AUDIT_NOT_RECOGNIZED' })
  await until(() => alerts().some((a) => a.rule === 'Lanner internal: unusable audit batches'), 'the internal alert for the first unusable batch')

  // 2. over max_body_bytes: 413, which the apiserver retries five times and then drops
  const big = Array.from({ length: 20 }, (_, i) => auditEvent(i, { requestObject: { data: 'x'.repeat(400) } }))
  t.ok(encodeEventList(big).length > 8192)
  t.equal(await apiserver.processEvents(...big), false, 'given up after its retries')
  t.same(apiserver.outcomes[2]?.attempts.map((a) => a.status), [413, 413, 413, 413, 413])

  // 2b. within the byte limit but over max_body_values and denser than any real batch (2 bytes a
  // value): 413 too, counted once
  const busy = [auditEvent(50, { requestObject: { items: Array.from({ length: 2500 }, () => 0) } })]
  t.ok(encodeEventList(busy).length < 8192)
  t.ok(encodeEventList(busy).length / 2500 < 16, 'denser than real audit events')
  t.equal(await apiserver.processEvents(...busy), false)
  t.same(apiserver.outcomes[3]?.attempts.map((a) => a.status), [413, 413, 413, 413, 413])

  // 3. a batch evaluated, then re-sent byte for byte (our 200 lost in the apiserver's timeout)
  const batch = [auditEvent(100, { verb: 'create', objectRef: { resource: 'configmaps', namespace: 'default', name: 'dup-1', apiVersion: 'v1' } })]
  t.equal(await apiserver.processEvents(...batch), true)
  await until(() => alerts().some((a) => a.rule === 'ConfigMap Created'), 'the alert of the batch')
  t.equal(await apiserver.deliverBody(encodeEventList(batch)), true, 'the re-delivery is acknowledged')
  t.match(JSON.parse(apiserver.outcomes[5]?.attempts[0]?.exchanges[0]?.body ?? '{}'), { accepted: 0, rejected: 0 })

  // 4. one good event and two without stageTimestamp: two drops, one reason each
  t.equal(await apiserver.processEvents(auditEvent(200), auditEvent(201, { stageTimestamp: undefined }), auditEvent(202, { stageTimestamp: undefined })), true)

  // 5. over max_body_values but as sparse as real events (~27 bytes a value): never refused on
  // its count, since the apiserver would drop a real batch after its retries
  const real = Array.from({ length: 12 }, (_, i) => auditEvent(300 + i)) // ~300 values
  t.ok(encodeEventList(real).length < 8192)
  t.equal(await apiserver.processEvents(...real), true, 'admitted at the first attempt')
  t.same(apiserver.outcomes.at(-1)?.attempts.map((a) => a.status), [200])

  const metrics = (await request(`${admin}/metrics`)).body
  t.equal(metric(metrics, 'lanner_webhook_unusable_batches_total{reason="ERR_AUDIT_BAD_JSON"}'), 1)
  t.equal(metric(metrics, 'lanner_webhook_unusable_batches_total{reason="ERR_AUDIT_NOT_RECOGNIZED"}'), 1)
  t.equal(metric(metrics, 'lanner_webhook_unusable_batches_total{reason="ERR_WEBHOOK_TOO_LARGE"}'), 1, 'once for the batch, not once per retry')
  t.equal(metric(metrics, 'lanner_webhook_unusable_batches_total{reason="ERR_WEBHOOK_TOO_COMPLEX"}'), 1)
  t.equal(metric(metrics, 'lanner_webhook_responses_total{status="413"}'), 10, 'while every retry is answered 413')
  t.equal(metric(metrics, 'lanner_webhook_duplicate_batches_total'), 1)
  t.equal(metric(metrics, 'lanner_webhook_duplicate_events_total'), 1)
  t.equal(sumOf(metrics, 'lanner_events_dropped_total{source="k8s_audit"'), 2, 'two rejected events, two drops in the sum over reasons')
  t.equal(metric(metrics, 'lanner_events_dropped_total{source="k8s_audit",reason="ERR_AUDIT_NO_TIMESTAMP"}'), 2)

  serve.child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0)
  const all = alerts()
  t.equal(all.filter((a) => a.rule === 'ConfigMap Created').length, 1, 'the re-delivered batch raised no second alert')
  const internal = all.filter((a) => a.rule === 'Lanner internal: unusable audit batches')
  t.ok(internal.every((a) => a.priority === 'Error'))
  t.equal(internal.reduce((n, a) => n + Number(a.output_fields.n_batches), 0), 4, 'four unusable batches reported (the first at once, the rest summed by shutdown)')
  t.match(internal[0]?.output_fields, { last_reason: 'ERR_AUDIT_BAD_JSON', last_status: 200 })
  t.equal(serve.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('audit batches held nothing')).length, internal.length, 'one log line per alert')
})
