// The recommended audit policy: valid for kube-apiserver, and the levels real requests get.
import t from 'tap'
import { parse } from 'yaml'
import { auditPolicy, renderAuditPolicy, type AuditPolicy } from '../../src/setup/audit-policy.ts'
import { levelFor, validatePolicy, type RequestAttrs } from '../../src/setup/audit-policy-match.ts'

const policy = parse(renderAuditPolicy()) as AuditPolicy

t.test('the rendered YAML is the policy, and kube-apiserver would accept it', async (t) => {
  t.same(policy, auditPolicy(), 'comments and flow style do not change the data')
  t.same(validatePolicy(policy), [])
  t.equal(policy.apiVersion, 'audit.k8s.io/v1')
  t.same(policy.omitStages, ['RequestReceived'])
  t.equal(policy.rules.at(-1)?.level, 'Metadata', 'the catch-all records metadata')
  t.same(Object.keys(policy.rules.at(-1) ?? {}), ['level'], 'the catch-all matches everything')
})

t.test('validatePolicy catches what the apiserver refuses', async (t) => {
  const bad = {
    apiVersion: 'audit.k8s.io/v1beta1',
    kind: 'Policy',
    omitStages: ['Sometime'],
    rules: [
      { level: 'Everything' },
      { level: 'None', nonResourceURLs: ['healthz', '/a*b'], resources: [{ group: '' }] },
      { level: 'None', resources: [{ group: '', resources: ['*'], resourceNames: ['x'] }] }
    ]
  }
  const errs = validatePolicy(bad)
  t.match(errs, [/apiVersion/, /omitStages/, /rules\[0\]\.level/, /rules\[1\]: rules cannot apply to both/, /must start with/, /only at the end/, /resourceNames cannot/])
})

const anonymous = { user: 'system:anonymous', groups: ['system:unauthenticated'] }
const admin = { user: 'alice', groups: ['system:authenticated'] }
const cases: Array<[string, RequestAttrs, string]> = [
  ['anonymous /healthz probe', { ...anonymous, verb: 'get', path: '/healthz' }, 'None'],
  ['/readyz with a check name', { ...anonymous, verb: 'get', path: '/readyz/etcd' }, 'None'],
  ['/version', { ...anonymous, verb: 'get', path: '/version' }, 'None'],
  ['openapi discovery', { ...admin, verb: 'get', path: '/openapi/v3/apis/apps/v1' }, 'None'],
  ['group discovery', { ...admin, verb: 'get', path: '/apis/rbac.authorization.k8s.io/v1' }, 'None'],
  ['anonymous request to another non-resource URL', { ...anonymous, verb: 'get', path: '/logs' }, 'Metadata'],
  ['kube-proxy watching endpoints', { user: 'system:kube-proxy', verb: 'watch', resource: 'endpoints' }, 'None'],
  ['kubelet patching its node status', { user: 'system:node:n1', groups: ['system:nodes'], verb: 'patch', resource: 'nodes', subresource: 'status', name: 'n1' }, 'None'],
  ['kubelet renewing its lease', { user: 'system:node:n1', groups: ['system:nodes'], verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease' }, 'None'],
  ['controller-manager leader election', { user: 'system:kube-controller-manager', verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system' }, 'None'],
  ['listing events', { ...admin, verb: 'list', resource: 'events', namespace: 'default' }, 'None'],
  ['reading a secret', { ...admin, verb: 'get', resource: 'secrets', namespace: 'default', name: 's' }, 'Metadata'],
  ['creating a secret', { ...admin, verb: 'create', resource: 'secrets', namespace: 'default' }, 'Metadata'],
  ['updating a configmap', { ...admin, verb: 'update', resource: 'configmaps', namespace: 'default' }, 'Metadata'],
  ['requesting a service account token', { ...admin, verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'default' }, 'Metadata'],
  ['a token review', { ...admin, verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' }, 'Metadata'],
  ['creating a pod', { ...admin, verb: 'create', resource: 'pods', namespace: 'default' }, 'RequestResponse'],
  ['exec into a pod (websocket GET)', { ...admin, verb: 'get', resource: 'pods', subresource: 'exec', namespace: 'default', name: 'p' }, 'RequestResponse'],
  ['attach to a pod', { ...admin, verb: 'create', resource: 'pods', subresource: 'attach', namespace: 'default', name: 'p' }, 'RequestResponse'],
  ['port-forward', { ...admin, verb: 'create', resource: 'pods', subresource: 'portforward', namespace: 'default', name: 'p' }, 'RequestResponse'],
  ['adding an ephemeral container', { ...admin, verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'default', name: 'p' }, 'RequestResponse'],
  ['binding cluster-admin', { ...admin, verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' }, 'RequestResponse'],
  ['editing a role', { ...admin, verb: 'patch', group: 'rbac.authorization.k8s.io', resource: 'roles', namespace: 'x' }, 'RequestResponse'],
  ['creating a NodePort service', { ...admin, verb: 'create', resource: 'services', namespace: 'default' }, 'RequestResponse'],
  ['deleting a namespace', { ...admin, verb: 'delete', resource: 'namespaces', name: 'x' }, 'RequestResponse'],
  ['service account in kube-system', { ...admin, verb: 'create', resource: 'serviceaccounts', namespace: 'kube-system' }, 'RequestResponse'],
  ['a DaemonSet', { ...admin, verb: 'create', group: 'apps', resource: 'daemonsets', namespace: 'x' }, 'RequestResponse'],
  ['a Deployment update', { ...admin, verb: 'update', group: 'apps', resource: 'deployments', namespace: 'x' }, 'RequestResponse'],
  ['an ingress', { ...admin, verb: 'create', group: 'networking.k8s.io', resource: 'ingresses', namespace: 'x' }, 'RequestResponse'],
  ['listing pods (reads are metadata only)', { ...admin, verb: 'list', resource: 'pods', namespace: 'x' }, 'Metadata'],
  ['a custom resource', { ...admin, verb: 'create', group: 'example.com', resource: 'widgets', namespace: 'x' }, 'Metadata']
]

t.test('levels of typical requests', async (t) => {
  for (const [what, req, level] of cases) t.equal(levelFor(policy, req), level, what)
})

// What the default k8s_audit rules inspect, read from their conditions: every resource they compare
// ka.target.resource with must reach Lanner, with bodies (RequestResponse) when written, except the
// credential carriers that the policy deliberately keeps at Metadata.
const GROUP_OF: Record<string, string> = {
  pods: '', services: '', namespaces: '', serviceaccounts: '', nodes: '', secrets: '', configmaps: '', endpoints: '',
  roles: 'rbac.authorization.k8s.io', clusterroles: 'rbac.authorization.k8s.io', rolebindings: 'rbac.authorization.k8s.io', clusterrolebindings: 'rbac.authorization.k8s.io',
  deployments: 'apps', daemonsets: 'apps', statefulsets: 'apps', replicasets: 'apps',
  ingresses: 'networking.k8s.io', networkpolicies: 'networking.k8s.io', jobs: 'batch', cronjobs: 'batch'
}
const METADATA_ONLY = new Set(['secrets', 'configmaps'])
// Subresources the rules name that are not pods': TokenRequest (serviceaccounts/token) is judged on
// who asked for which account; its response body is the token itself, so it stays at Metadata.
const SUBRESOURCE_OF: Record<string, { resource: string, level: string }> = {
  token: { resource: 'serviceaccounts', level: 'Metadata' }
}

function namesIn (text: string, field: string): Set<string> {
  const out = new Set<string>()
  const re = new RegExp(`${field.replace(/\./g, '\\.')}\\s*(?:=\\s*([a-z-]+)|in\\s*\\(([^)]*)\\))`, 'g')
  for (const m of text.matchAll(re)) {
    for (const n of (m[1] ?? m[2] ?? '').split(',')) if (n.trim() !== '') out.add(n.trim())
  }
  return out
}

t.test('the policy records what the default rules look at', async (t) => {
  const { existsSync, readFileSync } = await import('node:fs')
  const { DEFAULT_RULES_FILES } = await import('../../src/config/defaults.ts')
  // the default rules ship in rules/: their absence is a defect, not a reason to pass
  if (!t.ok(existsSync(DEFAULT_RULES_FILES.k8s_audit), `the default rules exist at ${DEFAULT_RULES_FILES.k8s_audit}`)) return
  const text = readFileSync(DEFAULT_RULES_FILES.k8s_audit, 'utf8')
  const resources = namesIn(text, 'ka.target.resource')
  const subresources = namesIn(text, 'ka.target.subresource')
  t.ok(resources.size >= 5, `the rules compare ${resources.size} resources`)
  for (const r of resources) {
    const group = GROUP_OF[r]
    if (group === undefined) { t.fail(`rules inspect '${r}': add its API group to GROUP_OF and decide its level`); continue }
    const want = METADATA_ONLY.has(r) ? 'Metadata' : 'RequestResponse'
    for (const verb of ['create', 'update', 'patch', 'delete']) {
      t.equal(levelFor(policy, { ...admin, verb, group, resource: r, namespace: 'default', name: 'x' }), want, `${verb} ${r}`)
    }
    t.not(levelFor(policy, { ...admin, verb: 'get', group, resource: r, namespace: 'default', name: 'x' }), 'None', `reads of ${r} are recorded`)
  }
  for (const s of subresources) {
    const of = SUBRESOURCE_OF[s] ?? { resource: 'pods', level: 'RequestResponse' }
    t.equal(levelFor(policy, { ...admin, verb: 'create', resource: of.resource, subresource: s, namespace: 'default', name: 'p' }), of.level, `${of.resource}/${s}`)
  }
})
