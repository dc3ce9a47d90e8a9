// Evaluation workers (lanner.eval_workers > 0) apply static_fields and append_output exactly as
// the main thread does: same alert bytes from both paths.
import t from 'tap'
import { PassThrough } from 'node:stream'
import path from 'node:path'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createAuditBatchHandler, createPooledAuditBatchHandler } from '../../src/app/audit-handler.ts'
import { createEvalPool } from '../../src/app/eval-pool.ts'
import { createLogger } from '../../src/app/logger.ts'
import { loadOptionsFrom } from '../../src/app/rules-manager.ts'
import { auditEvent, encodeEventList } from '../helpers/apiserver-client.ts'

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
  const out = new PassThrough()
  const lines: string[] = []
  out.on('data', (b: Buffer) => lines.push(...b.toString().trimEnd().split('\n')))
  const app = await buildApp(config, { stdout: out, logger: createLogger({ level: 'error', stderr: true }, new PassThrough()), defaultMetrics: false })
  t.equal((await app.rules.load()).ok, true)
  const { sources: _s, ...loadOptions } = loadOptionsFrom(config, app.sources)
  const pool = createEvalPool(1, { userFields: config.userFields, staticFields: config.staticFields, loadOptions, maxEventBytes: config.webhook.maxEventBytes }, app.logger)
  t.teardown(async () => { await pool.close(); await app.dispatcher.close(100) })
  await pool.setRules(app.rules.inputs() ?? [])
  const body = Buffer.from(encodeEventList([auditEvent(1)]))
  await createPooledAuditBatchHandler({ pool, emit: app.emit, metrics: app.metrics })(body)
  await app.dispatcher.flush(5000)
  await createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })(body)
  await app.dispatcher.flush(5000)
  t.equal(lines.length, 2)
  t.equal(lines[0], lines[1], 'byte-identical from the worker and the main thread')
  const a = JSON.parse(lines[0] as string) as { output: string, output_fields: Record<string, unknown> }
  t.match(a.output, /Notice created pod-1 cluster=prod$/)
  t.match(a.output_fields, { 'ka.verb': 'create', team: 'payments', 'ka.target.name': 'pod-1' })
})
