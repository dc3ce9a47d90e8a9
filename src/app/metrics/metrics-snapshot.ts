// Falco's periodic "Falco internal: metrics snapshot" alert (metrics.enabled with
// metrics.output_rule): every metrics.interval, through the normal outputs, when the configured
// minimum priority lets Informational alerts through (as in Falco). The interval is read from
// the running config at each tick, so a live config reload changes it. metrics.output_file gets
// the same numbers as a JSON line per tick (metrics-file.ts), independent of output_rule and of
// the priority filter, as in Falco.
import type { App } from '../build.ts'
import { metricsSnapshotAlert, type FalcoMetrics, type SnapshotState } from './falco-metrics.ts'
import { createMetricsFileWriter } from './metrics-file.ts'

export interface SnapshotTimer { close(): void }

const INFORMATIONAL = 6

export function startMetricsSnapshots (app: App): SnapshotTimer {
  const m = app.metrics as Partial<FalcoMetrics>
  let timer: NodeJS.Timeout | undefined
  let closed = false
  const state: SnapshotState = { prevEvents: 0, prevNs: BigInt(Date.now()) * 1_000_000n, prevDrops: 0 }
  const file = createMetricsFileWriter(function metricsFileFailed (path, err) {
    app.logger.error({ code: 'ERR_OUTPUT_FAILED', file: path, err: err.message }, 'metrics.output_file cannot be written: snapshots are not recorded there')
  })
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
    const toRule = cfg.metrics.outputRule && cfg.minPriority >= INFORMATIONAL
    const toFile = cfg.metrics.outputFile
    if (cfg.metrics.enabled && (toRule || toFile !== undefined) && m.falco !== undefined) {
      try {
        const nowNs = BigInt(Date.now()) * 1_000_000n
        const alert = metricsSnapshotAlert(nowNs, cfg, m.falco, state)
        if (toRule) app.emit(alert)
        if (toFile !== undefined) void file.write(toFile, nowNs, alert.outputFields)
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
