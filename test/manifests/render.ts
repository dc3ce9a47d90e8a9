// Test helpers for the manifests: render a kustomization with kubectl's built-in kustomize,
// validate objects with kubernetes-models, and small lookups over the rendered objects.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import { Namespace, ServiceAccount, ConfigMap, Service } from 'kubernetes-models/v1'
import { Deployment, DaemonSet } from 'kubernetes-models/apps/v1'
import { Role, RoleBinding, ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
export const MANIFESTS = join(REPO, 'manifests')

export type K8sObject = { apiVersion: string, kind: string, metadata: { name: string, namespace?: string, labels?: Record<string, string> }, [k: string]: any }

/** kubectl with built-in kustomize, or undefined (tests skip with the reason) */
export function findKubectl (): string | undefined {
  for (const p of [process.env.KUBECTL, '/usr/bin/kubectl', '/usr/local/bin/kubectl']) {
    if (p !== undefined && p !== '' && existsSync(p)) return p
  }
  try {
    return execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

export function render (kubectl: string, dir: string): K8sObject[] {
  const out = execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  return parseAllDocuments(out).map((d) => d.toJS() as K8sObject).filter((o) => o !== null)
}

/** A throwaway kustomization (a user's overlay) next to the repository's manifests. */
export function userOverlay (body: (pathToManifests: string) => string, extraFiles: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-overlay-'))
  writeFileSync(join(dir, 'kustomization.yaml'), body(relative(dir, MANIFESTS)))
  for (const [name, text] of Object.entries(extraFiles)) writeFileSync(join(dir, name), text)
  return dir
}

type Model = new (data: any) => { validate(): void }
const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy
}

/** Schema validation of one object; returns the problem or undefined. */
export function schemaProblem (o: K8sObject): string | undefined {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`]
  if (Model === undefined) return `no kubernetes-models schema registered for ${o.apiVersion} ${o.kind}`
  try {
    new Model(o).validate()
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

export function find (objs: K8sObject[], kind: string, name?: string): K8sObject {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name))
  if (o === undefined) throw new Error(`no ${kind}${name === undefined ? '' : ` ${name}`} in the rendered output`)
  return o
}

export function all (objs: K8sObject[], kind: string): K8sObject[] {
  return objs.filter((x) => x.kind === kind)
}

/** Every key/value of `selector` is among `labels`. */
export function selects (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v)
}

/** The container's `-c FILE`, `-o k=v` and `--source S` arguments. */
export function serveArgs (args: string[]): { config?: string, overrides: string[], source?: string } {
  const out: { config?: string, overrides: string[], source?: string } = { overrides: [] }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    const next = args[i + 1]
    if (a === '-c' && next !== undefined) { out.config = next; i++ } else if (a === '-o' && next !== undefined) { out.overrides.push(next); i++ } else if (a === '--source' && next !== undefined) { out.source = next; i++ }
  }
  return out
}
