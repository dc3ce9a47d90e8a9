// The "Lanner internal: truncated audit events" alert as its reader sees it, for requests that
// are not a namespaced create: a cluster-scoped binding (no namespace), a subresource, and a
// request that names nothing (each missing part is null in output_fields and '?' or absent in
// the text, never "undefined"). Through the real default rules and the reporter serve runs.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadRules } from '../../src/rules/index.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import { AuditEvent } from '../../src/audit/index.ts'
import type { Alert } from '../../src/events/index.ts'
import { createMetrics } from '../../src/app/metrics/metrics.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { TRUNCATED_RULE, truncatedEventsAlert } from '../../src/app/metrics/internal-alerts.ts'
import { createTruncationReporter, evaluateAuditEvent, newTally } from '../../src/app/audit-mode/audit-truncation.ts'
import { lineCollector } from './fixtures.ts'

const RULES_FILE = fileURLToPath(new URL('../../rules/k8s_audit_rules.yaml', import.meta.url))
const rules = loadRules([{ name: RULES_FILE, content: readFileSync(RULES_FILE, 'utf8') }], { sources: [k8sAuditSource] }).ruleset
if (rules === undefined) throw new Error('the default rules do not load')

/** A ClusterRoleBinding create as kube-apiserver's truncating backend sends it: no objects, the annotation. */
function truncatedBindingCreate (): AuditEvent {
  return new AuditEvent({
    level: 'RequestResponse',
    auditID: 'c0ffee00-0000-4000-8000-000000000001',
    stage: 'ResponseComplete',
    requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?fieldManager=kubectl-create',
    verb: 'create',
    user: { username: 'mallory', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.9'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
    objectRef: { resource: 'clusterrolebindings', name: 'pwn', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestReceivedTimestamp: '2025-06-01T10:00:00.000100Z',
    stageTimestamp: '2025-06-01T10:00:00.009100Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '', 'audit.k8s.io/truncated': 'true' }
  }, 1_748_772_000_009_100_000n)
}

t.test('a truncated cluster-scoped binding: the alert names it without a namespace', async (t) => {
  const tally = newTally()
  const alerts: Alert[] = []
  evaluateAuditEvent(rules, truncatedBindingCreate(), function collect (a) { alerts.push(a) }, tally)
  t.equal(tally.blinded, 1, 'a default rule needed the removed requestObject')
  const { stream, lines } = lineCollector()
  const reporter = createTruncationReporter({ intervalMs: 60_000, metrics: createMetrics({ defaultMetrics: false }), logger: createLogger({ level: 'info', stderr: true }, stream), emit: function raised (a) { alerts.push(a) }, hostname: 'node-7' })
  t.teardown(() => { reporter.close() })
  reporter.record(tally)
  const alert = alerts.find((a) => a.rule === TRUNCATED_RULE)
  t.match(alert?.message, /Last: create clusterrolebindings pwn by mallory\.$/)
  t.match(alert, { priority: 4, source: 'internal', hostname: 'node-7' })
  t.same(alert?.outputFields, {
    n_events: 1,
    n_truncated: 1,
    window_seconds: 1,
    last_audit_id: 'c0ffee00-0000-4000-8000-000000000001',
    last_verb: 'create',
    last_resource: 'clusterrolebindings',
    last_subresource: null,
    last_namespace: null,
    last_name: 'pwn',
    last_user: 'mallory'
  })
  t.match(JSON.parse(lines[0] ?? '{}'), { level: 40, truncated: 1, neededByRules: 1 }, 'and the log line')
})

t.test('a subresource, and a request that names nothing', async (t) => {
  const sub = truncatedEventsAlert(1n, { blinded: 2, truncated: 3, seconds: 0.2, last: { verb: 'update', resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'prod', name: 'web-0', user: 'bob' } }, 'h')
  t.match(sub.message, /^Lanner internal: truncated audit events\. 2 audit events in last 1 seconds .*Last: update pods\/ephemeralcontainers web-0 in prod by bob\.$/)
  t.equal(sub.outputFields.last_subresource, 'ephemeralcontainers')
  const bare = truncatedEventsAlert(1n, { blinded: 1, truncated: 1, seconds: 5, last: {} }, 'h')
  t.match(bare.message, /Last: \? \? by \?\.$/)
  t.same(Object.entries(bare.outputFields).filter(([k]) => k.startsWith('last_')).map(([, v]) => v), [null, null, null, null, null, null, null])
})

t.test('without a hostname given, FALCO_HOSTNAME names the node, as in Falco', async (t) => {
  const saved = process.env.FALCO_HOSTNAME
  process.env.FALCO_HOSTNAME = 'falco-node-3'
  t.teardown(() => { if (saved === undefined) delete process.env.FALCO_HOSTNAME; else process.env.FALCO_HOSTNAME = saved })
  t.equal(truncatedEventsAlert(1n, { blinded: 1, truncated: 1, seconds: 1, last: {} }).hostname, 'falco-node-3')
})
