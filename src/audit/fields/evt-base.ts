// The evt.* fields Falco offers on every plugin event, for the k8s_audit source: event time in its
// usual shapes (src/fields/time-fields.ts, shared with the syscall table) and the source/plugin names.
import { defineField, type FieldDef, type K8sAuditEvent } from './event.ts'
import type { FieldInfo, FieldValue } from '../../fields/index.ts'
import { timeFields } from '../../fields/index.ts'

function evtField (info: Omit<FieldInfo, 'desc'> & { desc: string }, read: (ev: K8sAuditEvent) => FieldValue): FieldDef<K8sAuditEvent> {
  return defineField(info, function bindEvt () { return read })
}

export const EVT_FIELDS: readonly FieldDef<K8sAuditEvent>[] = [
  // the audit stageTimestamp, in every shape the shared time builder offers
  ...timeFields<K8sAuditEvent>(function auditStageTime (ev) { return ev.time }),
  evtField({ name: 'evt.source', type: 'string', desc: 'The event source name (k8s_audit)' }, () => 'k8s_audit'),
  evtField({ name: 'evt.pluginname', type: 'string', desc: 'The plugin Falco would use for this source (k8saudit)' }, () => 'k8saudit')
]
