// Falco's periodic "Falco internal: metrics snapshot" alert (metrics.enabled with
// metrics.output_rule): every metrics.interval, through the normal outputs, when the configured
// minimum priority lets Informational alerts through (as in Falco). The interval is read from
// the running config at each tick, so a live config reload changes it.
import type { App } from './build.ts'
import { metricsSnapshotAlert, type FalcoMetrics, type SnapshotState } from './falco-metrics.ts'

export interface SnapshotTimer { close(): void }

const INFORMATIONAL = 6

export function startMetricsSnapshots (app: App): SnapshotTimer {
  const m = app.metrics as Partial<FalcoMetrics>
  let timer: NodeJS.Timeout | undefined
  let closed = false
  const state: SnapshotState = { prevEvents: 0, prevNs: BigInt(Date.now()) * 1_000_000n, prevDrops: 0 }
  function schedule (): void {
    if (closed) return
    const cfg = app.config
    // disabled now: look again later, so enabling it by a config reload starts the snapshots
    const ms = cfg.metrics.enabled ? cfg.metrics.intervalMs : 5000
    timer = setTimeout(tick, ms)
    timer.unref()
  }
  function tick (): void {
    const cfg = app.config
    if (cfg.metrics.enabled && cfg.metrics.outputRule && cfg.minPriority >= INFORMATIONAL && m.falco !== undefined) {
      try {
        app.emit(metricsSnapshotAlert(BigInt(Date.now()) * 1_000_000n, cfg, m.falco, state))
      } catch (err) {
        app.logger.error({ err: (err as Error).message }, 'metrics snapshot failed')
      }
    }
    schedule()
  }
  schedule()
  return {
    close () {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
    }
  }
}
