// Lanner's default k8s_audit ruleset: it loads with no errors or warnings, every rule fires on a
// crafted event and stays quiet on benign look-alikes, and the user_known_* overrides work.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadRules, type Ruleset, type RulesInput } from '../../src/rules/index.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import { AuditEvent } from '../../src/audit/index.ts'
import type { Alert } from '../../src/events/index.ts'

const RULES_FILE = fileURLToPath(new URL('../../rules/k8s_audit_rules.yaml', import.meta.url))
const DEFAULTS: RulesInput = { name: RULES_FILE, content: readFileSync(RULES_FILE, 'utf8') }

function load (extra: RulesInput[] = []): Ruleset {
  const res = loadRules([DEFAULTS, ...extra], { sources: [k8sAuditSource] })
  if (res.ruleset === undefined) throw new Error(JSON.stringify(res.errors))
  return res.ruleset
}

interface Req {
  verb: string
  resource: string
  subresource?: string
  namespace?: string
  name?: string
  user?: string
  stage?: string
  code?: number
  uri?: string
  decision?: string
  requestObject?: unknown
  responseName?: string
  /** an unauthenticated request: the apiserver writes an empty user and no authorization annotations */
  anonymousFailure?: boolean
  message?: string
  annotations?: Record<string, string>
}

let seq = 0
/**
 * A minimal but realistic audit event for one request, as an EventList item arrives over the
 * webhook (no kind/apiVersion of its own; see kube-apiserver-webhook.md).
 */
function audit (r: Req): AuditEvent {
  const objectRef: Record<string, string> = { resource: r.resource, apiVersion: 'v1' }
  if (r.namespace !== undefined) objectRef.namespace = r.namespace
  if (r.name !== undefined) objectRef.name = r.name
  if (r.subresource !== undefined) objectRef.subresource = r.subresource
  const code = r.code ?? (r.verb === 'create' ? 201 : 200)
  const status: Record<string, unknown> = { metadata: {}, code }
  if (r.message !== undefined) status.message = r.message
  const obj: Record<string, unknown> = {
    level: 'RequestResponse',
    auditID: `id-${++seq}`,
    stage: r.stage ?? 'ResponseComplete',
    requestURI: r.uri ?? `/api/v1/${r.namespace === undefined ? '' : `namespaces/${r.namespace}/`}${r.resource}${r.name === undefined ? '' : '/' + r.name}`,
    verb: r.verb,
    user: r.anonymousFailure === true ? {} : { username: r.user ?? 'alice', groups: ['system:authenticated'] },
    sourceIPs: ['10.1.2.3'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
    objectRef,
    responseStatus: status,
    requestReceivedTimestamp: '2024-05-06T07:08:09.100000Z',
    stageTimestamp: '2024-05-06T07:08:09.123456Z'
  }
  if (r.anonymousFailure !== true) {
    obj.annotations = r.annotations ?? { 'authorization.k8s.io/decision': r.decision ?? (code === 403 ? 'forbid' : 'allow'), 'authorization.k8s.io/reason': '' }
  }
  if (r.requestObject !== undefined) obj.requestObject = r.requestObject
  if (r.responseName !== undefined) obj.responseObject = { metadata: { name: r.responseName } }
  return new AuditEvent(obj, 1_714_979_289_123_456_000n)
}

const EXEC_URI = '/api/v1/namespaces/default/pods/web-1/exec?command=sh&command=-c&command=id&container=web&stdin=true&stdout=true&tty=true'
/** exec/attach/port-forward at ResponseStarted, the stage the apiserver writes when the stream opens or is refused */
function stream (sub: 'exec' | 'attach' | 'portforward', verb: 'get' | 'create', code: number, extra: Partial<Req> = {}): AuditEvent {
  const uri = sub === 'exec' ? EXEC_URI : `/api/v1/namespaces/default/pods/web-1/${sub}${sub === 'attach' ? '?container=web&stdin=true&stdout=true&tty=true' : ''}`
  const message = code === 403
    ? `pods "web-1" is forbidden: User "${extra.user ?? 'alice'}" cannot ${verb} resource "pods/${sub}" in API group "" in the namespace "default"`
    : code === 401 ? 'Authentication failed, attempted: bearer' : undefined
  return audit({ verb, resource: 'pods', subresource: sub, namespace: 'default', name: 'web-1', stage: 'ResponseStarted', code, uri, anonymousFailure: code === 401, ...(message === undefined ? {} : { message }), ...extra })
}

function podCreate (spec: Record<string, unknown>, extra: Partial<Req> = {}): AuditEvent {
  return audit({ verb: 'create', resource: 'pods', namespace: 'default', responseName: 'web-1', requestObject: { kind: 'Pod', spec }, ...extra })
}
const container = (image: string, sc?: Record<string, unknown>) => ({ name: 'c', image, ...(sc === undefined ? {} : { securityContext: sc }) })
const role = (rules: unknown[], extra: Partial<Req> = {}) =>
  audit({ verb: 'create', resource: 'clusterroles', name: 'r1', requestObject: { kind: 'ClusterRole', rules }, ...extra })
const binding = (roleName: string, extra: Partial<Req> = {}) =>
  audit({ verb: 'create', resource: 'clusterrolebindings', name: 'b1', requestObject: { kind: 'ClusterRoleBinding', roleRef: { kind: 'ClusterRole', name: roleName }, subjects: [{ kind: 'User', name: 'mallory' }] }, ...extra })

/** TokenRequest: kubectl create token, kubelets' projected tokens (a create on serviceaccounts/token) */
function tokenRequest (namespace: string, sa: string, extra: Partial<Req> = {}): AuditEvent {
  return audit({ verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace, name: sa, uri: `/api/v1/namespaces/${namespace}/serviceaccounts/${sa}/token`, requestObject: { kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec: { audiences: null, expirationSeconds: 3600, boundObjectRef: null }, status: { token: '', expirationTimestamp: null } }, ...extra })
}

function bindingPatch (roleName: string): AuditEvent {
  const ev = audit({ verb: 'patch', resource: 'clusterrolebindings', name: 'b1', requestObject: [{ op: 'add', path: '/subjects/-', value: { kind: 'User', name: 'mallory' } }] })
  ev.obj.responseObject = { kind: 'ClusterRoleBinding', metadata: { name: 'b1' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName }, subjects: [{ kind: 'Group', name: 'system:masters' }, { kind: 'User', name: 'mallory' }] }
  return ev
}

interface RuleCase { fire: AuditEvent[], quiet: AuditEvent[] }

const CASES: Record<string, RuleCase> = {
  'K8s Privileged Pod Created': {
    fire: [
      podCreate({ containers: [container('evil/miner:1', { privileged: true })] }),
      podCreate({ initContainers: [container('busybox', { privileged: true })], containers: [container('nginx')] }),
      // a native sidecar: an init container with restartPolicy Always, running beside the app
      podCreate({ initContainers: [{ ...container('envoyproxy/envoy:v1.30', { privileged: true }), restartPolicy: 'Always' }], containers: [container('nginx')] }),
      // a trusted node agent does not vouch for an untrusted init container
      podCreate({ initContainers: [container('busybox')], containers: [container('falcosecurity/falco:0.39.0', { privileged: true })] })
    ],
    quiet: [
      podCreate({ containers: [container('nginx', { privileged: false })] }),
      podCreate({ containers: [container('falcosecurity/falco:0.39.0', { privileged: true })] }),
      podCreate({ initContainers: [container('docker.io/falcosecurity/falco:0.39.0')], containers: [container('falcosecurity/falco:0.39.0', { privileged: true })] }),
      podCreate({ containers: [container('evil/miner:1', { privileged: true })] }, { code: 403 })
    ]
  },
  'K8s Pod With Sensitive Host Mount Created': {
    fire: [podCreate({ containers: [container('nginx')], volumes: [{ name: 'd', hostPath: { path: '/var/run/docker.sock' } }] })],
    quiet: [podCreate({ containers: [container('nginx')], volumes: [{ name: 'd', hostPath: { path: '/data/cache' } }, { name: 'e', emptyDir: {} }] })]
  },
  'K8s HostNetwork Pod Created': {
    fire: [podCreate({ hostNetwork: true, containers: [container('nginx:1.25')] })],
    quiet: [
      podCreate({ hostNetwork: true, containers: [container('registry.k8s.io/coredns/coredns:v1.11.1')] }),
      podCreate({ hostNetwork: false, containers: [container('nginx:1.25')] })
    ]
  },
  'K8s HostPID Pod Created': {
    fire: [podCreate({ hostPID: true, containers: [container('nginx')] })],
    quiet: [podCreate({ hostPID: false, containers: [container('nginx')] })]
  },
  'K8s HostIPC Pod Created': {
    fire: [podCreate({ hostIPC: true, containers: [container('nginx')] })],
    quiet: [podCreate({ hostIPC: false, containers: [container('nginx')] })]
  },
  'K8s Exec or Attach Into Pod': {
    fire: [
      stream('exec', 'get', 101), // WebSocket, kubectl >= 1.30
      stream('exec', 'create', 101), // SPDY
      stream('attach', 'create', 101)
    ],
    quiet: [
      audit({ verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'default', name: 'web-1', stage: 'ResponseComplete', code: 101, uri: EXEC_URI }),
      audit({ verb: 'get', resource: 'pods', subresource: 'log', namespace: 'default', name: 'web-1' }),
      stream('exec', 'get', 403, { user: 'mallory' }),
      stream('exec', 'create', 401),
      stream('attach', 'get', 403),
      // authorized, but the pod is gone: no session either
      stream('exec', 'get', 404, { decision: 'allow', message: 'pods "web-1" not found' })
    ]
  },
  'K8s Exec, Attach or Port-Forward Refused': {
    fire: [
      stream('exec', 'get', 403, { user: 'mallory' }),
      stream('exec', 'create', 403, { user: 'mallory' }),
      stream('exec', 'get', 401),
      stream('attach', 'create', 401),
      stream('portforward', 'get', 403)
    ],
    quiet: [
      stream('exec', 'get', 101),
      stream('portforward', 'create', 101),
      stream('exec', 'get', 404, { decision: 'allow', message: 'pods "web-1" not found' }),
      // the same refused request's ResponseComplete: one alert per attempt
      stream('exec', 'get', 403, { user: 'mallory', stage: 'ResponseComplete' }),
      // a refused read of something else is not an attempt into a pod
      audit({ verb: 'get', resource: 'pods', subresource: 'log', namespace: 'default', name: 'web-1', code: 403 })
    ]
  },
  'K8s Port Forward To Pod': {
    fire: [
      audit({ verb: 'get', resource: 'pods', subresource: 'portforward', namespace: 'default', name: 'db-0', stage: 'ResponseStarted', code: 101, uri: '/api/v1/namespaces/default/pods/db-0/portforward?ports=5432' }),
      // SPDY: the ports travel in stream headers, not in the URI
      audit({ verb: 'create', resource: 'pods', subresource: 'portforward', namespace: 'default', name: 'db-0', stage: 'ResponseStarted', code: 101, uri: '/api/v1/namespaces/default/pods/db-0/portforward' })
    ],
    quiet: [
      audit({ verb: 'get', resource: 'pods', namespace: 'default', name: 'db-0' }),
      stream('portforward', 'create', 403)
    ]
  },
  'K8s Ephemeral Container Added': {
    fire: [audit({ verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'default', name: 'web-1', requestObject: { spec: { ephemeralContainers: [{ name: 'debugger-x', image: 'busybox' }] } } })],
    quiet: [audit({ verb: 'get', resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'default', name: 'web-1' })]
  },
  'K8s Binding To cluster-admin': {
    fire: [
      binding('cluster-admin'),
      binding('cluster-admin', { user: 'system:kube-controller-manager' }),
      // kubectl patch --type=json adding a subject: the request is the patch, the response the binding
      bindingPatch('cluster-admin')
    ],
    quiet: [binding('view', { user: 'system:kube-controller-manager' }), binding('cluster-admin', { code: 403 }), bindingPatch('view')]
  },
  'K8s Role With Wildcard Permissions': {
    fire: [role([{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }]), role([{ apiGroups: ['*'], resources: ['*'], verbs: ['get'] }])],
    quiet: [role([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], { user: 'system:apiserver', name: 'cluster-admin' }), role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }])]
  },
  'K8s Role Granting Pod Exec': {
    fire: [role([{ apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: ['create', 'get'] }])],
    quiet: [role([{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get'] }])]
  },
  'K8s System ClusterRole Changed': {
    fire: [audit({ verb: 'patch', resource: 'clusterroles', name: 'system:node' }), audit({ verb: 'delete', resource: 'clusterroles', name: 'system:kube-scheduler' })],
    quiet: [
      audit({ verb: 'update', resource: 'clusterroles', name: 'system:node', user: 'system:apiserver' }),
      audit({ verb: 'patch', resource: 'clusterroles', name: 'system:coredns' }),
      audit({ verb: 'get', resource: 'clusterroles', name: 'system:node' })
    ]
  },
  'K8s RBAC Changed By Unexpected User': {
    fire: [audit({ verb: 'delete', resource: 'rolebindings', namespace: 'team-a', name: 'devs' }), role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }])],
    quiet: [audit({ verb: 'create', resource: 'rolebindings', namespace: 'team-a', name: 'devs', user: 'system:kube-controller-manager' }), audit({ verb: 'list', resource: 'rolebindings', namespace: 'team-a' })]
  },
  'K8s Secret Read By Unexpected User': {
    fire: [audit({ verb: 'get', resource: 'secrets', namespace: 'prod', name: 'db-password' }), audit({ verb: 'list', resource: 'secrets', namespace: 'prod', user: 'system:serviceaccount:ci:builder' })],
    quiet: [
      audit({ verb: 'list', resource: 'secrets', namespace: 'prod', user: 'system:serviceaccount:kube-system:replicaset-controller' }),
      audit({ verb: 'get', resource: 'secrets', namespace: 'prod', name: 'tls', user: 'system:node:worker-1' }),
      audit({ verb: 'get', resource: 'secrets', namespace: 'prod', name: 'db-password', code: 403, decision: 'forbid' }),
      audit({ verb: 'get', resource: 'secrets', namespace: 'prod', name: 'sh.helm.release.v1.web.v3' }),
      audit({ verb: 'list', resource: 'secrets', namespace: 'prod', uri: '/api/v1/namespaces/prod/secrets?labelSelector=name%3Dweb%2Cowner%3Dhelm' })
    ]
  },
  'K8s ConfigMap With Credentials': {
    fire: [
      audit({ verb: 'create', resource: 'configmaps', namespace: 'default', name: 'app', requestObject: { data: { 'db.properties': 'user=app\nPassword=hunter2\n' } } }),
      audit({ verb: 'patch', resource: 'configmaps', namespace: 'default', name: 'app', requestObject: { data: { creds: 'aws_access_key_id = AKIA...' } } })
    ],
    quiet: [audit({ verb: 'create', resource: 'configmaps', namespace: 'default', name: 'app', requestObject: { data: { 'ui.properties': 'color=purple' } } })]
  },
  'K8s Anonymous Request Allowed': {
    fire: [
      audit({ verb: 'list', resource: 'namespaces', user: 'system:anonymous', uri: '/api/v1/namespaces' }),
      audit({ verb: 'get', resource: '', user: 'system:anonymous', uri: '/healthzx' }),
      audit({ verb: 'get', resource: '', user: 'system:anonymous', uri: '/versions' }),
      audit({ verb: 'get', resource: 'configmaps', namespace: 'kube-public', name: 'not-cluster-info', user: 'system:anonymous' })
    ],
    quiet: [
      ...['/healthz', '/healthz?verbose', '/healthz/etcd', '/readyz', '/readyz?exclude=etcd&verbose', '/readyz/shutdown', '/livez', '/livez/ping',
        '/version', '/version?timeout=32s', '/version/', '/openapi/v2', '/openapi/v3/apis/apps/v1?hash=ABC', '/.well-known/openid-configuration']
        .map((uri) => audit({ verb: 'get', resource: '', user: 'system:anonymous', uri })),
      audit({ verb: 'list', resource: 'namespaces', user: 'system:anonymous', uri: '/api/v1/namespaces', decision: 'forbid', code: 403 }),
      audit({ verb: 'get', resource: 'configmaps', namespace: 'kube-public', name: 'cluster-info', user: 'system:anonymous', uri: '/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s' })
    ]
  },
  'K8s Service Account Created In System Namespace': {
    fire: [audit({ verb: 'create', resource: 'serviceaccounts', namespace: 'kube-system', name: 'backdoor' }), audit({ verb: 'create', resource: 'serviceaccounts', namespace: 'kube-public', name: 'x' })],
    quiet: [
      audit({ verb: 'create', resource: 'serviceaccounts', namespace: 'default', name: 'app' }),
      audit({ verb: 'create', resource: 'serviceaccounts', namespace: 'kube-system', name: 'coredns', user: 'system:addon-manager' }),
      // a TokenRequest creates no service account
      tokenRequest('kube-system', 'default')
    ]
  },
  'K8s Token Requested For System Service Account': {
    fire: [tokenRequest('kube-system', 'default'), tokenRequest('kube-public', 'reader', { user: 'system:serviceaccount:ci:builder' })],
    quiet: [
      tokenRequest('kube-system', 'coredns', { user: 'system:node:worker-1' }),
      tokenRequest('kube-system', 'generic-garbage-collector', { user: 'system:kube-controller-manager' }),
      tokenRequest('team-a', 'app'),
      tokenRequest('kube-system', 'default', { code: 403 })
    ]
  },
  'K8s NodePort Service Written': {
    fire: [audit({ verb: 'create', resource: 'services', namespace: 'default', name: 'web', requestObject: { spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] } } })],
    quiet: [
      audit({ verb: 'create', resource: 'services', namespace: 'default', name: 'web', requestObject: { spec: { type: 'ClusterIP', ports: [{ port: 80 }] } } }),
      // a status update carries the whole Service but exposes nothing new
      audit({ verb: 'update', resource: 'services', subresource: 'status', namespace: 'default', name: 'web', user: 'system:serviceaccount:metallb:controller', requestObject: { spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] } } })
    ]
  },
  'K8s Namespace Changed By Unexpected User': {
    fire: [audit({ verb: 'create', resource: 'namespaces', name: 'crypto' }), audit({ verb: 'delete', resource: 'namespaces', name: 'prod' })],
    quiet: [audit({ verb: 'create', resource: 'namespaces', name: 'kube-node-lease', user: 'system:apiserver' }), audit({ verb: 'get', resource: 'namespaces', name: 'prod' })]
  },
  'K8s Ingress Without TLS Written': {
    fire: [audit({ verb: 'create', resource: 'ingresses', namespace: 'default', name: 'web', requestObject: { spec: { rules: [{ host: 'web.example.com' }] } } })],
    quiet: [
      audit({ verb: 'create', resource: 'ingresses', namespace: 'default', name: 'web', requestObject: { spec: { tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }], rules: [{ host: 'web.example.com' }] } } }),
      // the ingress controller writing status.loadBalancer: the spec it echoes is not being written
      audit({ verb: 'update', resource: 'ingresses', subresource: 'status', namespace: 'default', name: 'web', user: 'system:serviceaccount:ingress-nginx:ingress-nginx', requestObject: { spec: { rules: [{ host: 'web.example.com' }] }, status: { loadBalancer: {} } } }),
      // truncated by the apiserver: the missing tls section is not evidence of a missing tls section
      audit({ verb: 'create', resource: 'ingresses', namespace: 'default', name: 'web', annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '', 'audit.k8s.io/truncated': 'true' } })
    ]
  },
  'K8s Node Joined': {
    fire: [audit({ verb: 'create', resource: 'nodes', name: 'worker-9', user: 'system:node:worker-9', responseName: 'worker-9' })],
    quiet: [audit({ verb: 'patch', resource: 'nodes', subresource: 'status', name: 'worker-9', user: 'system:node:worker-9' })]
  }
}

/** Everyday traffic that no default rule may report. */
const BENIGN: AuditEvent[] = [
  audit({ verb: 'get', resource: 'pods', namespace: 'default', name: 'web-1' }),
  audit({ verb: 'watch', resource: 'configmaps', namespace: 'kube-system', user: 'system:kube-controller-manager' }),
  audit({ verb: 'create', resource: 'deployments', namespace: 'default', name: 'web' }),
  podCreate({ containers: [container('nginx:1.25', { runAsUser: 101 })] }, { user: 'system:serviceaccount:kube-system:replicaset-controller' }),
  audit({ verb: 'update', resource: 'leases', namespace: 'kube-node-lease', name: 'worker-1', user: 'system:node:worker-1' })
]

function fired (rs: Ruleset, ev: AuditEvent): Alert[] {
  const out: Alert[] = []
  rs.evaluate('k8s_audit', ev, function collect (a) { out.push(a) })
  return out
}

t.test('the default ruleset loads with no errors and no warnings', async (t) => {
  const res = loadRules([DEFAULTS], { sources: [k8sAuditSource] })
  t.same(res.errors, [])
  t.same(res.warnings, [])
  t.equal(res.ruleset?.activeCount('k8s_audit'), Object.keys(CASES).length)
})

t.test('every rule is k8s_audit, tagged k8s plus a category, with user/verb/target/namespace in its output', async (t) => {
  const rs = load()
  for (const r of rs.rules) {
    t.equal(r.source, 'k8s_audit', r.name)
    t.ok(r.tags.includes('k8s') && r.tags.length >= 2, `${r.name} tags ${r.tags.join(',')}`)
  }
  for (const block of DEFAULTS.content.split('\n- rule: ').slice(1)) {
    const name = block.split('\n')[0] as string
    for (const f of ['%ka.user.name', '%ka.verb', '%ka.target.resource', '%ka.target.namespace']) t.ok(block.includes(f), `${name} output has ${f}`)
  }
})

t.test('every default rule has a firing and a quiet case', async (t) => {
  const rs = load()
  t.same(rs.rules.map((r) => r.name).sort(), Object.keys(CASES).sort(), 'cases cover exactly the rules of the file')
  for (const [rule, c] of Object.entries(CASES)) {
    t.ok(c.fire.length > 0 && c.quiet.length > 0, `${rule} has both kinds of cases`)
    c.fire.forEach((ev, i) => {
      t.same(fired(rs, ev).map((a) => a.rule), [rule], `${rule}: fires on case ${i}`)
    })
    c.quiet.forEach((ev, i) => {
      t.notOk(fired(rs, ev).some((a) => a.rule === rule), `${rule}: quiet on case ${i} (${String(ev.obj.requestURI)})`)
    })
  }
})

t.test('everyday traffic raises nothing', async (t) => {
  const rs = load()
  for (const ev of BENIGN) t.same(fired(rs, ev).map((a) => a.rule), [], `${String(ev.obj.verb)} ${String(ev.obj.requestURI)}`)
})

t.test('health and discovery endpoints never alert, whatever the stage', async (t) => {
  const rs = load()
  for (const uri of ['/healthz', '/livez?verbose', '/readyz/informer-sync', '/version', '/openapi/v2?timeout=32s', '/.well-known/openid-configuration']) {
    for (const stage of ['RequestReceived', 'ResponseStarted', 'ResponseComplete']) {
      t.same(fired(rs, audit({ verb: 'get', resource: '', user: 'system:anonymous', uri, stage })), [], `${uri} at ${stage}`)
    }
  }
})

t.test('alerts read well', async (t) => {
  const rs = load()
  const [alert] = fired(rs, CASES['K8s Privileged Pod Created']!.fire[0]!)
  t.equal(alert?.message, 'Privileged pod created (user=alice impersonated=<NA> verb=create target=pods/web-1 namespace=default images=(evil/miner:1) init_images=<NA>)')
  t.equal(alert?.priority, 4, 'Warning')
  const [exec] = fired(rs, CASES['K8s Exec or Attach Into Pod']!.fire[0]!)
  t.equal(exec?.message, 'Interactive session opened in a pod (user=alice impersonated=<NA> verb=get target=pods/web-1 namespace=default action=exec container=web command=(sh,-c,id) status=101)')
  const [denied] = fired(rs, CASES['K8s Exec, Attach or Port-Forward Refused']!.fire[0]!)
  t.equal(denied?.message, 'Pod exec refused by the apiserver, no session opened (status=403 decision=forbid user=mallory impersonated=<NA> verb=get target=pods/web-1 ' +
    'namespace=default container=web command=(sh,-c,id) source_ips=(10.1.2.3) user_agent=kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc ' +
    'message=pods "web-1" is forbidden: User "mallory" cannot get resource "pods/exec" in API group "" in the namespace "default")')
  t.equal(denied?.priority, 4, 'Warning')
  const [unauthenticated] = fired(rs, CASES['K8s Exec, Attach or Port-Forward Refused']!.fire[2]!)
  t.match(unauthenticated?.message, /^Pod exec refused by the apiserver, no session opened \(status=401 decision=<NA> user=<NA> impersonated=<NA> verb=get .* message=Authentication failed, attempted: bearer\)$/)
})

t.test('user_known_* macros and lists silence rules from a later file', async (t) => {
  const rs = load([{
    name: 'rules.d/site.yaml',
    content: [
      '- list: user_known_k8s_admins',
      '  items: [alice]',
      '  override:',
      '    items: append',
      '- macro: user_known_exec_activity',
      '  condition: (ka.target.namespace = default and ka.user.name = alice)',
      '  override:',
      '    condition: replace',
      '- list: user_trusted_images',
      '  items: [evil/miner]',
      '  override:',
      '    items: append'
    ].join('\n')
  }])
  t.same(fired(rs, CASES['K8s Namespace Changed By Unexpected User']!.fire[0]!), [], 'alice is a known admin')
  t.same(fired(rs, CASES['K8s Exec or Attach Into Pod']!.fire[0]!), [], 'exec by alice in default is known')
  t.same(fired(rs, CASES['K8s Privileged Pod Created']!.fire[0]!), [], 'a trusted image')
  t.same(fired(rs, audit({ verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'prod', name: 'db', stage: 'ResponseStarted', code: 101 })).map((a) => a.rule),
    ['K8s Exec or Attach Into Pod'], 'other namespaces still alert')
})
