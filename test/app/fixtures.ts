// Audit events and rules files for the app, CLI and integration tests.
import { encodeEventList } from '../helpers/apiserver-client.ts'
export function auditEvent (opts: { verb?: string, resource?: string, name?: string, user?: string, id?: string } = {}): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: opts.id ?? 'a0000000-0000-0000-0000-000000000001',
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/${opts.resource ?? 'configmaps'}`,
    verb: opts.verb ?? 'create',
    user: { username: opts.user ?? 'alice', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.1'],
    objectRef: { resource: opts.resource ?? 'configmaps', namespace: 'default', name: opts.name ?? 'cm1', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestReceivedTimestamp: '2026-01-02T03:04:05.000001Z',
    stageTimestamp: '2026-01-02T03:04:05.123456789Z'
  }
}

/** A webhook body exactly as kube-apiserver writes it: the items lose their kind/apiVersion. */
export function eventList (items: Array<Record<string, unknown>>): string {
  return encodeEventList(items)
}

/** One k8s_audit rule firing on every `create` of `resource`, named `name`. */
export function createRule (name: string, resource = 'configmaps', extra = ''): string {
  return `- rule: ${name}
  desc: test rule ${name}
  condition: ka.verb=create and ka.target.resource=${resource}${extra}
  output: "${name} fired (user=%ka.user.name name=%ka.target.name)"
  priority: WARNING
  source: k8s_audit
  tags: [k8s, test]
`
}
