// The k8s_audit source: its field table (ka.* from the k8saudit plugin, jevt.*/json.* from the
// json plugin, base evt.*), the SourceDefinition the engine registers, and user-defined fields.
import { createFieldTable, type FieldDef, type FieldTable, type SourceDefinition } from '../../fields/index.ts'
import type { K8sAuditEvent } from './event.ts'
import { KA_CORE_FIELDS } from './ka-core.ts'
import { KA_RBAC_FIELDS } from './ka-req-rbac.ts'
import { KA_POD_FIELDS } from './ka-req-pod.ts'
import { JEVT_FIELDS } from './jevt.ts'
import { EVT_FIELDS } from './evt-base.ts'
import { checkUserFieldNames, createUserFields, type UserFieldDef } from './user-fields.ts'

export const K8S_AUDIT_SOURCE = 'k8s_audit'

/** Every built-in field, in the order `list-fields` shows them. */
export const K8S_AUDIT_FIELDS: readonly FieldDef<K8sAuditEvent>[] = Object.freeze([
  ...EVT_FIELDS, ...KA_CORE_FIELDS, ...KA_RBAC_FIELDS, ...KA_POD_FIELDS, ...JEVT_FIELDS
])

function buildSource (fields: readonly FieldDef<K8sAuditEvent>[]): SourceDefinition<K8sAuditEvent> {
  const table: FieldTable<K8sAuditEvent> = createFieldTable(K8S_AUDIT_SOURCE, fields)
  return {
    name: K8S_AUDIT_SOURCE,
    fields: table,
    time: function auditEventTime (ev) { return ev.time }
  }
}

/** The k8s_audit source with the built-in fields only. */
export const k8sAuditSource: SourceDefinition<K8sAuditEvent> = buildSource(K8S_AUDIT_FIELDS)

/**
 * The k8s_audit source with extra JSONPath fields from config. Throws AppError
 * ERR_AUDIT_USER_FIELD_CONFLICT / ERR_AUDIT_USER_FIELD_INVALID.
 */
export function createK8sAuditSource (opts: { userFields?: readonly UserFieldDef[] } = {}): SourceDefinition<K8sAuditEvent> {
  const defs = opts.userFields ?? []
  if (defs.length === 0) return k8sAuditSource
  checkUserFieldNames(defs, new Set(K8S_AUDIT_FIELDS.map((f) => f.name)))
  return buildSource([...K8S_AUDIT_FIELDS, ...createUserFields(defs)])
}

export { createUserFields, type UserFieldDef } from './user-fields.ts'
export { parsePointer, resolvePointer } from './jevt.ts'
export { imageRepository } from './image-ref.ts'
export type { K8sAuditEvent } from './event.ts'
