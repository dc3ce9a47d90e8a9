// Lanner's default k8s_audit rules on Falco's real audit traces (../shared/reference/cases, read
// in place): each trace raises what a reviewer would expect, and routine traces raise nothing.
import t from 'tap'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join, resolve } from 'node:path'
import { loadRules, readRulesPaths } from '../../src/rules/index.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import { replayAudit } from '../../src/app/replay/replay-audit.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const CASES = resolve(REPO, '../shared/reference/cases')

const EXPECT: Record<string, Record<string, number>> = {
  'anonymous_creates_namespace_foo.json': { 'K8s Anonymous Request Allowed': 1 },
  'create_cluster_role_wildcard_resources.json': { 'K8s Role With Wildcard Permissions': 1 },
  'create_clusterrole.json': { 'K8s RBAC Changed By Unexpected User': 1 },
  'create_configmap_sensitive_values.json': { 'K8s ConfigMap With Credentials': 6 },
  'create_nginx_pod_hostnetwork.json': { 'K8s HostNetwork Pod Created': 1 },
  'create_nginx_pod_privileged.json': { 'K8s Privileged Pod Created': 1 },
  'create_nginx_pod_sensitive_mount.json': { 'K8s Pod With Sensitive Host Mount Created': 1 },
  'create_serviceaccount_kube_system_namespace.json': { 'K8s Service Account Created In System Namespace': 1 },
  'delete_namespace_foo.json': { 'K8s Namespace Changed By Unexpected User': 1 },
  'exec_pod.json': { 'K8s Exec or Attach Into Pod': 1 },
  'modify_cluster_role_node_problem_detector.json': { 'K8s System ClusterRole Changed': 1 },
  // routine objects: nothing to report
  'create_configmap.json': {},
  'create_deployment.json': {},
  'create_nginx_pod_unprivileged.json': {},
  'create_nginx_pod_nohostnetwork.json': {},
  'create_secret.json': {},
  'create_service.json': {},
  'create_serviceaccount.json': {},
  'delete_configmap.json': {},
  'delete_deployment.json': {},
  'delete_secret.json': {}
}

t.test('the reference traces are present', async (t) => {
  t.ok(existsSync(CASES), `reference traces must exist at ${CASES}`)
})

if (existsSync(CASES)) {
  const res = loadRules(await readRulesPaths([join(REPO, 'rules/k8s_audit_rules.yaml')]), { sources: [k8sAuditSource] })
  for (const [trace, want] of Object.entries(EXPECT)) {
    t.test(trace, async (t) => {
      const summary = await replayAudit({ paths: [join(CASES, trace)], ruleset: res.ruleset!, emit: () => {}, maxEventBytes: 262144 })
      t.same(summary.issues, [])
      t.ok(summary.events > 0)
      t.same(summary.rules, want)
    })
  }
}
