// Evaluation workers: batches evaluated off the main thread with the same results as the
// in-thread handler; rules swap in every worker; no rules yet → a retryable 500.
import t from 'tap'
import { PassThrough } from 'node:stream'
import path from 'node:path'
import { writeFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createAuditBatchHandler, createPooledAuditBatchHandler } from '../../src/app/audit-mode/audit-handler.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { auditEvent, createRule, evalPoolFor, eventList, lineCollector, quietApp } from './fixtures.ts'

t.test('a pool of two workers gives the same alerts as the main-thread handler, and follows reloads', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') + createRule('Secret Created', 'secrets') })
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')], overrides: ['json_output=true', 'lanner.user_fields=[{name: custom.team, jsonpath: "$.objectRef.namespace"}]'] })
  const { stream: out, lines } = lineCollector()
  const app = await quietApp(config, out)
  t.equal((await app.rules.load()).ok, true)
  const pool = evalPoolFor(t, app, config, 2)

  await t.rejects(pool.evaluate(Buffer.from(eventList([auditEvent()]))), { code: 'ERR_WEBHOOK_HANDLER_FAILED' }, 'before rules: retryable failure, never a 200')
  await pool.setRules(app.rules.inputs() ?? [])
  app.rules.onInstall(async (inputs) => { await pool.setRules(inputs) })

  const pooled = createPooledAuditBatchHandler({ pool, emit: app.emit, metrics: app.metrics })
  const inThread = createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })
  const body = Buffer.from(eventList([
    auditEvent({ name: 'a' }), auditEvent({ resource: 'secrets', name: 's' }), auditEvent({ verb: 'get' }), { kind: 'Event' }
  ]))
  const results = await Promise.all([pooled(body), pooled(body), pooled(body)])
  await app.dispatcher.flush(30_000)
  const pooledLines = lines.splice(0)
  const direct = await inThread(body)
  await app.dispatcher.flush(30_000)
  for (const r of results) t.same(r, direct, 'same accepted/rejected/issues')
  t.equal(pooledLines.length, 6)
  t.same(pooledLines.slice(0, 2), lines, 'byte-identical alerts (time as exact ns, output_fields)')

  writeFileSync(path.join(dir, 'rules.yaml'), createRule('Reloaded Rule'))
  t.equal(await app.rules.reload('test'), true)
  lines.splice(0)
  await Promise.all([pooled(body), pooled(body)])
  await app.dispatcher.flush(30_000)
  t.same(lines.map((l) => JSON.parse(l).rule), ['Reloaded Rule', 'Reloaded Rule'], 'every worker swapped to the new rules')
})

t.test('a message a worker fails on is answered with an error, never left pending', { timeout: 30000 }, async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')] })
  const app = await quietApp(config)
  t.equal((await app.rules.load()).ok, true)
  const pool = evalPoolFor(t, app, config, 1)
  await pool.setRules(app.rules.inputs() ?? [])

  // loadRules throws on an input that is not text: the broadcast must fail, not wait forever
  await t.rejects(pool.setRules([{ name: 'broken', content: 42 as unknown as string }]), Error)
  // the worker survives and still holds its last good rules
  const r = await pool.evaluate(Buffer.from(eventList([auditEvent()])))
  t.equal(r.alerts.length, 1, 'the worker still evaluates with the rules it had')
})

t.test('a worker that dies is replaced: its in-flight batch is rejected as retryable, the replacement gets the current rules and evaluates', { timeout: 60000 }, async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')] })
  const { stream: logSink, lines: logLines } = lineCollector()
  const app = await buildApp(config, { stdout: new PassThrough(), logger: createLogger({ level: 'warn', stderr: true }, logSink), defaultMetrics: false })
  t.equal((await app.rules.load()).ok, true)
  // the pool keeps its workers to itself: learn them from the messages they are sent
  const workers = new Set<Worker>()
  let onNewWorker: (w: Worker) => void = () => {}
  const post = Worker.prototype.postMessage
  Worker.prototype.postMessage = function spyPostMessage (this: Worker, ...args: Parameters<Worker['postMessage']>) {
    if (!workers.has(this)) { workers.add(this); onNewWorker(this) }
    return post.apply(this, args)
  }
  t.teardown(() => { Worker.prototype.postMessage = post })
  const pool = evalPoolFor(t, app, config, 1)
  await pool.setRules(app.rules.inputs() ?? [])
  const [first] = [...workers]
  t.ok(first, 'the worker was seen')

  // a batch in flight when the worker dies (terminate() is what an OOM kill or a crash looks like to
  // the pool). The batch is sent once termination has begun: sent before, a fast worker could
  // answer it first and the batch would not be in flight at the death at all.
  const exited = new Promise<number>((resolve) => first?.once('exit', resolve))
  const terminated = first?.terminate()
  const inFlight = pool.evaluate(Buffer.from(eventList([auditEvent()])))
  await terminated
  await exited
  await t.rejects(inFlight, { code: 'ERR_WEBHOOK_HANDLER_FAILED', message: /evaluation worker exited \(1\); retry/ })

  // the replacement is sent the current rules; once it has answered them, it evaluates
  const replacement = [...workers].find((w) => w !== first) ?? await new Promise<Worker>((resolve) => { onNewWorker = resolve })
  await t.rejects(pool.evaluate(Buffer.from(eventList([auditEvent()]))), { code: 'ERR_WEBHOOK_HANDLER_FAILED', message: /no evaluation worker has rules yet/ }, 'meanwhile: retryable')
  await new Promise((resolve) => replacement.once('message', resolve))
  await new Promise<void>((resolve) => setImmediate(resolve))
  const r = await pool.evaluate(Buffer.from(eventList([auditEvent()])))
  t.equal(r.alerts.length, 1, 'the replacement evaluates with the current rules')
  t.ok([...workers].length >= 2, 'a new worker was started')
  t.ok(logLines.some((l) => l.includes('evaluation worker exited: replacing it')), 'logged')
})
