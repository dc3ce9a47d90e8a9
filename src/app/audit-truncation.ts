// Truncated audit events: kube-apiserver's truncating webhook backend (--audit-webhook-truncate-
// enabled) removes requestObject/responseObject from events over 100 KiB and marks them with the
// annotation audit.k8s.io/truncated: "true". Rules that look inside objects then cannot match
// them, silently. This module makes that visible: it counts truncated events, notices which ones
// reached a rule that tried to read an object, and reports both at most once per interval (log
// line, metric, internal alert).
import { AuditEvent } from '../audit/index.ts'
import type { Alert } from '../events/index.ts'
import type { Ruleset } from '../rules/index.ts'
import { truncatedEventsAlert, type TruncatedRequest } from './internal-alerts.ts'
import type { AppLogger } from './logger.ts'
import type { AppMetrics } from './metrics.ts'

const SOURCE = 'k8s_audit'
export const TRUNCATED_ANNOTATION = 'audit.k8s.io/truncated'

/** What one batch saw; plain numbers so an evaluation worker can post it back. */
export interface TruncationTally {
  truncated: number
  /** truncated events during whose evaluation some rule read requestObject or responseObject */
  blinded: number
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
 * Evaluate one event. A truncated one is evaluated through a view that notes any read of
 * requestObject/responseObject (the reads a rule makes only once its cheaper conditions hold, e.g.
 * "a pod was created"), and returns the same values, so alerts are exactly those of the event.
 */
export function evaluateAuditEvent (ruleset: Ruleset, ev: AuditEvent, emit: (a: Alert) => void, tally: TruncationTally): void {
  if (!isTruncated(ev.obj)) {
    ruleset.evaluate(SOURCE, ev, emit)
    return
  }
  tally.truncated++
  const seen = { objectRead: false }
  ruleset.evaluate(SOURCE, new AuditEvent(watchObjectReads(ev.obj, seen), ev.time), emit)
  if (seen.objectRead) {
    tally.blinded++
    tally.last = requestOf(ev.obj)
  }
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

export interface TruncationReporter {
  /** a batch's tally: counted at once, reported when the interval allows */
  record(t: TruncationTally): void
  /** report what is pending and stop the timer (shutdown) */
  close(): void
}

export interface TruncationReporterDeps {
  intervalMs: number
  metrics: Pick<AppMetrics, 'auditTruncated'>
  logger: Pick<AppLogger, 'warn'>
  /** hands the internal alert to the outputs (App.emit) */
  emit: (a: Alert) => void
  hostname?: string
  now?: () => number
  /** the timer that reports a window nobody else closes; returns its canceller */
  schedule?: (fn: () => void, ms: number) => () => void
}

function unrefTimer (fn: () => void, ms: number): () => void {
  const h = setTimeout(fn, ms)
  h.unref()
  return function cancelTimer () { clearTimeout(h) }
}

/**
 * Counts every truncated event in lanner_audit_truncated_events_total at once; logs one line and,
 * when rules needed the missing objects, raises one internal alert per interval. The first
 * truncated event is reported at once; later ones within the interval are summed and reported
 * when it ends, by a timer, so a lone burst is not held back until the next truncated event.
 */
export function createTruncationReporter (deps: TruncationReporterDeps): TruncationReporter {
  const now = deps.now ?? Date.now
  const schedule = deps.schedule ?? unrefTimer
  let truncated = 0
  let blinded = 0
  let last: TruncatedRequest | undefined
  let windowStart = 0
  let lastReport: number | undefined
  let cancel: (() => void) | undefined

  function report (): void {
    cancel = undefined
    if (truncated === 0) return
    const t = now()
    const seconds = (t - windowStart) / 1000
    deps.logger.warn({ truncated, neededByRules: blinded, windowSeconds: Math.round(seconds), last }, blinded > 0
      ? 'audit events arrived truncated (audit.k8s.io/truncated): kube-apiserver removed their requestObject/responseObject, and rules that read those objects could not match them'
      : 'audit events arrived truncated (audit.k8s.io/truncated): kube-apiserver removed their requestObject/responseObject; no loaded rule needed them')
    if (blinded > 0 && last !== undefined) {
      deps.emit(truncatedEventsAlert(BigInt(t) * 1_000_000n, { blinded, truncated, seconds, last }, deps.hostname))
    }
    truncated = 0
    blinded = 0
    last = undefined
    lastReport = t
  }

  return {
    record (tally) {
      if (tally.truncated === 0) return
      deps.metrics.auditTruncated(tally.truncated, tally.blinded)
      if (truncated === 0) windowStart = now()
      truncated += tally.truncated
      blinded += tally.blinded
      if (tally.last !== undefined) last = tally.last
      if (cancel !== undefined) return
      const wait = lastReport === undefined ? 0 : lastReport + deps.intervalMs - now()
      if (wait <= 0) report()
      else cancel = schedule(report, wait)
    },
    close () {
      cancel?.()
      report()
    }
  }
}
