// ka.* fields about the request itself: identity, verb, URI, target object, authorization
// annotations, response. Plain property reads; only ka.uri.param(s) and ka.sourceips do real work.
import { cached } from '../../fields/index.ts'
import {
  defineField, dig, kaIndexedList, kaRoot, kaScalar, listValue, prop, toText,
  type FieldDef, type JsonObject, type K8sAuditEvent
} from './event.ts'

function annotation (key: string) {
  return (root: JsonObject): unknown => prop(root.annotations, key)
}

/** The query string of requestURI, parsed once per event and shared by every ka.uri.param[key]. */
const queryOf = cached<K8sAuditEvent>(function parseQuery (ev) {
  const uri = kaRoot(ev)?.requestURI
  if (typeof uri !== 'string') return undefined
  const q = uri.indexOf('?')
  if (q === -1) return undefined
  // hand-built list, not URLSearchParams, so that the cache holds a plain FieldValue
  const out: string[] = []
  for (const part of uri.slice(q + 1).split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const k = decodeQueryPart(eq === -1 ? part : part.slice(0, eq))
    const v = decodeQueryPart(eq === -1 ? '' : part.slice(eq + 1))
    if (k === undefined || v === undefined) continue
    out.push(k, v)
  }
  return out
})

function decodeQueryPart (s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

const uriParam = defineField({
  name: 'ka.uri.param',
  type: 'string',
  arg: 'required',
  argKind: 'key',
  desc: 'The value of a query parameter of the request URI (the first one when it repeats), e.g. ka.uri.param[command]'
}, function bindUriParam (key) {
  return function extractUriParam (ev) {
    const pairs = queryOf(ev) as readonly string[] | undefined
    if (pairs === undefined) return undefined
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === key) return pairs[i + 1]
    return undefined
  }
})

/**
 * Lanner addition: every value of a repeated query parameter, in order. kubectl sends an exec's
 * command as one `command=` per argv element, and ka.uri.param (Falco's) keeps only the first.
 */
const uriParams = defineField({
  name: 'ka.uri.params',
  type: 'string',
  isList: true,
  arg: 'required',
  argKind: 'key',
  desc: 'Lanner: every value of a query parameter of the request URI, in order, e.g. ka.uri.params[command] gives the whole argv of an exec'
}, function bindUriParams (key) {
  return function extractUriParams (ev) {
    const pairs = queryOf(ev) as readonly string[] | undefined
    if (pairs === undefined) return undefined
    const out: string[] = []
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === key) out.push(pairs[i + 1] as string)
    return listValue(out)
  }
}, { cache: true })

const targetPodName = kaScalar('ka.target.pod.name', 'The name of the pod the request created or read (responseObject), for pod requests without a subresource', (root) => {
  const ref = root.objectRef
  if (prop(ref, 'resource') !== 'pods') return undefined
  const sub = prop(ref, 'subresource')
  if (sub !== undefined && sub !== '') return undefined
  return dig(root, ['responseObject', 'metadata', 'name'])
})

export const KA_CORE_FIELDS: readonly FieldDef<K8sAuditEvent>[] = [
  kaScalar('ka.auditid', 'The unique id of the audit event', (r) => r.auditID),
  kaScalar('ka.stage', 'Stage of the request (e.g. RequestReceived, ResponseComplete, etc.)', (r) => r.stage),
  kaScalar('ka.auth.decision', 'The authorization decision (allow or forbid)', annotation('authorization.k8s.io/decision')),
  kaScalar('ka.auth.reason', 'The authorization reason', annotation('authorization.k8s.io/reason')),
  kaScalar('ka.auth.openshift.decision', 'The authentication decision of the OpenShift audit event', annotation('authentication.openshift.io/decision')),
  kaScalar('ka.validations.admission.policy.failure', 'The validation failure reason of a validating admission policy', annotation('validation.policy.admission.k8s.io/validation_failure')),
  kaScalar('ka.security.pod.violations', 'The Pod Security audit violations of the request', annotation('pod-security.kubernetes.io/audit-violations')),
  kaScalar('ka.auth.openshift.username', 'The user name of the OpenShift audit event', annotation('authentication.openshift.io/username')),
  kaScalar('ka.user.name', 'The user name performing the request', (r) => prop(r.user, 'username')),
  kaIndexedList('ka.user.groups', 'The groups to which the user belongs', (r) => prop(r.user, 'groups'), (g) => toText(g), { index: false }),
  kaScalar('ka.impuser.name', 'The impersonated user name', (r) => prop(r.impersonatedUser, 'username')),
  kaScalar('ka.verb', 'The action being performed', (r) => r.verb),
  kaScalar('ka.uri', 'The request URI as sent from client to server', (r) => r.requestURI),
  uriParam,
  uriParams,
  kaScalar('ka.target.name', 'The target object name', (r) => prop(r.objectRef, 'name')),
  kaScalar('ka.target.namespace', 'The target object namespace', (r) => prop(r.objectRef, 'namespace')),
  kaScalar('ka.target.resource', 'The target object resource', (r) => prop(r.objectRef, 'resource')),
  kaScalar('ka.target.subresource', 'The target object subresource', (r) => prop(r.objectRef, 'subresource')),
  targetPodName,
  kaScalar('ka.req.configmap.name', 'If the request object refers to a configmap, the configmap name (from objectRef)', (r) => prop(r.objectRef, 'name')),
  defineField({ name: 'ka.req.configmap.obj', type: 'string', desc: 'If the request object refers to a configmap, the entire configmap data as compact JSON' }, function bindConfigmapObj () {
    return function extractConfigmapObj (ev) {
      const root = kaRoot(ev)
      return root === undefined ? undefined : toText(dig(root, ['requestObject', 'data']))
    }
  }, { cache: true }),
  kaScalar('ka.resp.name', 'The response object name', (r) => dig(r, ['responseObject', 'metadata', 'name'])),
  kaScalar('ka.response.code', 'The response code', (r) => prop(r.responseStatus, 'code')),
  kaScalar('ka.response.reason', 'The response reason (usually present only for failures)', (r) => prop(r.responseStatus, 'reason')),
  kaScalar('ka.useragent', 'The useragent of the client who made the request to the apiserver', (r) => r.userAgent),
  kaIndexedList('ka.sourceips', 'The IP addresses of the client who made the request to the apiserver ($.sourceIPs)', (r) => r.sourceIPs, (ip) => toText(ip)),
  kaScalar('ka.cluster.name', 'The name of the k8s cluster (annotation cluster_name)', annotation('cluster_name'))
]
