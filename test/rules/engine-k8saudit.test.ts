// The loader and engine with the real k8s_audit source on Falco's own rules files and recorded
// audit events (from ../shared/reference/cases, read at test time): the alert users' pipelines get.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { decodeAuditPayload } from '../../src/audit/index.ts'
import type { Alert } from '../../src/events/index.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import { loadRules } from '../../src/rules/index.ts'
import { formatAlertJson } from '../../src/outputs/index.ts'
import { skipUnlessRequired } from '../helpers/probe-required.ts'

const CASES = new URL('../../../shared/reference/cases/', import.meta.url).pathname
// ../shared is part of the test environment: missing in CI it fails (skipUnlessRequired), elsewhere a skip with the reason
const skip = skipUnlessRequired(existsSync(CASES) ? undefined : 'reference cases not present (../shared/reference/cases)') ?? false
const read = (f: string): { name: string, content: string } => ({ name: f, content: readFileSync(CASES + f, 'utf8') })

t.test('Falco rules files load and a privileged pod creation fires Create Privileged Pod', { skip }, async (t) => {
  const res = loadRules([read('falco_rules.v1.0.1.yaml'), read('k8s_audit_rules.for-tests.yaml')],
    { sources: [k8sAuditSource], ruleMatching: 'all', hostname: 'node-1' })
  t.same(res.errors, [])
  t.ok(res.warnings.some((w) => w.code === 'LOAD_UNKNOWN_SOURCE'), 'syscall rules are skipped without a syscall source')
  const alerts: Alert[] = []
  for (const ev of decodeAuditPayload(read('create_nginx_pod_privileged.json').content, { maxEventBytes: 0 }).events) {
    res.ruleset?.evaluate('k8s_audit', ev, (a) => alerts.push(a))
  }
  const priv = alerts.filter((a) => a.rule === 'Create Privileged Pod')
  t.equal(priv.length, 1)
  const json = JSON.parse(formatAlertJson(priv[0] as Alert)) as Record<string, unknown>
  t.match(json, { hostname: 'node-1', priority: 'Warning', rule: 'Create Privileged Pod', source: 'k8s_audit', time: /^2018-10-25T14:09:12\.\d{9}Z$/ })
  t.match(json.output, /^\d\d:\d\d:\d\d\.\d{9}: Warning Pod started with privileged container/)
  t.match(json.output_fields, { 'ka.user.name': 'system:serviceaccount:kube-system:replicaset-controller', 'evt.time': Number })
})

t.test('a trusted-container override silences the rule', { skip }, async (t) => {
  const res = loadRules([read('falco_rules.v1.0.1.yaml'), read('k8s_audit_rules.v0.6.0.yaml'), read('trust_nginx_container.falco-legacy.yaml')],
    { sources: [k8sAuditSource], ruleMatching: 'all' })
  t.same(res.errors, [])
  const fired: string[] = []
  for (const ev of decodeAuditPayload(read('create_nginx_pod_privileged.json').content, { maxEventBytes: 0 }).events) {
    res.ruleset?.evaluate('k8s_audit', ev, (a) => fired.push(a.rule))
  }
  t.notOk(fired.includes('Create Privileged Pod'))
})
