// The audit policy Lanner recommends: full objects for what the rules inspect, metadata only for
// what carries secrets, nothing for probe and discovery noise. First matching rule wins, so the
// order below is part of the policy.
import { Document, isScalar, visit, type YAMLSeq } from 'yaml'

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse'
export type AuditStage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic'

export interface GroupResources {
  /** '' is the core group */
  group: string
  /** empty or absent: every resource of the group */
  resources?: string[]
  resourceNames?: string[]
}

export interface PolicyRule {
  level: AuditLevel
  users?: string[]
  userGroups?: string[]
  verbs?: string[]
  resources?: GroupResources[]
  namespaces?: string[]
  nonResourceURLs?: string[]
  omitStages?: AuditStage[]
}

export interface AuditPolicy {
  apiVersion: 'audit.k8s.io/v1'
  kind: 'Policy'
  omitStages: AuditStage[]
  rules: PolicyRule[]
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection']
const READ_VERBS = ['get', 'list', 'watch']

/** Each rule with the reason it is there; the reasons become comments in the rendered YAML. */
const RULES: Array<[string, PolicyRule]> = [
  ['Probes, version and API discovery: the bulk of anonymous noise, never a threat signal on their own.', {
    level: 'None',
    nonResourceURLs: ['/healthz', '/healthz/*', '/livez', '/livez/*', '/readyz', '/readyz/*', '/version', '/version/*',
      '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*', '/metrics']
  }],
  ["kube-proxy's endless watches of endpoints and services.", {
    level: 'None',
    users: ['system:kube-proxy'],
    verbs: ['watch'],
    resources: [{ group: '', resources: ['endpoints', 'services', 'services/status'] }, { group: 'discovery.k8s.io', resources: ['endpointslices'] }]
  }],
  ['Kubelets reporting node status and heartbeats.', {
    level: 'None',
    userGroups: ['system:nodes'],
    verbs: ['get', 'patch', 'update'],
    resources: [{ group: '', resources: ['nodes', 'nodes/status'] }, { group: 'coordination.k8s.io', resources: ['leases'] }]
  }],
  ['Leader election of the control plane (lease renewals every few seconds).', {
    level: 'None',
    users: ['system:kube-controller-manager', 'system:kube-scheduler', 'system:apiserver'],
    verbs: ['get', 'update'],
    resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }]
  }],
  ['Reading events, endpoints and leases: high volume, nothing the rules look at.', {
    level: 'None',
    verbs: READ_VERBS,
    resources: [
      { group: '', resources: ['events', 'endpoints'] },
      { group: 'events.k8s.io', resources: ['events'] },
      { group: 'coordination.k8s.io', resources: ['leases'] },
      { group: 'discovery.k8s.io', resources: ['endpointslices'] }
    ]
  }],
  ['Objects that carry credentials: who touched them and when, never their content.', {
    level: 'Metadata',
    resources: [
      { group: '', resources: ['secrets', 'configmaps', 'serviceaccounts/token'] },
      { group: 'authentication.k8s.io', resources: ['tokenreviews'] },
      { group: 'certificates.k8s.io', resources: ['certificatesigningrequests'] }
    ]
  }],
  ['Exec, attach and port-forward into pods, whatever the verb (websocket exec is a GET).', {
    level: 'RequestResponse',
    resources: [{ group: '', resources: ['pods/exec', 'pods/attach', 'pods/portforward'] }]
  }],
  ['Changes to what the default rules inspect: pod specs (privileged, host namespaces, mounts, images), RBAC, services, namespaces, service accounts, workloads, ingresses, nodes.', {
    level: 'RequestResponse',
    verbs: WRITE_VERBS,
    resources: [
      { group: '', resources: ['pods', 'pods/ephemeralcontainers', 'services', 'namespaces', 'serviceaccounts', 'nodes'] },
      { group: 'rbac.authorization.k8s.io' },
      { group: 'apps', resources: ['deployments', 'daemonsets', 'statefulsets', 'replicasets'] },
      { group: 'batch', resources: ['jobs', 'cronjobs'] },
      { group: 'networking.k8s.io', resources: ['ingresses', 'networkpolicies'] }
    ]
  }],
  ['Everything else: who did what to which object, without bodies.', {
    level: 'Metadata'
  }]
]

export function auditPolicy (): AuditPolicy {
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: RULES.map(([, r]) => structuredClone(r))
  }
}

export function renderAuditPolicy (): string {
  const doc = new Document(auditPolicy())
  doc.commentBefore = ' Audit policy for Lanner (lanner setup audit-policy). First matching rule wins.\n' +
    ' Secrets and ConfigMaps stay at Metadata: their content never leaves the apiserver. Raise configmaps\n' +
    ' to Request only if you want the rules that look for credentials inside ConfigMaps.'
  const seq = doc.get('rules', true) as YAMLSeq
  seq.items.forEach((item, i) => {
    (item as { commentBefore?: string }).commentBefore = ' ' + (RULES[i]?.[0] ?? '')
  })
  // lists of plain words read better on one line: verbs: [get, list, watch]
  visit(doc, { Seq (_, node) { if (node.items.every((i) => isScalar(i))) node.flow = true } })
  return doc.toString({ lineWidth: 0 })
}
