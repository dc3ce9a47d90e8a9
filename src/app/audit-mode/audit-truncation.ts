// Truncated audit events in serve: kube-apiserver's truncating webhook backend (--audit-webhook-
// truncate-enabled) removes requestObject/responseObject from events over 100 KiB and marks them
// with the annotation audit.k8s.io/truncated: "true", so rules that look inside objects cannot
// match them, silently. The handlers tally them per batch (src/audit/truncated-events.ts); this
// reporter counts them at once and reports them at most once per interval (log line, internal
// alert when rules needed the missing objects).
import type { TruncatedRequest, TruncationTally } from '../../audit/index.ts'
import { truncatedEventsAlert } from '../metrics/internal-alerts.ts'
import { createIntervalReport, type InternalReportDeps, type IntervalReporter } from '../metrics/interval-report.ts'
import type { AppMetrics } from '../metrics/metrics.ts'

// evaluation and the tally live with the audit model (replay uses them too); serve's handlers take them from here
export { evaluateAuditEvent, isTruncated, newTally, TRUNCATED_ANNOTATION, type TruncationTally } from '../../audit/index.ts'

/** takes a batch's tally: counted at once, reported when the interval allows */
export type TruncationReporter = IntervalReporter<TruncationTally>

export interface TruncationReporterDeps extends InternalReportDeps {
  metrics: Pick<AppMetrics, 'auditTruncated'>
}

/**
 * Counts every truncated event in lanner_audit_truncated_events_total at once; logs one line and,
 * when rules needed the missing objects, raises one internal alert per interval. The first
 * truncated event is reported at once; later ones within the interval are summed and reported
 * when it ends, by a timer, so a lone burst is not held back until the next truncated event.
 */
export function createTruncationReporter (deps: TruncationReporterDeps): TruncationReporter {
  let truncated = 0
  let blinded = 0
  let last: TruncatedRequest | undefined

  const interval = createIntervalReport(deps, function reportTruncated (t, seconds) {
    deps.logger.warn({ truncated, neededByRules: blinded, windowSeconds: Math.round(seconds), last }, blinded > 0
      ? 'audit events arrived truncated (audit.k8s.io/truncated): kube-apiserver removed their requestObject/responseObject, and rules that read those objects could not match them'
      : 'audit events arrived truncated (audit.k8s.io/truncated): kube-apiserver removed their requestObject/responseObject; no loaded rule needed them')
    if (blinded > 0 && last !== undefined) {
      deps.emit(truncatedEventsAlert(BigInt(t) * 1_000_000n, { blinded, truncated, seconds, last }, deps.hostname))
    }
    truncated = 0
    blinded = 0
    last = undefined
  })

  return {
    record (tally) {
      if (tally.truncated === 0) return
      deps.metrics.auditTruncated(tally.truncated, tally.blinded)
      truncated += tally.truncated
      blinded += tally.blinded
      if (tally.last !== undefined) last = tally.last
      interval.recorded()
    },
    close: interval.close
  }
}
