// append_output and static_fields in the rules engine: extra_output appended to the text (with
// %fields), extra_fields only in output_fields (typed field values, rendered templates, static
// values), matching by source / tags (all of them) / rule name, static.* in conditions, a bad
// field in append_output reported as such, and suggested_output on k8s_audit and syscall rules.
import t from 'tap'
import { decodeAuditPayload } from '../../src/audit/index.ts'
import { createK8sAuditSource } from '../../src/audit/fields/index.ts'
import { withStaticFieldsAll } from '../../src/fields/static-fields.ts'
import { loadRules, type AppendOutputRule } from '../../src/rules/index.ts'
import type { Alert } from '../../src/events/index.ts'
import { syscallSource } from '../../src/syscall/fields/index.ts'
import { createEnricher } from '../../src/syscall/enrich.ts'
import { userDbFrom } from '../../src/syscall/state/users.ts'
import { K8sIndex } from '../../src/k8s/metadata.ts'
import { fakeProc, rec, HEX_A } from '../syscall/state/fake-proc.ts'

const RULES = `
- rule: Pod created
  desc: d
  condition: ka.verb = create and ka.target.resource = pods and static.cluster = prod-eu
  output: pod created (user=%ka.user.name)
  priority: NOTICE
  source: k8s_audit
  tags: [k8s, pci]
- rule: Any delete
  desc: d
  condition: ka.verb = delete
  output: deleted %ka.target.name
  priority: WARNING
  source: k8s_audit
  tags: [k8s]
`

// an EventList item as kube-apiserver sends it: no kind/apiVersion on the item
const BODY = JSON.stringify({
  kind: 'EventList',
  apiVersion: 'audit.k8s.io/v1',
  metadata: {},
  items: [
    { level: 'Metadata', auditID: 'a1', stage: 'ResponseComplete', requestURI: '/api/v1/namespaces/default/pods', verb: 'create', user: { username: 'alice' }, objectRef: { resource: 'pods', namespace: 'default', name: 'p1', apiVersion: 'v1' }, responseStatus: { code: 201 }, requestReceivedTimestamp: '2026-01-01T00:00:00.000000Z', stageTimestamp: '2026-01-01T00:00:00.100000Z' },
    { level: 'Metadata', auditID: 'a2', stage: 'ResponseComplete', requestURI: '/api/v1/namespaces/default/pods/p1', verb: 'delete', user: { username: 'bob' }, objectRef: { resource: 'pods', namespace: 'default', name: 'p1', apiVersion: 'v1' }, responseStatus: { code: 200 }, requestReceivedTimestamp: '2026-01-01T00:00:01.000000Z', stageTimestamp: '2026-01-01T00:00:01.100000Z' }
  ]
})

function run (appendOutput: AppendOutputRule[], statics: Record<string, string>): { alerts: Alert[], errors: string[] } {
  const sources = withStaticFieldsAll([createK8sAuditSource({ userFields: [] })], statics)
  const r = loadRules([{ name: 'rules.yaml', content: RULES }], { sources, appendOutput })
  if (!r.ok || r.ruleset === undefined) return { alerts: [], errors: r.errors.map((e) => `${e.code}: ${e.message}`) }
  const alerts: Alert[] = []
  const { events } = decodeAuditPayload(BODY, { maxEventBytes: 1 << 20 })
  for (const ev of events) r.ruleset.evaluate('k8s_audit', ev, (a) => alerts.push(a))
  return { alerts, errors: [] }
}

t.test('extra_output for every k8s_audit rule, extra_fields only for rules with both tags', async (t) => {
  const { alerts, errors } = run([
    { source: 'k8s_audit', tags: [], extraOutput: 'cluster=%static.cluster verb=%ka.verb', extraFields: [], suggestedOutput: false },
    { tags: ['k8s', 'pci'], extraFields: [{ key: 'ka.verb', field: 'ka.verb' }, { key: 'team', template: 'payments' }, { key: 'who', template: 'by %ka.user.name' }, { key: 'static.cluster', field: 'static.cluster' }], suggestedOutput: false },
    { source: 'syscall', tags: [], extraOutput: 'never', extraFields: [{ key: 'never', template: 'x' }], suggestedOutput: false }
  ], { cluster: 'prod-eu' })
  t.same(errors, [])
  t.equal(alerts.length, 2)
  const [created, deleted] = alerts as [Alert, Alert]
  t.equal(created.message, 'pod created (user=alice) cluster=prod-eu verb=create')
  t.same(created.outputFields, { 'ka.user.name': 'alice', 'static.cluster': 'prod-eu', 'ka.verb': 'create', team: 'payments', who: 'by alice' })
  t.equal(deleted.message, 'deleted p1 cluster=prod-eu verb=delete')
  t.same(Object.keys(deleted.outputFields).sort(), ['ka.target.name', 'ka.verb', 'static.cluster'], 'no pci tag: no extra_fields')
})

t.test('match by rule name; static.* in a condition decides the match', async (t) => {
  const byRule = run([{ rule: 'Any delete', tags: [], extraOutput: '[deletion]', extraFields: [], suggestedOutput: false }], { cluster: 'prod-eu' })
  t.same(byRule.alerts.map((a) => a.message), ['pod created (user=alice)', 'deleted p1 [deletion]'])
  const otherCluster = run([], { cluster: 'staging' })
  t.same(otherCluster.alerts.map((a) => a.rule), ['Any delete'], 'static.cluster = prod-eu is false on staging')
  const noStatic = run([], {})
  t.match(noStatic.errors.join('\n'), /static\.cluster/, 'without static_fields the field is unknown')
})

t.test('an unknown field in append_output is an error naming append_output', async (t) => {
  const r = run([{ tags: [], extraOutput: 'x=%ka.nosuch', extraFields: [], suggestedOutput: false }], { cluster: 'prod-eu' })
  t.match(r.errors.join('\n'), /LOAD_ERR_COMPILE_OUTPUT: append_output \(falco\.yaml\) for rule 'Pod created'/)
  const f = run([{ tags: [], extraFields: [{ key: 'x', field: 'ka.nosuch' }], suggestedOutput: false }], { cluster: 'prod-eu' })
  t.match(f.errors.join('\n'), /append_output/)
})

t.test('suggested_output appends the static fields (Falco: static_<name>=<value>, in name order)', async (t) => {
  const { alerts, errors } = run([{ tags: [], extraFields: [], suggestedOutput: true }], { cluster: 'prod-eu', az: 'b' })
  t.same(errors, [])
  t.same(alerts.map((a) => a.message), ['pod created (user=alice) static_az=b static_cluster=prod-eu', 'deleted p1 static_az=b static_cluster=prod-eu'])
  t.match(alerts[1]?.outputFields, { 'static.az': 'b', 'static.cluster': 'prod-eu', 'ka.target.name': 'p1' })
  const off = run([{ tags: [], extraFields: [], suggestedOutput: false }], { cluster: 'prod-eu' })
  t.same(off.alerts.map((a) => a.message), ['pod created (user=alice)', 'deleted p1'], 'suggested_output false: nothing appended')
})

// a syscall rule through the real enricher: fixture /proc, a pod's container from the K8s index
const SYSCALL_RULES = `
- rule: Curl run
  desc: d
  condition: evt.type = execve and proc.name = curl
  output: curl run (user=%user.name)
  priority: NOTICE
  source: syscall
`

function runSyscall (t: { teardown(fn: () => void): void }, appendOutput: AppendOutputRule[], statics: Record<string, string>): { alerts: Alert[], errors: string[] } {
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd', cwd: '/' },
    { pid: 10, ppid: 1, comm: 'containerd-shim', argv: ['/usr/bin/containerd-shim-runc-v2'], cwd: '/' },
    { pid: 20, ppid: 10, comm: 'bash', argv: ['bash'], exe: '/usr/bin/bash', cwd: '/root', uid: 0, cgroup: `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podu1.slice/cri-containerd-${HEX_A}.scope\n` }
  ])
  t.teardown(fp.cleanup)
  const k8s = new K8sIndex()
  k8s.upsertPod({
    metadata: { name: 'web-1', namespace: 'shop', uid: 'u1' },
    spec: { containers: [{ name: 'web', image: 'docker.io/library/nginx:1.25' }] },
    status: { containerStatuses: [{ name: 'web', containerID: `containerd://${HEX_A}`, imageID: 'docker.io/library/nginx@sha256:' + 'c'.repeat(64), state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] }
  })
  const users = userDbFrom([{ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' }], [{ name: 'root', gid: 0 }])
  const en = createEnricher({ procRoot: fp.root, users, k8s, hostname: 'node-1' })
  const r = loadRules([{ name: 'rules.yaml', content: SYSCALL_RULES }], { sources: withStaticFieldsAll([syscallSource], statics), appendOutput })
  if (!r.ok || r.ruleset === undefined) return { alerts: [], errors: r.errors.map((e) => `${e.code}: ${e.message}`) }
  const alerts: Alert[] = []
  // curl in the pod's container (child of its bash), then curl on the host (child of pid 1)
  en.enrich(rec('fork', { pid: 30, tid: 30, ppid: 20, res: 0 }))
  const inPod = en.enrich(rec('execve', { pid: 30, ppid: 20, comm: 'curl', argv: ['curl', 'x'], args: { filename: '/usr/bin/curl', exe: 'curl', args: 'x', cwd: '/root' } }))
  en.enrich(rec('fork', { pid: 40, tid: 40, ppid: 1, res: 0 }))
  const onHost = en.enrich(rec('execve', { pid: 40, ppid: 1, comm: 'curl', argv: ['curl', 'x'], args: { filename: '/usr/bin/curl', exe: 'curl', args: 'x', cwd: '/' } }))
  for (const ev of [inPod, onHost]) r.ruleset.evaluate('syscall', ev, (a) => alerts.push(a))
  return { alerts, errors: [] }
}

t.test('suggested_output on a syscall rule: static fields, then container_id and container_name (the container plugin\'s suggested fields)', async (t) => {
  const id = HEX_A.slice(0, 12)
  const { alerts, errors } = runSyscall(t, [{ tags: [], extraFields: [], suggestedOutput: true }], { cluster: 'prod-eu' })
  t.same(errors, [])
  t.same(alerts.map((a) => a.message), [
    `curl run (user=root) static_cluster=prod-eu container_id=${id} container_name=web`,
    'curl run (user=root) static_cluster=prod-eu container_id=host container_name=host'
  ])
  t.same(alerts[0]?.outputFields, { 'user.name': 'root', 'static.cluster': 'prod-eu', 'container.id': id, 'container.name': 'web' })
  t.same(alerts[1]?.outputFields, { 'user.name': 'root', 'static.cluster': 'prod-eu', 'container.id': 'host', 'container.name': 'host' })
  const off = runSyscall(t, [{ tags: [], extraFields: [], suggestedOutput: false }], {})
  t.same(off.alerts.map((a) => a.message), ['curl run (user=root)', 'curl run (user=root)'], 'suggested_output false: the rule\'s output as written')
  t.same(Object.keys(off.alerts[0]?.outputFields ?? {}), ['user.name'])
  const none = runSyscall(t, [], {})
  t.same(none.alerts.map((a) => a.message), ['curl run (user=root)', 'curl run (user=root)'], 'no append_output (no -c): unchanged')
})

t.test('static_fields keep the source\'s own constant handling: fd.sport = https and fd.sip.name load and compare as without them', async (t) => {
  const rules = `
- rule: Outbound https
  desc: d
  condition: evt.type = connect and evt.dir = < and fd.sport = https and fd.sip.name = "api.example.com"
  output: "https (port=%fd.sport)"
  priority: NOTICE
  source: syscall
`
  const plain = loadRules([{ name: 'rules.yaml', content: rules }], { sources: [syscallSource] })
  const withStatics = loadRules([{ name: 'rules.yaml', content: rules }], { sources: withStaticFieldsAll([syscallSource], { cluster: 'prod-eu' }) })
  t.same(plain.errors.map((e) => e.code), [], 'loads without static fields')
  t.same(withStatics.errors.map((e) => e.code), [], 'and with them (was RULE_COMPILE_BAD_VALUE: the port name reached the compiler unnormalised)')
  t.ok(withStatics.ok)
  const wrapped = withStaticFieldsAll([syscallSource], { cluster: 'prod-eu' })[0]!.fields
  for (const name of ['fd.sport', 'fd.cport', 'fd.sip.name', 'fd.rip.name']) {
    t.equal(typeof wrapped.bindConstant?.(name, undefined), typeof syscallSource.fields.bindConstant?.(name, undefined), `${name}: the same constant normalisation`)
    t.equal(typeof wrapped.bindCompare?.(name, undefined), typeof syscallSource.fields.bindCompare?.(name, undefined), `${name}: the same comparison`)
  }
  t.equal(wrapped.bindConstant?.('static.cluster', undefined), undefined, 'a static field has none')
})
