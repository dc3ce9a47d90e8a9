// Lanner's default k8s_audit rules on real apiserver traffic: every event of
// ../shared/reference/audit-samples (read in place) raises nothing at Warning or above, and the
// rules fire on the attacks of issue 12 in the form 1.28–1.33 apiservers write them. Where a
// sample holds the request, the event is derived from it (the next stage of the same request, as
// the apiserver writes it); otherwise it is built field by field from kube-apiserver-webhook.md.
// Events are EventList items as the webhook delivers them: no kind/apiVersion of their own.
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join, resolve } from 'node:path'
import { loadRules, type Ruleset } from '../../src/rules/index.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import { AuditEvent, parseRfc3339Nano, readAuditSource, type AuditObject } from '../../src/audit/index.ts'
import { PRIORITY_NAMES, type Alert } from '../../src/events/index.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const SAMPLES = resolve(REPO, '../shared/reference/audit-samples')
const RULES = readFileSync(join(REPO, 'rules/k8s_audit_rules.yaml'), 'utf8')
const WARNING = 4

/** every rule that matches, not only the first: a quiet test must see all of them */
function loadAll (): Ruleset {
  const res = loadRules([{ name: 'rules/k8s_audit_rules.yaml', content: RULES }], { sources: [k8sAuditSource], ruleMatching: 'all' })
  if (res.ruleset === undefined) throw new Error(JSON.stringify(res.errors))
  return res.ruleset
}
const rs = loadAll()

function fired (ev: AuditEvent): Alert[] {
  const out: Alert[] = []
  rs.evaluate('k8s_audit', ev, function collect (a) { out.push(a) })
  return out
}
const names = (ev: AuditEvent): string[] => fired(ev).map((a) => a.rule)

/** The log backend's lines (kind/apiVersion on each) or a pretty-printed single Event. */
function sampleObjects (file: string): AuditObject[] {
  const text = readFileSync(join(SAMPLES, file), 'utf8')
  if (file.endsWith('.jsonl')) return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as AuditObject)
  return [JSON.parse(text) as AuditObject]
}

/** An EventList item as the webhook carries it: the same event without its TypeMeta. */
function asItem (obj: AuditObject): AuditObject {
  const { kind: _kind, apiVersion: _apiVersion, ...item } = obj
  return item
}

function eventOf (item: AuditObject): AuditEvent {
  const time = parseRfc3339Nano(item.stageTimestamp as string)
  if (time === undefined) throw new Error(`bad stageTimestamp ${String(item.stageTimestamp)}`)
  return new AuditEvent(item, time)
}

const allow = (reason = ''): Record<string, string> => ({ 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': reason })
const forbid = (): Record<string, string> => ({ 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' })

t.test('every sample event raises nothing at Warning or above', async (t) => {
  t.ok(existsSync(SAMPLES), `the samples must exist at ${SAMPLES}`)
  const files = readdirSync(SAMPLES).filter((f) => f !== 'README.md').sort()
  t.ok(files.length >= 4, `samples found: ${files.join(', ')}`)
  let total = 0
  for (const file of files) {
    // the product's reader (log-backend form) and the webhook's form of the same events
    let read = 0
    for await (const batch of readAuditSource(join(SAMPLES, file), { maxEventBytes: 4 * 1024 * 1024 })) {
      t.same(batch.issues, [], `${file} reads without issues`)
      for (const ev of batch.events) {
        read++
        const loud = fired(ev).filter((a) => a.priority <= WARNING)
        t.same(loud.map((a) => `${PRIORITY_NAMES[a.priority] ?? a.priority} ${a.rule}: ${a.message}`), [], `${file} ${String(ev.obj.verb)} ${String(ev.obj.requestURI)} (${String(ev.obj.stage)})`)
      }
    }
    const items = sampleObjects(file).map(asItem)
    t.equal(read, items.length, `${file}: every line is an event`)
    for (const item of items) {
      t.same(fired(eventOf(item)).filter((a) => a.priority <= WARNING).map((a) => a.rule), [], `${file} as an EventList item: ${String(item.auditID)} ${String(item.stage)}`)
    }
    total += read
  }
  t.ok(total >= 13, `${total} real events checked`)
})

// --- exec, attach: the minikube sample is a kubectl 1.31 WebSocket exec at RequestReceived -------

const [execReceived] = sampleObjects('minikube-kubectl-1.31-exec-websocket.json').map(asItem) as [AuditObject]
const EXEC_ARGV = ['sh', '-c', 'filename=/var/lib/minikube/certs/etcd/server.key; while IFS= read -r line; do printf "%s\\\\n" "$line";done < "$filename"']

/** the same request's ResponseStarted event: the stream opened, or the apiserver refused it */
function execStarted (over: Partial<AuditObject>): AuditEvent {
  return eventOf({ ...execReceived, stage: 'ResponseStarted', stageTimestamp: '2025-11-04T05:42:51.031772Z', ...over })
}
const execOpened = (over: Partial<AuditObject> = {}): AuditEvent => execStarted({ responseStatus: { metadata: {}, code: 101 }, annotations: allow('RBAC: allowed by ClusterRoleBinding "minikube-rbac" of ClusterRole "cluster-admin" to User "minikube-user"'), ...over })
const intern = { username: 'dev-intern', groups: ['developers', 'system:authenticated'], extra: { 'authentication.kubernetes.io/credential-id': ['X509SHA256=5b1f0c9d0e7c4b8a9f6e3d2c1b0a99887766554433221100ffeeddccbbaa9988'] } }
const execDenied = (over: Partial<AuditObject> = {}): AuditEvent => execStarted({
  user: intern,
  responseStatus: {
    metadata: {},
    status: 'Failure',
    message: 'pods "etcd-minikube" is forbidden: User "dev-intern" cannot get resource "pods/exec" in API group "" in the namespace "kube-system"',
    reason: 'Forbidden',
    details: { name: 'etcd-minikube', kind: 'pods' },
    code: 403
  },
  annotations: forbid(),
  ...over
})
// authentication failed: kube-apiserver writes only this stage, with an empty user and no authorization annotations
function execUnauthenticated (over: Partial<AuditObject> = {}): AuditEvent {
  const { annotations: _a, ...rest } = execReceived
  return eventOf({ ...rest, stage: 'ResponseStarted', user: {}, sourceIPs: ['203.0.113.45'], responseStatus: { metadata: {}, message: 'Authentication failed, attempted: bearer', code: 401 }, stageTimestamp: '2025-11-04T05:42:51.026101Z', ...over })
}

t.test('the sample itself (RequestReceived, no status yet) raises nothing', async (t) => {
  t.same(names(eventOf(execReceived)), [])
})

t.test('a WebSocket exec the apiserver let through (101): session opened, with the whole argv', async (t) => {
  const alerts = fired(execOpened())
  t.same(alerts.map((a) => a.rule), ['K8s Exec or Attach Into Pod'])
  t.equal(alerts[0]?.outputFields['ka.verb'], 'get', 'WebSocket exec is a get')
  t.same(alerts[0]?.outputFields['ka.uri.params[command]'], EXEC_ARGV, 'every command= word, decoded')
  t.equal(alerts[0]?.outputFields['ka.uri.param[container]'], 'etcd')
  t.same(names(eventOf({ ...asItem(execOpened().obj), stage: 'ResponseComplete', stageTimestamp: '2025-11-04T05:43:02.000001Z' })), [], 'the session ending is not a second alert')
})

t.test('a SPDY exec (kubectl < 1.30, verb create) and an attach: session opened', async (t) => {
  const spdy = execOpened({ verb: 'create', userAgent: 'kubectl/v1.29.4 (linux/amd64) kubernetes/55019c8' })
  t.same(names(spdy), ['K8s Exec or Attach Into Pod'])
  const attach = execOpened({
    requestURI: '/api/v1/namespaces/kube-system/pods/etcd-minikube/attach?container=etcd&stdin=true&stdout=true&tty=true',
    objectRef: { resource: 'pods', namespace: 'kube-system', name: 'etcd-minikube', apiVersion: 'v1', subresource: 'attach' }
  })
  const [a] = fired(attach)
  t.equal(a?.rule, 'K8s Exec or Attach Into Pod')
  t.match(a?.message, /action=attach container=etcd command=<NA> status=101\)$/)
})

t.test('a denied exec (403, forbid) is the refused rule, not "session opened"', async (t) => {
  for (const [label, ev] of [['WebSocket', execDenied()], ['SPDY', execDenied({ verb: 'create' })]] as const) {
    const alerts = fired(ev)
    t.same(alerts.map((a) => a.rule), ['K8s Exec, Attach or Port-Forward Refused'], label)
    const a = alerts[0]
    t.equal(a?.priority, WARNING, 'Warning')
    t.match(a?.message, /^Pod exec refused by the apiserver, no session opened \(status=403 decision=forbid user=dev-intern /)
    t.same(a?.outputFields['ka.uri.params[command]'], EXEC_ARGV, 'what they tried to run')
    t.equal(a?.outputFields['ka.target.name'], 'etcd-minikube')
    t.match(a?.outputFields['jevt.value[/responseStatus/message]'], /cannot get resource "pods\/exec"/)
  }
  // the apiserver also writes ResponseComplete for the refused long-running request: one alert per attempt
  t.same(names(execDenied({ stage: 'ResponseComplete', stageTimestamp: '2025-11-04T05:42:51.032000Z' })), [])
})

t.test('an unauthenticated exec (401, empty user) is the refused rule, not "session opened"', async (t) => {
  const alerts = fired(execUnauthenticated())
  t.same(alerts.map((a) => a.rule), ['K8s Exec, Attach or Port-Forward Refused'])
  const a = alerts[0]
  t.match(a?.message, /^Pod exec refused by the apiserver, no session opened \(status=401 decision=<NA> user=<NA> impersonated=<NA> verb=get target=pods\/etcd-minikube namespace=kube-system /)
  t.same(a?.outputFields['ka.sourceips'], ['203.0.113.45'], 'where the attempt came from')
  t.equal(a?.outputFields['jevt.value[/responseStatus/message]'], 'Authentication failed, attempted: bearer')
  t.same(names(execUnauthenticated({ verb: 'create' })), ['K8s Exec, Attach or Port-Forward Refused'], 'SPDY form too')
})

t.test('port-forward: opened when allowed, refused when denied', async (t) => {
  const pf = (code: number, extra: Partial<AuditObject>): AuditEvent => eventOf({
    level: 'Metadata',
    auditID: `pf-${code}`,
    stage: 'ResponseStarted',
    // SPDY port-forward URIs name no ports
    requestURI: '/api/v1/namespaces/prod/pods/db-0/portforward',
    verb: 'create',
    user: intern,
    sourceIPs: ['192.168.49.1'],
    userAgent: 'kubectl/v1.29.4 (linux/amd64) kubernetes/55019c8',
    objectRef: { resource: 'pods', namespace: 'prod', name: 'db-0', apiVersion: 'v1', subresource: 'portforward' },
    responseStatus: { metadata: {}, code },
    requestReceivedTimestamp: '2025-06-01T10:00:00.000100Z',
    stageTimestamp: '2025-06-01T10:00:00.004400Z',
    ...extra
  })
  t.same(names(pf(101, { annotations: allow('RBAC: allowed by RoleBinding "dba/prod" of Role "port-forward" to User "dev-intern"') })), ['K8s Port Forward To Pod'])
  t.same(names(pf(403, { annotations: forbid() })), ['K8s Exec, Attach or Port-Forward Refused'])
})

// --- pods: the kodekloud sample creates a pod (Metadata level, impersonating agent-smith) --------

const podCreateSample = sampleObjects('kodekloud-2024-impersonation.jsonl').map(asItem).find((o) => o.verb === 'create' && (o.objectRef as AuditObject).resource === 'pods') as AuditObject

/** The same create at RequestResponse level, as a policy that audits pods fully writes it. */
function podCreated (spec: Record<string, unknown>): AuditEvent {
  const meta = { name: 'webapp-color', namespace: 'citadel' }
  return eventOf({
    ...podCreateSample,
    level: 'RequestResponse',
    requestObject: { kind: 'Pod', apiVersion: 'v1', metadata: { ...meta, creationTimestamp: null }, spec, status: {} },
    responseObject: { kind: 'Pod', apiVersion: 'v1', metadata: { ...meta, uid: '0b7b1c55-5b8e-4b8e-9a55-1e0f3c1d2a77', resourceVersion: '5701', creationTimestamp: '2024-03-26T15:15:42Z' }, spec, status: { phase: 'Pending', qosClass: 'BestEffort' } }
  })
}
const ctr = (name: string, image: string, sc?: Record<string, unknown>): Record<string, unknown> =>
  ({ name, image, resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', ...(sc === undefined ? {} : { securityContext: sc }) })

t.test('the sample pod create (Metadata level, no objects) raises nothing', async (t) => {
  t.same(names(eventOf(podCreateSample)), [])
})

t.test('a privileged init container, and a privileged native sidecar (restartPolicy: Always)', async (t) => {
  const init = fired(podCreated({ initContainers: [ctr('setup', 'busybox:1.36', { privileged: true })], containers: [ctr('webapp-color', 'kodekloud/webapp-color')] }))
  t.same(init.map((a) => a.rule), ['K8s Privileged Pod Created'])
  t.match(init[0]?.message, /user=kubernetes-admin impersonated=agent-smith verb=create target=pods\/webapp-color namespace=citadel images=\(kodekloud\/webapp-color\) init_images=\(busybox:1\.36\)\)$/)
  const sidecar = podCreated({ initContainers: [{ ...ctr('mesh-proxy', 'envoyproxy/envoy:v1.30.1', { privileged: true }), restartPolicy: 'Always' }], containers: [ctr('webapp-color', 'kodekloud/webapp-color')] })
  t.same(names(sidecar), ['K8s Privileged Pod Created'])
  t.same(names(podCreated({ initContainers: [{ ...ctr('mesh-proxy', 'envoyproxy/envoy:v1.30.1'), restartPolicy: 'Always' }], containers: [ctr('webapp-color', 'kodekloud/webapp-color')] })), [], 'unprivileged sidecar: quiet')
})

t.test('the kodekloud create (kubectl --as agent-smith) names the impersonated user next to the authenticated one', async (t) => {
  t.match(podCreateSample, { user: { username: 'kubernetes-admin' }, impersonatedUser: { username: 'agent-smith' } }, 'the sample is an impersonated request')
  const [alert] = fired(podCreated({ containers: [ctr('webapp-color', 'kodekloud/webapp-color', { privileged: true })] }))
  t.equal(alert?.rule, 'K8s Privileged Pod Created')
  t.equal(alert?.message, 'Privileged pod created (user=kubernetes-admin impersonated=agent-smith verb=create target=pods/webapp-color namespace=citadel images=(kodekloud/webapp-color) init_images=<NA>)')
  t.equal(alert?.outputFields['ka.impuser.name'], 'agent-smith')
  t.equal(alert?.outputFields['ka.user.name'], 'kubernetes-admin')
})

t.test('kubectl debug: an ephemeral container added with a PATCH on pods/ephemeralcontainers', async (t) => {
  const ev = eventOf({
    level: 'RequestResponse',
    auditID: 'c3a1d6a4-8d0e-4d67-9f3a-2b7f1f0e5c11',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods/web-1/ephemeralcontainers',
    verb: 'patch',
    user: { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] },
    sourceIPs: ['192.168.49.1'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
    objectRef: { resource: 'pods', namespace: 'default', name: 'web-1', apiVersion: 'v1', subresource: 'ephemeralcontainers' },
    responseStatus: { metadata: {}, code: 200 },
    // kubectl debug sends a strategic merge patch of the pod's ephemeralContainers
    requestObject: { spec: { ephemeralContainers: [{ name: 'debugger-7kq2x', image: 'busybox', resources: {}, terminationMessagePolicy: 'File', imagePullPolicy: 'Always', stdin: true, tty: true }] } },
    requestReceivedTimestamp: '2025-06-01T10:00:00.100200Z',
    stageTimestamp: '2025-06-01T10:00:00.118700Z',
    annotations: allow('RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"')
  })
  const alerts = fired(ev)
  t.same(alerts.map((a) => a.rule), ['K8s Ephemeral Container Added'])
  t.same(alerts[0]?.outputFields['ka.req.pod.ephemeralContainers.name'], ['debugger-7kq2x'])
  t.same(alerts[0]?.outputFields['ka.req.pod.ephemeralContainers.image'], ['busybox'])
})

t.test('a ClusterRoleBinding to cluster-admin (kubectl create clusterrolebinding)', async (t) => {
  const crb = { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'ops-admin' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'dev-intern' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' } }
  const ev = eventOf({
    level: 'RequestResponse',
    auditID: '5f0c3e57-2b4a-4d0a-8f3c-6a1d9e2b7c40',
    stage: 'ResponseComplete',
    requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?fieldManager=kubectl-create\u0026fieldValidation=Strict',
    verb: 'create',
    user: { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] },
    sourceIPs: ['192.168.49.1'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
    objectRef: { resource: 'clusterrolebindings', name: 'ops-admin', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestObject: crb,
    responseObject: { ...crb, metadata: { name: 'ops-admin', uid: '8d1e0b3a-0c9e-4f0e-a5b4-3d2c1b0a9f8e', resourceVersion: '90210', creationTimestamp: '2025-06-01T10:00:01Z' } },
    requestReceivedTimestamp: '2025-06-01T10:00:01.002000Z',
    stageTimestamp: '2025-06-01T10:00:01.009300Z',
    annotations: allow('RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"')
  })
  const rules = names(ev)
  t.ok(rules.includes('K8s Binding To cluster-admin'), rules.join(', '))
  t.equal(rules[0], 'K8s Binding To cluster-admin', 'it is the first (rule_matching: first reports it)')
})

t.test('anonymous requests: allowed for a resource alerts, health and bootstrap discovery do not', async (t) => {
  const anon = (uri: string, over: Partial<AuditObject> = {}): AuditEvent => eventOf({
    level: 'Metadata',
    auditID: `anon-${uri}`,
    stage: 'ResponseComplete',
    requestURI: uri,
    verb: 'get',
    user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
    sourceIPs: ['198.51.100.23'],
    userAgent: 'curl/8.5.0',
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2025-06-01T10:00:02.000100Z',
    stageTimestamp: '2025-06-01T10:00:02.000900Z',
    annotations: allow('RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"'),
    ...over
  })
  const listed = anon('/api/v1/namespaces/default/pods?limit=500', {
    verb: 'list',
    objectRef: { resource: 'pods', namespace: 'default', apiVersion: 'v1' },
    annotations: allow('RBAC: allowed by ClusterRoleBinding "debug-anyone" of ClusterRole "view" to User "system:anonymous"')
  })
  const alerts = fired(listed)
  t.same(alerts.map((a) => a.rule), ['K8s Anonymous Request Allowed'])
  t.match(alerts[0]?.message, /reason=RBAC: allowed by ClusterRoleBinding "debug-anyone"/)
  for (const uri of ['/livez', '/readyz', '/healthz', '/version']) t.same(names(anon(uri)), [], uri)
  // kubeadm join reads this before it has credentials (the bootstrap-signer role grants it)
  t.same(names(anon('/api/v1/namespaces/kube-public/configmaps/cluster-info', {
    objectRef: { resource: 'configmaps', namespace: 'kube-public', name: 'cluster-info', apiVersion: 'v1' },
    annotations: allow('RBAC: allowed by RoleBinding "kubeadm:bootstrap-signer-clusterinfo/kube-public" of Role "kubeadm:bootstrap-signer-clusterinfo" to User "system:anonymous"')
  })), [], 'kube-public/cluster-info')
  t.same(names(anon('/api/v1/namespaces/default/pods?limit=500', { verb: 'list', objectRef: { resource: 'pods', namespace: 'default', apiVersion: 'v1' }, responseStatus: { metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403 }, annotations: forbid() })), [], 'forbidden anonymous list')
})

t.test('TokenRequest is not a service account creation', async (t) => {
  const tokenRequest = (user: Record<string, unknown>): AuditEvent => eventOf({
    level: 'Request',
    auditID: 'b0b4f2de-7d1c-4c8e-9e4e-0f3a2d1c6b59',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/kube-system/serviceaccounts/clusterrole-aggregation-controller/token',
    verb: 'create',
    user,
    sourceIPs: ['192.168.49.1'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
    objectRef: { resource: 'serviceaccounts', namespace: 'kube-system', name: 'clusterrole-aggregation-controller', apiVersion: 'v1', subresource: 'token' },
    responseStatus: { metadata: {}, code: 201 },
    requestObject: { kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec: { audiences: null, expirationSeconds: 3600, boundObjectRef: null }, status: { token: '', expirationTimestamp: null } },
    requestReceivedTimestamp: '2025-06-01T10:00:03.000100Z',
    stageTimestamp: '2025-06-01T10:00:03.004100Z',
    annotations: allow('RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"')
  })
  const byAdmin = fired(tokenRequest({ username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] }))
  t.same(byAdmin.map((a) => a.rule), ['K8s Token Requested For System Service Account'], 'reported as what it is')
  t.match(byAdmin[0]?.message, /^Token issued for a system service account \(user=kubernetes-admin impersonated=<NA> verb=create target=serviceaccounts\/clusterrole-aggregation-controller subresource=token namespace=kube-system expiration_seconds=3600\)$/)
  t.same(names(tokenRequest({ username: 'system:kube-controller-manager', groups: ['system:authenticated'] })), [], 'the control plane minting its own tokens')
})
