// Audit batches lost for their content (not JSON, not audit data, over max_body_bytes), reported
// once per batch however often kube-apiserver sends it: counted at once in
// lanner_webhook_unusable_batches_total{reason}, and one log line plus one internal alert per
// interval (the first at once, later ones summed), so a misconfigured sender is seen where
// detections are seen, not as an apiserver error line per retry.
import type { UnusableBatch } from '../../webhook/index.ts'
import { unusableBatchesAlert, type UnusableWindow } from '../metrics/internal-alerts.ts'
import { createIntervalReport, type InternalReportDeps, type IntervalReporter } from '../metrics/interval-report.ts'
import type { AppMetrics } from '../metrics/metrics.ts'

export type UnusableReporter = IntervalReporter<UnusableBatch>

export interface UnusableReporterDeps extends InternalReportDeps {
  metrics: Pick<AppMetrics, 'unusableBatch'>
}

export function createUnusableReporter (deps: UnusableReporterDeps): UnusableReporter {
  let byReason: Record<string, number> = {}
  let last: UnusableWindow['last'] | undefined

  const interval = createIntervalReport(deps, function reportUnusable (t, seconds) {
    if (last === undefined) return
    const w: UnusableWindow = { byReason, seconds, last }
    deps.logger.warn({ byReason, windowSeconds: Math.round(w.seconds), last },
      'audit batches held nothing that could be evaluated; their events are lost (not JSON or not audit data: acknowledged 200 so kube-apiserver does not resend them; over max_body_bytes: 413, kube-apiserver drops them after its retries)')
    deps.emit(unusableBatchesAlert(BigInt(t) * 1_000_000n, w, deps.hostname))
    byReason = {}
    last = undefined
  })

  return {
    record (batch) {
      deps.metrics.unusableBatch(batch.reason)
      byReason[batch.reason] = (byReason[batch.reason] ?? 0) + 1
      last = { reason: batch.reason, message: batch.message, bytes: batch.bytes, remote: batch.remote, status: batch.status }
      interval.recorded()
    },
    close: interval.close
  }
}
