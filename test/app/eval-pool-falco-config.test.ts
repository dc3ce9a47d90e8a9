// Evaluation workers (lanner.eval_workers > 0) apply static_fields and append_output exactly as
// the main thread does: same alert bytes from both paths.
import t from 'tap'
import path from 'node:path'
import { loadConfig } from '../../src/config/index.ts'
import { createAuditBatchHandler, createPooledAuditBatchHandler } from '../../src/app/audit-mode/audit-handler.ts'
import { auditEvent, encodeEventList } from '../helpers/apiserver-client.ts'
import { evalPoolFor, lineCollector, quietApp } from './fixtures.ts'

const RULE = `- rule: Prod pod created
  desc: d
  condition: ka.verb = create and static.cluster = prod
  output: created %ka.target.name
  priority: NOTICE
  source: k8s_audit
  tags: [k8s, pci]
`

t.test('workers see static.* fields and append_output', async (t) => {
  const dir = t.testdir({ 'rules.yaml': RULE })
  const config = loadConfig({
    rules: [path.join(dir, 'rules.yaml')],
    overrides: ['json_output=true', 'static_fields={cluster: prod}', 'append_output=[{match: {tags: [pci]}, extra_output: "cluster=%static.cluster", extra_fields: [ka.verb, {team: payments}]}]']
  })
  const { stream: out, lines } = lineCollector()
  const app = await quietApp(config, out)
  t.equal((await app.rules.load()).ok, true)
  const pool = evalPoolFor(t, app, config, 1, { staticFields: config.staticFields })
  await pool.setRules(app.rules.inputs() ?? [])
  const body = Buffer.from(encodeEventList([auditEvent(1)]))
  await createPooledAuditBatchHandler({ pool, emit: app.emit, metrics: app.metrics })(body)
  await app.dispatcher.flush(30_000)
  await createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })(body)
  await app.dispatcher.flush(30_000)
  t.equal(lines.length, 2)
  t.equal(lines[0], lines[1], 'byte-identical from the worker and the main thread')
  const a = JSON.parse(lines[0] as string) as { output: string, output_fields: Record<string, unknown> }
  t.match(a.output, /Notice created pod-1 cluster=prod$/)
  t.match(a.output_fields, { 'ka.verb': 'create', team: 'payments', 'ka.target.name': 'pod-1' })
})
