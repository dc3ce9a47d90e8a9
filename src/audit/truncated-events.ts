// Events kube-apiserver truncated: its truncating backends (--audit-webhook-truncate-enabled,
// --audit-log-truncate-enabled) remove requestObject/responseObject from events over 100 KiB and
// add the annotation audit.k8s.io/truncated: "true". Rules that look inside objects cannot match
// such an event. Evaluation here notices when one tried, so that the loss can be reported
// (src/app/audit-mode/audit-truncation.ts for serve, the replay summary for files).
import type { Alert } from '../events/index.ts'
import type { Ruleset } from '../rules/index.ts'
import { AuditEvent } from './audit-event.ts'

const SOURCE = 'k8s_audit'
export const TRUNCATED_ANNOTATION = 'audit.k8s.io/truncated'

/** The request a truncated event was about, for reports. */
export interface TruncatedRequest {
  auditID?: string
  verb?: string
  resource?: string
  subresource?: string
  namespace?: string
  name?: string
  user?: string
}

/** What a batch (or a replay) saw; plain data so an evaluation worker can post it back. */
export interface TruncationTally {
  truncated: number
  /** truncated events during whose evaluation some rule read requestObject or responseObject */
  blinded: number
  /** the latest of those */
  last?: TruncatedRequest
}

export function newTally (): TruncationTally {
  return { truncated: 0, blinded: 0 }
}

/** The per-event cost for every event: one annotation lookup. */
export function isTruncated (obj: Record<string, unknown>): boolean {
  const a = obj.annotations
  return typeof a === 'object' && a !== null && (a as Record<string, unknown>)[TRUNCATED_ANNOTATION] === 'true'
}

/**
 * Evaluate one event; returns the number of alerts. A truncated one is evaluated through a view
 * that notes any read of requestObject/responseObject (the reads a rule makes only once its
 * cheaper conditions hold, e.g. "a pod was created") and returns the same values, so alerts are
 * exactly those of the event.
 */
export function evaluateAuditEvent (ruleset: Ruleset, ev: AuditEvent, emit: (a: Alert) => void, tally: TruncationTally): number {
  if (!isTruncated(ev.obj)) return ruleset.evaluate(SOURCE, ev, emit)
  tally.truncated++
  const seen = { objectRead: false }
  const n = ruleset.evaluate(SOURCE, new AuditEvent(watchObjectReads(ev.obj, seen), ev.time), emit)
  if (seen.objectRead) {
    tally.blinded++
    tally.last = requestOf(ev.obj)
  }
  return n
}

const OBJECT_KEYS = new Set<string | symbol>(['requestObject', 'responseObject'])

/** Extractors reach a key by reading it (ka.*) or by testing that it is there first (jevt.value). */
function watchObjectReads (obj: Record<string, unknown>, seen: { objectRead: boolean }): Record<string, unknown> {
  return new Proxy(obj, {
    get: function noteGet (target, key, receiver) {
      if (OBJECT_KEYS.has(key)) seen.objectRead = true
      return Reflect.get(target, key, receiver)
    },
    has: function noteHas (target, key) {
      if (OBJECT_KEYS.has(key)) seen.objectRead = true
      return Reflect.has(target, key)
    },
    getOwnPropertyDescriptor: function noteOwn (target, key) {
      if (OBJECT_KEYS.has(key)) seen.objectRead = true
      return Reflect.getOwnPropertyDescriptor(target, key)
    }
  })
}

function str (v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

function requestOf (obj: Record<string, unknown>): TruncatedRequest {
  const ref = (typeof obj.objectRef === 'object' && obj.objectRef !== null ? obj.objectRef : {}) as Record<string, unknown>
  const user = (typeof obj.user === 'object' && obj.user !== null ? obj.user : {}) as Record<string, unknown>
  return {
    auditID: str(obj.auditID),
    verb: str(obj.verb),
    resource: str(ref.resource),
    subresource: str(ref.subresource),
    namespace: str(ref.namespace),
    name: str(ref.name),
    user: str(user.username)
  }
}
