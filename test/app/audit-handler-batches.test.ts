// The main-thread audit batch handler at its edges: a batch before any rules are loaded is a 503
// (kube-apiserver retries it) rather than a 200 for events nobody evaluated; a batch larger than
// one evaluation turn (EVAL_CHUNK events) is evaluated whole, every event once, in order.
import t from 'tap'
import path from 'node:path'
import { loadConfig } from '../../src/config/index.ts'
import { createAuditBatchHandler, EVAL_CHUNK } from '../../src/app/audit-mode/audit-handler.ts'
import { auditEvent, createRule, eventList, lineCollector, quietApp } from './fixtures.ts'

t.test('before the first rules load: ERR_WEBHOOK_SHUTTING_DOWN (503), nothing counted as evaluated', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('Early') })
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')] })
  const app = await quietApp(config)
  t.teardown(async () => { await app.dispatcher.close(1000) })
  const handle = createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })
  await t.rejects(handle(Buffer.from(eventList([auditEvent()]))), { code: 'ERR_WEBHOOK_SHUTTING_DOWN', statusCode: 503 })
  t.notMatch(await app.metrics.text(), /^lanner_events_evaluated_total\{source="k8s_audit"\} [1-9]/m)
})

t.test('a batch of more than one evaluation turn: every event evaluated once, alerts in order', async (t) => {
  const n = EVAL_CHUNK * 2 + 7
  const dir = t.testdir({ 'rules.yaml': createRule('Each Create') })
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')], overrides: ['json_output=true'] })
  const { stream, lines } = lineCollector()
  const app = await quietApp(config, stream)
  t.teardown(async () => { await app.dispatcher.close(1000) })
  t.equal((await app.rules.load()).ok, true)
  const handle = createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })
  const items = Array.from({ length: n }, (_, i) => auditEvent({ name: `cm-${i}`, id: `a0000000-0000-0000-0000-${String(i).padStart(12, '0')}` }))
  const r = await handle(Buffer.from(eventList(items)))
  t.match(r, { accepted: n, rejected: 0, issues: [] })
  t.ok(await app.dispatcher.flush(30_000), 'alerts delivered')
  t.same(lines.map((l) => JSON.parse(l).output_fields['ka.target.name']), items.map((_, i) => `cm-${i}`))
  t.match(await app.metrics.text(), new RegExp(`^lanner_events_evaluated_total\\{source="k8s_audit"\\} ${n}$`, 'm'))
})
