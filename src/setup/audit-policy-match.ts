// Reads an audit policy the way kube-apiserver does: validation of its shape, and the level a
// request gets (first matching rule, else None). Lets `lanner setup audit-policy --explain` and
// the tests show what a policy does to a given request instead of trusting its comments.
import type { AuditLevel, AuditPolicy, PolicyRule } from './audit-policy.ts'

export interface RequestAttrs {
  user: string
  groups?: string[]
  verb: string
  /** resource requests */
  group?: string
  resource?: string
  subresource?: string
  namespace?: string
  name?: string
  /** non-resource requests (e.g. /healthz); set this instead of resource */
  path?: string
}

const LEVELS = new Set(['None', 'Metadata', 'Request', 'RequestResponse'])
const STAGES = new Set(['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'])

/** Problems kube-apiserver would refuse the policy for (empty when it is valid). */
export function validatePolicy (policy: unknown): string[] {
  const errs: string[] = []
  const p = policy as Partial<AuditPolicy> | null
  if (typeof p !== 'object' || p === null) return ['policy: expected a mapping']
  if (p.apiVersion !== 'audit.k8s.io/v1') errs.push(`apiVersion: expected audit.k8s.io/v1, got ${String(p.apiVersion)}`)
  if (p.kind !== 'Policy') errs.push(`kind: expected Policy, got ${String(p.kind)}`)
  for (const s of p.omitStages ?? []) if (!STAGES.has(s)) errs.push(`omitStages: unknown stage ${s}`)
  if (!Array.isArray(p.rules) || p.rules.length === 0) errs.push('rules: expected at least one rule')
  ;(p.rules ?? []).forEach((r: PolicyRule, i: number) => {
    const at = `rules[${i}]`
    if (!LEVELS.has(r.level)) errs.push(`${at}.level: unknown level ${String(r.level)}`)
    for (const s of r.omitStages ?? []) if (!STAGES.has(s)) errs.push(`${at}.omitStages: unknown stage ${s}`)
    const hasResources = (r.resources?.length ?? 0) > 0 || (r.namespaces?.length ?? 0) > 0
    if (hasResources && (r.nonResourceURLs?.length ?? 0) > 0) errs.push(`${at}: rules cannot apply to both resources and nonResourceURLs`)
    for (const u of r.nonResourceURLs ?? []) {
      if (u !== '*' && !u.startsWith('/')) errs.push(`${at}.nonResourceURLs: ${u} must start with /`)
      if (u.slice(0, -1).includes('*')) errs.push(`${at}.nonResourceURLs: ${u}: * is allowed only at the end`)
    }
    ;(r.resources ?? []).forEach((gr, j) => {
      if (typeof gr.group !== 'string') errs.push(`${at}.resources[${j}].group: expected a string ('' for core)`)
      for (const res of gr.resources ?? []) {
        if (res.includes('*') && (gr.resourceNames?.length ?? 0) > 0) errs.push(`${at}.resources[${j}]: resourceNames cannot be used with wildcard resources`)
      }
    })
  })
  return errs
}

/** The level kube-apiserver records this request at under `policy`. */
export function levelFor (policy: AuditPolicy, req: RequestAttrs): AuditLevel {
  for (const rule of policy.rules) if (ruleMatches(rule, req)) return rule.level
  return 'None'
}

function ruleMatches (r: PolicyRule, req: RequestAttrs): boolean {
  if (nonEmpty(r.users) && !r.users.includes(req.user)) return false
  if (nonEmpty(r.userGroups) && !(req.groups ?? []).some((g) => r.userGroups?.includes(g))) return false
  if (nonEmpty(r.verbs) && !r.verbs.includes(req.verb)) return false
  const isResource = req.resource !== undefined
  if (nonEmpty(r.namespaces) || nonEmpty(r.resources)) {
    if (!isResource) return false
    if (nonEmpty(r.namespaces) && !r.namespaces.includes(req.namespace ?? '')) return false
    return !nonEmpty(r.resources) || r.resources.some((gr) => groupResourceMatches(gr, req))
  }
  if (nonEmpty(r.nonResourceURLs)) {
    if (isResource) return false
    return r.nonResourceURLs.some((spec) => pathMatches(req.path ?? '', spec))
  }
  return true
}

function groupResourceMatches (gr: { group: string, resources?: string[], resourceNames?: string[] }, req: RequestAttrs): boolean {
  if (gr.group !== (req.group ?? '')) return false
  if (!nonEmpty(gr.resources)) return true
  const resource = req.resource ?? ''
  const full = req.subresource === undefined || req.subresource === '' ? resource : `${resource}/${req.subresource}`
  if (nonEmpty(gr.resourceNames) && !gr.resourceNames.includes(req.name ?? '')) return false
  return gr.resources.some((spec) =>
    spec === full || spec === '*' ||
    // `pods/*`: every subresource of pods; `*/scale`: that subresource of every resource
    (spec.endsWith('/*') && req.subresource !== undefined && spec.slice(0, -2) === resource) ||
    (spec.startsWith('*/') && spec.slice(2) === req.subresource))
}

function pathMatches (path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true
  return spec.endsWith('*') && path.startsWith(spec.slice(0, -1))
}

function nonEmpty<T> (a: T[] | undefined): a is T[] {
  return a !== undefined && a.length > 0
}
