// Every k8s_audit field, extracted from crafted events: one case where it has a value, and the
// cases where it is absent (missing data, no auditID, out-of-range index, wrong JSON type).
process.env.TZ = 'UTC'
import t from 'tap'
import { k8sAuditSource } from '../../../src/audit/fields/index.ts'
import type { FieldValue } from '../../../src/fields/index.ts'
import { eventOf, fixtureEvent, fixtureObject } from '../../fixtures/audit/load.ts'

const table = k8sAuditSource.fields
const pod = fixtureEvent('pod-full.json')
const binding = fixtureEvent('rolebinding.json')
const role = fixtureEvent('clusterrole.json')
const service = fixtureEvent('service.json')
const configmap = fixtureEvent('configmap.json')
const exec = fixtureEvent('exec.json')
const minimal = fixtureEvent('minimal.json')
const withReason = eventOf({ ...fixtureObject('minimal.json'), responseStatus: { code: 403, reason: 'Forbidden' } })
const T0 = BigInt(Date.UTC(2024, 2, 1, 10, 0, 0)) * 1_000_000n + 123_456_789n

type Case = [name: string, arg: string | undefined, ev: typeof pod, want: FieldValue]

const PRESENT: Case[] = [
  ['evt.time', undefined, pod, T0],
  ['evt.time.s', undefined, pod, '10:00:00'],
  ['evt.time.iso8601', undefined, pod, T0],
  ['evt.datetime', undefined, pod, T0],
  ['evt.datetime.s', undefined, pod, '2024-03-01 10:00:00'],
  ['evt.rawtime', undefined, pod, T0],
  ['evt.rawtime.s', undefined, pod, 1709287200],
  ['evt.rawtime.ns', undefined, pod, 123456789],
  ['evt.source', undefined, pod, 'k8s_audit'],
  ['evt.pluginname', undefined, pod, 'k8saudit'],
  ['ka.auditid', undefined, pod, '11111111-2222-3333-4444-555555555555'],
  ['ka.stage', undefined, pod, 'ResponseComplete'],
  ['ka.auth.decision', undefined, pod, 'allow'],
  ['ka.auth.reason', undefined, pod, ''],
  ['ka.auth.openshift.decision', undefined, pod, 'allow'],
  ['ka.validations.admission.policy.failure', undefined, pod, '[{"message":"no"}]'],
  ['ka.security.pod.violations', undefined, pod, 'privileged (container "sidecar" must not set securityContext.privileged=true)'],
  ['ka.auth.openshift.username', undefined, pod, 'alice@corp'],
  ['ka.user.name', undefined, pod, 'alice'],
  ['ka.user.groups', undefined, pod, ['dev', 'system:authenticated']],
  ['ka.impuser.name', undefined, pod, 'bob'],
  ['ka.verb', undefined, pod, 'create'],
  ['ka.uri', undefined, pod, '/api/v1/namespaces/team-a/pods?fieldManager=kubectl-client-side-apply&dryRun=All&dryRun=None&label=a%20b'],
  ['ka.uri.param', 'dryRun', pod, 'All'],
  ['ka.uri.params', 'command', exec, ['sh', '-c', 'id']],
  ['ka.target.name', undefined, pod, 'web-1'],
  ['ka.target.namespace', undefined, pod, 'team-a'],
  ['ka.target.resource', undefined, pod, 'pods'],
  ['ka.target.subresource', undefined, exec, 'exec'],
  ['ka.target.pod.name', undefined, pod, 'web-1'],
  ['ka.req.binding.subjects', undefined, binding, [
    '{"kind":"User","name":"carol","apiGroup":"rbac.authorization.k8s.io"}',
    '{"kind":"ServiceAccount","name":"deployer","namespace":"ci"}',
    '{"kind":"ServiceAccount","name":"orphan"}',
    '{"kind":"Group","name":"ops","apiGroup":"rbac.authorization.k8s.io"}',
    '{"kind":"User"}'
  ]],
  ['ka.req.binding.subjects.user_names', undefined, binding, ['carol']],
  ['ka.req.binding.subjects.serviceaccount_names', undefined, binding, ['deployer', 'orphan']],
  ['ka.req.binding.subjects.serviceaccount_ns_names', undefined, binding, ['ci:deployer']],
  ['ka.req.binding.subjects.group_names', undefined, binding, ['ops']],
  ['ka.req.binding.role', undefined, binding, 'cluster-admin'],
  ['ka.req.binding.subject.has_name', 'anyone', binding, 'true'],
  ['ka.req.configmap.name', undefined, configmap, 'app-config'],
  ['ka.req.configmap.obj', undefined, configmap, '{"db":"host=x password=hunter2","n":"1"}'],
  ['ka.req.pod.containers.args', undefined, pod, ['-g daemon off;']],
  ['ka.req.pod.containers.command', undefined, pod, ['nginx']],
  ['ka.req.pod.containers.name', undefined, pod, ['web', 'sidecar']],
  ['ka.req.pod.containers.image', undefined, pod, ['docker.io/library/nginx:1.25', 'busybox']],
  ['ka.req.container.image', undefined, pod, 'docker.io/library/nginx:1.25'],
  ['ka.req.pod.containers.image.repository', undefined, pod, ['docker.io/library/nginx', 'busybox']],
  ['ka.req.container.image.repository', undefined, pod, 'docker.io/library/nginx'],
  ['ka.req.pod.host_ipc', undefined, pod, 'true'],
  ['ka.req.pod.host_network', undefined, pod, 'true'],
  ['ka.req.container.host_network', undefined, pod, 'true'],
  ['ka.req.pod.host_pid', undefined, pod, 'false'],
  ['ka.req.pod.containers.host_port', undefined, pod, ['8080', '443']],
  ['ka.req.pod.containers.privileged', undefined, pod, ['false', 'true']],
  ['ka.req.container.privileged', undefined, pod, 'true'],
  ['ka.req.pod.containers.allow_privilege_escalation', undefined, pod, ['false']],
  ['ka.req.pod.containers.read_only_fs', undefined, pod, ['true']],
  ['ka.req.pod.run_as_user', undefined, pod, '1000'],
  ['ka.req.pod.containers.run_as_user', undefined, pod, ['101']],
  ['ka.req.pod.containers.eff_run_as_user', undefined, pod, ['101', '1000']],
  ['ka.req.pod.run_as_group', undefined, pod, '3000'],
  ['ka.req.pod.containers.run_as_group', undefined, pod, ['101']],
  ['ka.req.pod.containers.eff_run_as_group', undefined, pod, ['101', '3000']],
  ['ka.req.pod.containers.proc_mount', undefined, pod, ['Default']],
  ['ka.req.role.rules', undefined, role, [
    '{"apiGroups":[""],"resources":["pods","pods/exec"],"verbs":["get","create"]}',
    '{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}',
    '{"nonResourceURLs":["/metrics"],"verbs":["get"]}'
  ]],
  ['ka.req.role.rules.apiGroups', undefined, role, ['', '*']],
  ['ka.req.role.rules.nonResourceURLs', undefined, role, ['/metrics']],
  ['ka.req.role.rules.verbs', undefined, role, ['get', 'create', '*', 'get']],
  ['ka.req.role.rules.resources', undefined, role, ['pods', 'pods/exec', '*']],
  ['ka.req.pod.fs_group', undefined, pod, '2000'],
  ['ka.req.pod.supplemental_groups', undefined, pod, ['4000', '5000']],
  ['ka.req.pod.containers.add_capabilities', undefined, pod, ['NET_ADMIN', 'SYS_TIME']],
  ['ka.req.service.type', undefined, service, 'NodePort'],
  ['ka.req.service.ports', undefined, service, ['{"name":"http","port":80,"nodePort":30080}', '{"port":443}']],
  ['ka.req.pod.volumes.hostpath', undefined, pod, ['/', '/var/run/docker.sock']],
  ['ka.req.volume.hostpath', '/var/run/docker.sock', pod, 'true'],
  ['ka.req.pod.volumes.flexvolume_driver', undefined, pod, ['example/lvm']],
  ['ka.req.pod.volumes.volume_type', undefined, pod, ['hostPath', 'emptyDir', 'hostPath', 'flexVolume']],
  ['ka.resp.name', undefined, pod, 'web-1'],
  ['ka.response.code', undefined, pod, '201'],
  ['ka.response.reason', undefined, withReason, 'Forbidden'],
  ['ka.useragent', undefined, pod, 'kubectl/v1.29.0'],
  ['ka.sourceips', undefined, pod, ['10.0.0.7', '192.168.1.1']],
  ['ka.cluster.name', undefined, pod, 'prod-eu'],
  ['ka.req.pod.initContainers.name', undefined, pod, ['init']],
  ['ka.req.pod.initContainers.image', undefined, pod, ['registry.local:5000/tools/init:1.2@sha256:abcd']],
  ['ka.req.pod.initContainers.image.repository', undefined, pod, ['registry.local:5000/tools/init']],
  ['ka.req.pod.initContainers.command', undefined, pod, ['sh -c']],
  ['ka.req.pod.initContainers.args', undefined, pod, ['echo hi']],
  ['ka.req.pod.initContainers.privileged', undefined, pod, ['true']],
  ['ka.req.pod.initContainers.allow_privilege_escalation', undefined, pod, ['true']],
  ['ka.req.pod.initContainers.read_only_fs', undefined, pod, ['false']],
  ['ka.req.pod.initContainers.run_as_user', undefined, pod, ['0']],
  ['ka.req.pod.initContainers.eff_run_as_user', undefined, pod, ['0']],
  ['ka.req.pod.initContainers.run_as_group', undefined, pod, ['0']],
  ['ka.req.pod.initContainers.eff_run_as_group', undefined, pod, ['0']],
  ['ka.req.pod.initContainers.proc_mount', undefined, pod, ['Unmasked']],
  ['ka.req.pod.initContainers.add_capabilities', undefined, pod, ['SYS_ADMIN']],
  ['ka.req.pod.initContainers.host_port', undefined, pod, ['9000']],
  ['ka.req.pod.ephemeralContainers.name', undefined, pod, ['debugger']],
  ['ka.req.pod.ephemeralContainers.image', undefined, pod, ['busybox:1.36']],
  ['ka.req.pod.ephemeralContainers.image.repository', undefined, pod, ['busybox']],
  ['ka.req.pod.ephemeralContainers.command', undefined, pod, ['sh']],
  ['ka.req.pod.ephemeralContainers.args', undefined, pod, ['-i']],
  ['ka.req.pod.ephemeralContainers.privileged', undefined, pod, ['true']],
  ['ka.req.pod.ephemeralContainers.allow_privilege_escalation', undefined, pod, ['true']],
  ['ka.req.pod.ephemeralContainers.read_only_fs', undefined, pod, ['false']],
  ['ka.req.pod.ephemeralContainers.run_as_user', undefined, pod, ['0']],
  ['ka.req.pod.ephemeralContainers.eff_run_as_user', undefined, pod, ['0']],
  ['ka.req.pod.ephemeralContainers.run_as_group', undefined, pod, ['0']],
  ['ka.req.pod.ephemeralContainers.eff_run_as_group', undefined, pod, ['0']],
  ['ka.req.pod.ephemeralContainers.proc_mount', undefined, pod, ['Default']],
  ['ka.req.pod.ephemeralContainers.add_capabilities', undefined, pod, ['SYS_PTRACE']],
  ['jevt.value', '/user/username', pod, 'alice'],
  ['json.value', '/user/username', pod, 'alice'],
  ['jevt.obj', undefined, minimal, JSON.stringify(fixtureObject('minimal.json'), null, 2)],
  ['json.obj', undefined, minimal, JSON.stringify(fixtureObject('minimal.json'), null, 2)],
  ['jevt.rawtime', undefined, pod, T0.toString()],
  ['json.rawtime', undefined, pod, T0.toString()],
  ['jevt.time', undefined, pod, '10:00:00.123456789'],
  ['jevt.time.iso8601', undefined, pod, '2024-03-01T10:00:00.123456789+0000']
]

function get (name: string, arg: string | undefined, ev: typeof pod): FieldValue {
  return table.bind(name, arg)(ev)
}

t.test('every field of the table has a value on a crafted event', async (t) => {
  const covered = new Set(PRESENT.map((c) => c[0]))
  const missing = table.list().map((f) => f.name).filter((n) => !covered.has(n))
  t.same(missing, [], 'no field is left untested')
  // Lanner's additions (docs/k8saudit-fields.md) come on top of the plugin's fields
  const lannerOnly = new Set(['ka.uri.params'])
  t.equal(table.list().filter((f) => f.name.startsWith('ka.') && !lannerOnly.has(f.name)).length, 100, 'the 100 ka.* fields of k8saudit 0.18')
  for (const [name, arg, ev, want] of PRESENT) {
    t.same(get(name, arg, ev), want, arg === undefined ? name : `${name}[${arg}]`)
  }
})

t.test('list fields return lists, scalar fields scalars', async (t) => {
  for (const [name, arg, ev] of PRESENT) {
    const info = table.info(name)
    t.equal(Array.isArray(get(name, arg, ev)), info?.isList === true, `${name} list-ness matches its declaration`)
  }
})

t.test('an event with only an auditID leaves the ka.* fields absent', async (t) => {
  const ALWAYS: Record<string, FieldValue> = {
    'ka.auditid': 'min-1',
    'ka.stage': 'ResponseComplete',
    'ka.req.binding.subject.has_name': 'true',
    'ka.req.volume.hostpath': 'false'
  }
  for (const f of table.list()) {
    if (!f.name.startsWith('ka.')) continue
    const arg = f.arg === 'required' ? 'x' : undefined
    t.same(get(f.name, arg, minimal), ALWAYS[f.name], `${f.name} on a bare event`)
  }
})

t.test('without an auditID every ka.* field is absent, jevt.* still works', async (t) => {
  const { auditID: _drop, ...rest } = fixtureObject('pod-full.json')
  const ev = eventOf(rest)
  for (const f of table.list()) {
    if (!f.name.startsWith('ka.')) continue
    t.equal(get(f.name, f.arg === 'required' ? 'x' : undefined, ev), undefined, f.name)
  }
  t.equal(get('jevt.value', '/user/username', ev), 'alice')
  t.equal(get('evt.source', undefined, ev), 'k8s_audit')
})
