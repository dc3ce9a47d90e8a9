// The evt.* fields Falco offers on every plugin event, for the k8s_audit source: event time in its
// usual shapes and the source/plugin names. Times are abstime (bigint ns); outputs format them.
import { defineField, type FieldDef, type K8sAuditEvent } from './event.ts'
import type { FieldInfo, FieldValue } from '../registry.ts'

function evtField (info: Omit<FieldInfo, 'desc'> & { desc: string }, read: (ev: K8sAuditEvent) => FieldValue): FieldDef<K8sAuditEvent> {
  return defineField(info, function bindEvt () { return read })
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

function localClock (ns: bigint): Date {
  return new Date(Number(ns / 1_000_000n))
}

export const EVT_FIELDS: readonly FieldDef<K8sAuditEvent>[] = [
  evtField({ name: 'evt.time', type: 'abstime', desc: 'Event timestamp (the audit stageTimestamp), ns since the epoch' }, (ev) => ev.time),
  evtField({ name: 'evt.time.s', type: 'string', desc: 'Event time as HH:MM:SS (local time)' }, (ev) => {
    const d = localClock(ev.time)
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  }),
  evtField({ name: 'evt.time.iso8601', type: 'abstime', desc: 'Event timestamp, shown in ISO 8601 form with nanoseconds' }, (ev) => ev.time),
  evtField({ name: 'evt.datetime', type: 'abstime', desc: 'Event timestamp, shown as date and time' }, (ev) => ev.time),
  evtField({ name: 'evt.datetime.s', type: 'string', desc: 'Event date and time as YYYY-MM-DD HH:MM:SS (local time)' }, (ev) => {
    const d = localClock(ev.time)
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  }),
  evtField({ name: 'evt.rawtime', type: 'abstime', desc: 'Event timestamp, ns since the epoch' }, (ev) => ev.time),
  evtField({ name: 'evt.rawtime.s', type: 'int', desc: 'Integer part of the event timestamp in seconds' }, (ev) => Number(ev.time / 1_000_000_000n)),
  evtField({ name: 'evt.rawtime.ns', type: 'int', desc: 'Fractional part of the event timestamp in ns' }, (ev) => Number(ev.time % 1_000_000_000n)),
  evtField({ name: 'evt.source', type: 'string', desc: 'The event source name (k8s_audit)' }, () => 'k8s_audit'),
  evtField({ name: 'evt.pluginname', type: 'string', desc: 'The plugin Falco would use for this source (k8saudit)' }, () => 'k8saudit')
]
