// The webhook's batch handler over a real ruleset: every event evaluated, alerts handed to the
// outputs before it resolves, per-event problems reported and counted instead of failing the batch.
import t from 'tap'
import path from 'node:path'
import { loadConfig } from '../../src/config/index.ts'
import { createAuditBatchHandler } from '../../src/app/audit-mode/audit-handler.ts'
import { auditEvent, createRule, eventList, lineCollector, quietApp } from './fixtures.ts'

async function appWith (t: { testdir(f: Record<string, string>): string, equal(a: unknown, b: unknown): void }, overrides: string[] = []) {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') + createRule('Secret Created', 'secrets') })
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')], overrides: ['json_output=true', ...overrides] })
  const { stream: out, lines } = lineCollector()
  const app = await quietApp(config, out)
  t.equal((await app.rules.load()).ok, true)
  const handle = createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })
  return { app, handle, lines }
}

t.test('an EventList is evaluated event by event and alerts reach the outputs', async (t) => {
  const { app, handle, lines } = await appWith(t)
  const res = await handle(Buffer.from(eventList([
    auditEvent({ name: 'a' }), auditEvent({ resource: 'secrets', name: 's' }), auditEvent({ verb: 'get' })
  ])))
  t.same(res, { accepted: 3, rejected: 0, issues: [], issueCounts: {} })
  await app.dispatcher.flush(30_000)
  t.same(lines.map((l) => JSON.parse(l).rule), ['ConfigMap Created', 'Secret Created'])
  const alert = JSON.parse(lines[0] as string)
  // the webhook body carries MicroTime (the apiserver writes microseconds), so the fixture's
  // nanoseconds arrive as .123456
  t.match(alert, { priority: 'Warning', source: 'k8s_audit', tags: ['k8s', 'test'], time: '2026-01-02T03:04:05.123456000Z' }, "Falco's JSON shape")
  t.equal(alert.output_fields['ka.target.name'], 'a')
  const metrics = await app.metrics.text()
  t.match(metrics, /lanner_events_evaluated_total\{source="k8s_audit"\} 3/)
  t.match(metrics, /lanner_alerts_total\{rule="ConfigMap Created",priority="Warning",source="k8s_audit"\} 1/)
  t.match(metrics, /lanner_batch_evaluation_seconds_count\{source="k8s_audit"\} 1/)
  await app.dispatcher.close(100)
})

t.test('oversize and malformed events are reported per event, the rest is evaluated', async (t) => {
  const { app, handle } = await appWith(t, ['lanner.webhook.max_event_bytes=2000'])
  const big = auditEvent({ name: 'big' })
  big.requestObject = { data: { blob: 'x'.repeat(5000) } }
  const res = await handle(Buffer.from(eventList([auditEvent(), big, { kind: 'Event', verb: 'create' }])))
  t.equal(res.accepted, 1)
  t.equal(res.rejected, 2)
  t.same(res.issues.map((i) => i.index), [1, 2], 'issues name the event position')
  t.ok(res.issues.some((i) => i.code === 'ERR_AUDIT_EVENT_TOO_LARGE'))
  t.match(await app.metrics.text(), /lanner_events_dropped_total\{source="k8s_audit",reason="ERR_AUDIT_EVENT_TOO_LARGE"\} 1/)
  await app.dispatcher.close(100)
})

t.test('a body that is not JSON is a body-level issue (the webhook answers 400)', async (t) => {
  const { app, handle } = await appWith(t)
  const res = await handle(Buffer.from('{nope'))
  t.equal(res.accepted, 0)
  t.equal(res.issues[0]?.code, 'ERR_AUDIT_BAD_JSON')
  t.equal(res.issues[0]?.index, undefined)
  await app.dispatcher.close(100)
})

t.test('priority and -T filter what is evaluated', async (t) => {
  const { app, handle, lines } = await appWith(t, ['priority=error'])
  await handle(Buffer.from(eventList([auditEvent()])))
  await app.dispatcher.flush(30_000)
  t.same(lines, [], 'Warning rules are below the minimum priority Error')
  await app.dispatcher.close(100)
})
