// Truncated audit events (audit.k8s.io/truncated): counted, noticed when a rule needed the
// objects kube-apiserver removed, reported once per interval (log line, metric, internal alert),
// and evaluated with exactly the alerts the event itself gives. Uses the default rules and events
// in the form the truncating webhook backend sends (objects removed, annotation added).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadRules, type Ruleset } from '../../src/rules/index.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import { AuditEvent } from '../../src/audit/index.ts'
import type { Alert } from '../../src/events/index.ts'
import { createMetrics } from '../../src/app/metrics/metrics.ts'
import { TRUNCATED_RULE } from '../../src/app/metrics/internal-alerts.ts'
import { createTruncationReporter, evaluateAuditEvent, isTruncated, newTally, type TruncationTally } from '../../src/app/audit-mode/audit-truncation.ts'

const RULES_FILE = fileURLToPath(new URL('../../rules/k8s_audit_rules.yaml', import.meta.url))

function load (ruleMatching: 'first' | 'all'): Ruleset {
  const res = loadRules([{ name: RULES_FILE, content: readFileSync(RULES_FILE, 'utf8') }], { sources: [k8sAuditSource], ruleMatching })
  if (res.ruleset === undefined) throw new Error(JSON.stringify(res.errors))
  return res.ruleset
}

const ALLOW = { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' }
const TRUNCATED = { ...ALLOW, 'audit.k8s.io/truncated': 'true' }

/** An EventList item for a write; `objects` adds requestObject/responseObject as an untruncated event has them. */
function write (resource: string, name: string, objects: { request: unknown, response?: unknown } | undefined, over: Record<string, unknown> = {}): AuditEvent {
  const obj: Record<string, unknown> = {
    level: 'RequestResponse',
    auditID: `a-${resource}-${name}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/${resource}?fieldManager=kubectl-create\u0026fieldValidation=Strict`,
    verb: 'create',
    user: { username: 'alice', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.8'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
    objectRef: { resource, namespace: 'default', name, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestReceivedTimestamp: '2025-06-01T10:00:00.000100Z',
    stageTimestamp: '2025-06-01T10:00:00.009100Z',
    annotations: objects === undefined ? TRUNCATED : ALLOW,
    ...over
  }
  if (objects !== undefined) {
    obj.requestObject = objects.request
    if (objects.response !== undefined) obj.responseObject = objects.response
  }
  return new AuditEvent(obj, 1_748_772_000_009_100_000n)
}

const privilegedPod = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'miner' }, spec: { containers: [{ name: 'c', image: 'evil/miner:1', securityContext: { privileged: true } }] } }
const tlslessIngress = { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', metadata: { name: 'web' }, spec: { rules: [{ host: 'web.example.com' }] } }

function run (rs: Ruleset, ev: AuditEvent, tally: TruncationTally = newTally()): { rules: string[], tally: TruncationTally } {
  const rules: string[] = []
  evaluateAuditEvent(rs, ev, function collect (a) { rules.push(a.rule) }, tally)
  return { rules, tally }
}

t.test('isTruncated reads the one annotation, exactly "true"', async (t) => {
  t.equal(isTruncated({ annotations: TRUNCATED }), true)
  t.equal(isTruncated({ annotations: { 'audit.k8s.io/truncated': 'false' } }), false)
  t.equal(isTruncated({ annotations: { 'audit.k8s.io/truncated': true } }), false, 'the apiserver writes a string')
  t.equal(isTruncated({ annotations: ALLOW }), false)
  t.equal(isTruncated({}), false)
  t.equal(isTruncated({ annotations: null }), false)
})

t.test('a truncated privileged pod create: no alert (the object is gone), counted as needed by rules', async (t) => {
  const rs = load('first')
  const whole = run(rs, write('pods', 'miner', { request: privilegedPod, response: privilegedPod }))
  t.same(whole.rules, ['K8s Privileged Pod Created'], 'the untruncated event alerts')
  t.same(whole.tally, { truncated: 0, blinded: 0 }, 'and is not counted')
  const cut = run(rs, write('pods', 'miner', undefined))
  t.same(cut.rules, [], 'the truncated one cannot')
  t.equal(cut.tally.truncated, 1)
  t.equal(cut.tally.blinded, 1, 'a pod rule tried to read the requestObject')
  t.same(cut.tally.last, { auditID: 'a-pods-miner', verb: 'create', resource: 'pods', subresource: undefined, namespace: 'default', name: 'miner', user: 'alice' })
})

t.test('a truncated Ingress without tls is not reported as one, but counts as needed by rules', async (t) => {
  const rs = load('first')
  t.same(run(rs, write('ingresses', 'web', { request: tlslessIngress })).rules, ['K8s Ingress Without TLS Written'])
  const cut = run(rs, write('ingresses', 'web', undefined))
  t.same(cut.rules, [], 'a missing requestObject is no evidence of a missing tls section')
  t.equal(cut.tally.blinded, 1)
})

t.test('a truncated event no rule looks inside: counted, not needed by rules', async (t) => {
  const rs = load('all')
  const cut = run(rs, write('deployments', 'web', undefined, { objectRef: { resource: 'deployments', namespace: 'default', name: 'web', apiGroup: 'apps', apiVersion: 'v1' } }))
  t.same(cut.rules, [])
  t.same(cut.tally, { truncated: 1, blinded: 0 })
})

t.test('alerts that do not need the objects are the same as without the watch', async (t) => {
  const rs = load('all')
  const binding = (annotations: Record<string, string>): AuditEvent => write('clusterrolebindings', 'b1', undefined, {
    requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    objectRef: { resource: 'clusterrolebindings', name: 'b1', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
    annotations
  })
  const plain: Alert[] = []
  rs.evaluate('k8s_audit', binding(TRUNCATED), (a) => { plain.push(a) })
  const watched: Alert[] = []
  const tally = newTally()
  evaluateAuditEvent(rs, binding(TRUNCATED), (a) => { watched.push(a) }, tally)
  t.same(watched.map((a) => a.rule), ['K8s RBAC Changed By Unexpected User'], 'who changed RBAC needs no object')
  t.same(watched.map((a) => [a.rule, a.message, a.outputFields]), plain.map((a) => [a.rule, a.message, a.outputFields]), 'same alerts, same text')
  t.equal(tally.blinded, 1, 'the cluster-admin rule wanted roleRef')
})

interface Harness {
  logs: Array<{ obj: Record<string, unknown>, msg: string }>
  alerts: Alert[]
  metric: Array<[number, number]>
  timers: Array<{ fn: () => void, ms: number, cancelled: boolean }>
  clock: { now: number }
  reporter: ReturnType<typeof createTruncationReporter>
}

function harness (): Harness {
  const h: Omit<Harness, 'reporter'> = { logs: [], alerts: [], metric: [], timers: [], clock: { now: 1_000_000 } }
  const reporter = createTruncationReporter({
    intervalMs: 60_000,
    metrics: { auditTruncated (n, needed) { h.metric.push([n, needed]) } },
    logger: { warn (obj: Record<string, unknown>, msg: string) { h.logs.push({ obj, msg }) } } as never,
    emit (a) { h.alerts.push(a) },
    hostname: 'lanner-0',
    now: () => h.clock.now,
    schedule (fn, ms) {
      const timer = { fn, ms, cancelled: false }
      h.timers.push(timer)
      return () => { timer.cancelled = true }
    }
  })
  return { ...h, reporter }
}

/** as evaluateAuditEvent fills it: `last` is the latest event a rule needed the objects of */
const podTally = (truncated: number, blinded: number, name = 'miner'): TruncationTally => blinded === 0
  ? { truncated, blinded }
  : { truncated, blinded, last: { auditID: `id-${name}`, verb: 'create', resource: 'pods', namespace: 'default', name, user: 'alice' } }

t.test('reporter: first truncated batch is reported at once, the rest once per interval', async (t) => {
  const h = harness()
  h.reporter.record(newTally())
  t.same([h.logs.length, h.alerts.length, h.metric.length, h.timers.length], [0, 0, 0, 0], 'nothing truncated: nothing at all')

  h.reporter.record(podTally(2, 1))
  t.same(h.metric, [[2, 1]], 'counted at once')
  t.equal(h.logs.length, 1, 'one log line')
  t.same(h.logs[0]?.obj, { truncated: 2, neededByRules: 1, windowSeconds: 0, last: podTally(2, 1).last })
  t.match(h.logs[0]?.msg, /rules that read those objects could not match them/)
  t.equal(h.alerts.length, 1, 'one internal alert')
  const a = h.alerts[0]
  t.equal(a?.rule, TRUNCATED_RULE)
  t.equal(a?.source, 'internal')
  t.equal(a?.priority, 4, 'Warning')
  t.equal(a?.hostname, 'lanner-0')
  t.equal(a?.message, 'Lanner internal: truncated audit events. 1 audit events in last 1 seconds reached rules that read requestObject/responseObject, ' +
    'but kube-apiserver had removed those objects (audit.k8s.io/truncated), so the rules could not see what the requests created or changed. ' +
    'Last: create pods miner in default by alice.')
  t.same(a?.outputFields, { n_events: 1, n_truncated: 2, window_seconds: 1, last_audit_id: 'id-miner', last_verb: 'create', last_resource: 'pods', last_subresource: null, last_namespace: 'default', last_name: 'miner', last_user: 'alice' })
  t.equal(a?.time, 1_000_000n * 1_000_000n, 'report time in ns')

  h.clock.now += 5_000
  h.reporter.record(podTally(3, 3, 'web-1'))
  h.clock.now += 10_000
  h.reporter.record(podTally(1, 0))
  t.same(h.metric, [[2, 1], [3, 3], [1, 0]], 'every batch counted at once')
  t.equal(h.logs.length, 1, 'no second line within the interval')
  t.equal(h.alerts.length, 1, 'no second alert within the interval')
  t.equal(h.timers.length, 1, 'one timer for the window')
  t.equal(h.timers[0]?.ms, 55_000, 'due when the interval since the last report ends')

  h.clock.now += 45_000
  h.timers[0]?.fn()
  t.equal(h.logs.length, 2)
  t.same(h.logs[1]?.obj, { truncated: 4, neededByRules: 3, windowSeconds: 55, last: podTally(3, 3, 'web-1').last }, 'the window sums, last one needed by rules')
  t.equal(h.alerts.length, 2)
  t.same([h.alerts[1]?.outputFields.n_events, h.alerts[1]?.outputFields.n_truncated, h.alerts[1]?.outputFields.window_seconds, h.alerts[1]?.outputFields.last_name], [3, 4, 55, 'web-1'])
})

t.test('reporter: truncated events no rule needed are logged, never alerted', async (t) => {
  const h = harness()
  h.reporter.record({ truncated: 7, blinded: 0 })
  t.equal(h.logs.length, 1)
  t.match(h.logs[0]?.msg, /no loaded rule needed them/)
  t.same(h.alerts, [])
  t.same(h.metric, [[7, 0]])
})

t.test('reporter: close reports what is pending and cancels the timer', async (t) => {
  const h = harness()
  h.reporter.record(podTally(1, 1))
  h.clock.now += 1_000
  h.reporter.record(podTally(2, 2))
  t.equal(h.alerts.length, 1)
  h.reporter.close()
  t.equal(h.timers[0]?.cancelled, true)
  t.equal(h.alerts.length, 2, 'the pending window is not lost at shutdown')
  t.equal(h.alerts[1]?.outputFields.n_events, 2)
  h.reporter.close()
  t.equal(h.alerts.length, 2, 'nothing pending: nothing more')
})

t.test('the metric: lanner_audit_truncated_events_total by needed_by_rules', async (t) => {
  const m = createMetrics({ defaultMetrics: false })
  m.auditTruncated(5, 2)
  m.auditTruncated(1, 0)
  m.auditTruncated(3, 3)
  const text = await m.text()
  t.match(text, /^lanner_audit_truncated_events_total\{needed_by_rules="true"\} 5$/m)
  t.match(text, /^lanner_audit_truncated_events_total\{needed_by_rules="false"\} 4$/m)
})

t.test('through the webhook handlers, main thread and eval worker: counted, alerted, reaching the outputs', { timeout: 60000 }, async (t) => {
  const { PassThrough } = await import('node:stream')
  const { loadConfig } = await import('../../src/config/index.ts')
  const { buildApp } = await import('../../src/app/build.ts')
  const { createAuditBatchHandler, createPooledAuditBatchHandler } = await import('../../src/app/audit-mode/audit-handler.ts')
  const { createEvalPool } = await import('../../src/app/audit-mode/eval-pool.ts')
  const { createLogger } = await import('../../src/app/log/logger.ts')
  const { loadOptionsFrom } = await import('../../src/app/rules/rules-manager.ts')

  const config = loadConfig({ rules: [RULES_FILE], overrides: ['json_output=true'] })
  const out = new PassThrough()
  const lines: string[] = []
  out.on('data', (b: Buffer) => lines.push(...b.toString().trimEnd().split('\n')))
  const logs: string[] = []
  const logStream = new PassThrough()
  logStream.on('data', (b: Buffer) => logs.push(...b.toString().trimEnd().split('\n')))
  const app = await buildApp(config, { stdout: out, logger: createLogger({ level: 'warn', stderr: true }, logStream), defaultMetrics: false })
  t.equal((await app.rules.load()).ok, true)
  const { sources: _s, ...loadOptions } = loadOptionsFrom(config, app.sources)
  const pool = createEvalPool(1, { userFields: config.userFields, loadOptions, maxEventBytes: config.webhook.maxEventBytes }, app.logger)
  t.teardown(async () => { await pool.close(); await app.dispatcher.close(100) })
  await pool.setRules(app.rules.inputs() ?? [])

  // an hour: each handler's first batch is reported at once, nothing else within the test
  const reporter = () => createTruncationReporter({ intervalMs: 3_600_000, metrics: app.metrics, logger: app.logger, emit: app.emit })
  const inThread = createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes, truncation: reporter() })
  const pooled = createPooledAuditBatchHandler({ pool, emit: app.emit, metrics: app.metrics, truncation: reporter() })

  // as the truncating backend sends it: items without kind/apiVersion, objects removed, annotation added
  const items = [write('pods', 'miner', undefined), write('pods', 'web', { request: privilegedPod, response: privilegedPod })].map((e) => e.obj)
  const body = Buffer.from(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items }))

  for (const [label, handle] of [['main thread', inThread], ['eval worker', pooled]] as const) {
    lines.splice(0)
    const res = await handle(body)
    t.match(res, { accepted: 2, rejected: 0 }, `${label}: both events accepted`)
    t.same(res.issues, [], `${label}: no issues`)
    await app.dispatcher.flush(5000)
    const alerts = lines.map((l) => JSON.parse(l) as { rule: string, source: string, priority: string, output_fields: Record<string, unknown> })
    t.same(alerts.map((a) => a.rule).sort(), [TRUNCATED_RULE, 'K8s Privileged Pod Created'].sort(), `${label}: the whole event alerts, the truncated one is reported`)
    const internal = alerts.find((a) => a.rule === TRUNCATED_RULE)
    t.match(internal, { source: 'internal', priority: 'Warning', output_fields: { n_events: 1, n_truncated: 1, last_resource: 'pods', last_name: 'miner', last_user: 'alice' } }, label)
  }
  t.match(await app.metrics.text(), /^lanner_audit_truncated_events_total\{needed_by_rules="true"\} 2$/m, 'one per handler')
  t.equal(logs.filter((l) => l.includes('audit events arrived truncated')).length, 2, 'one log line per handler')
})

t.test('lanner replay: the summary counts truncated events and says what they cost', async (t) => {
  const { writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { replayAudit } = await import('../../src/app/replay/replay-audit.ts')
  const { formatReplaySummary } = await import('../../src/app/replay/replay.ts')
  const dir = t.testdir({})
  // the log backend writes each event alone, with its kind/apiVersion (--audit-log-truncate-enabled truncates the same way)
  const line = (ev: AuditEvent): string => JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', ...ev.obj })
  const file = join(dir, 'audit.log')
  writeFileSync(file, [
    line(write('pods', 'miner', undefined)),
    line(write('pods', 'web', { request: privilegedPod, response: privilegedPod })),
    line(write('deployments', 'big', undefined, { objectRef: { resource: 'deployments', namespace: 'default', name: 'big', apiGroup: 'apps', apiVersion: 'v1' } }))
  ].join('\n') + '\n')
  const summary = await replayAudit({ paths: [file], ruleset: load('first'), emit: () => {}, maxEventBytes: 4 * 1024 * 1024 })
  t.same(summary.rules, { 'K8s Privileged Pod Created': 1 })
  t.same(summary.truncated, { events: 2, neededByRules: 1 })
  t.ok(formatReplaySummary(summary).includes('replay: 2 event(s) truncated by the apiserver (audit.k8s.io/truncated: requestObject/responseObject removed); ' +
    '1 reached rules that read those objects and could not match them'))
  const plain = await replayAudit({ paths: [file], ruleset: load('first'), emit: () => {}, maxEventBytes: 4 * 1024 * 1024, pace: () => undefined })
  t.equal(plain.alerts, 1, 'alert counts unchanged by the watch')
  writeFileSync(file, line(write('pods', 'web', { request: privilegedPod, response: privilegedPod })) + '\n')
  const whole = await replayAudit({ paths: [file], ruleset: load('first'), emit: () => {}, maxEventBytes: 4 * 1024 * 1024 })
  t.notOk(formatReplaySummary(whole).some((l) => l.includes('truncated')), 'no line when nothing was truncated')
})
