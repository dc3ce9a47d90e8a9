// ka.req.* fields of RBAC requests: (Cluster)RoleBinding subjects and roleRef, (Cluster)Role rules.
import {
  defineField, dig, isObj, kaIndexedList, kaRoot, kaScalar, prop, toText, WRONG_TYPE,
  type FieldDef, type JsonObject, type K8sAuditEvent
} from './event.ts'

const subjects = (r: JsonObject): unknown => dig(r, ['requestObject', 'subjects'])
const roleRules = (r: JsonObject): unknown => dig(r, ['requestObject', 'rules'])

/** Names of the binding's subjects of one kind; subjects without kind or name are skipped. */
function subjectNames (name: string, kind: string, desc: string, withNamespace = false): FieldDef<K8sAuditEvent> {
  return kaIndexedList(name, desc, subjects, function subjectName (s) {
    if (!isObj(s) || s.kind !== kind || typeof s.name !== 'string') return undefined
    if (!withNamespace) return s.name
    return typeof s.namespace === 'string' ? `${s.namespace}:${s.name}` : undefined
  }, { index: false })
}

/** Every string of one key of the role's rules (only rule N with an index), flattened. */
function ruleStrings (key: string, desc: string): FieldDef<K8sAuditEvent> {
  return kaIndexedList(`ka.req.role.rules.${key}`, desc, roleRules, function ruleValues (rule) {
    const arr = prop(rule, key)
    if (arr === undefined) return undefined
    if (!Array.isArray(arr)) return WRONG_TYPE
    const out: string[] = []
    for (const v of arr) {
      const t = toText(v)
      if (t !== undefined) out.push(t)
    }
    return out
  })
}

const hasName = defineField({
  name: 'ka.req.binding.subject.has_name',
  type: 'string',
  arg: 'required',
  argKind: 'key',
  desc: 'Deprecated, always returns "true" (kept so that old rules still load)',
  deprecated: 'compare ka.req.binding.subjects.* with the name instead'
}, function bindHasName () {
  return function extractHasName (ev) {
    return kaRoot(ev) === undefined ? undefined : 'true'
  }
})

export const KA_RBAC_FIELDS: readonly FieldDef<K8sAuditEvent>[] = [
  kaIndexedList('ka.req.binding.subjects', 'When the request object refers to a cluster role binding, the subject (e.g. account/users) being linked by the binding', subjects, (s) => JSON.stringify(s), { index: false }),
  subjectNames('ka.req.binding.subjects.user_names', 'User', 'When the request object refers to a cluster role binding, the names of the subjects of kind User'),
  subjectNames('ka.req.binding.subjects.serviceaccount_names', 'ServiceAccount', 'When the request object refers to a cluster role binding, the names of the subjects of kind ServiceAccount'),
  subjectNames('ka.req.binding.subjects.serviceaccount_ns_names', 'ServiceAccount', 'When the request object refers to a cluster role binding, the namespace:name of the subjects of kind ServiceAccount', true),
  subjectNames('ka.req.binding.subjects.group_names', 'Group', 'When the request object refers to a cluster role binding, the names of the subjects of kind Group'),
  kaScalar('ka.req.binding.role', 'When the request object refers to a cluster role binding, the role being linked by the binding', (r) => dig(r, ['requestObject', 'roleRef', 'name'])),
  hasName,
  kaIndexedList('ka.req.role.rules', 'When the request object refers to a role/cluster role, the rules associated with the role', roleRules, (rule) => JSON.stringify(rule), { index: false }),
  ruleStrings('apiGroups', 'When the request object refers to a role/cluster role, the api groups associated with the role\'s rules'),
  ruleStrings('nonResourceURLs', 'When the request object refers to a role/cluster role, the non resource urls associated with the role\'s rules'),
  ruleStrings('verbs', 'When the request object refers to a role/cluster role, the verbs associated with the role\'s rules'),
  ruleStrings('resources', 'When the request object refers to a role/cluster role, the resources associated with the role\'s rules')
]
