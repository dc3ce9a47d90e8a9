// Syscall mode: the eBPF probe feeds record batches; each record is enriched (process, fd, user,
// container, pod) and evaluated with the current syscall rules. Probe drops become metrics and a
// rate-limited internal alert. The admin server runs as in audit mode.
import { DEFAULTS } from '../config/index.ts'
import { startProbe } from '../syscall/loader.ts'
import { createEnricher } from '../syscall/enrich.ts'
import type { SyscallRecord } from '../syscall/record.ts'
import type { RunningMode } from './audit-mode.ts'
import { startAdmin } from './admin.ts'
import type { App } from './build.ts'
import { createDropAlerter } from './internal-alerts.ts'

const SOURCE = 'syscall'

export async function startSyscallMode (app: App): Promise<RunningMode> {
  const log = app.logger.child({ module: 'syscall' })
  const { metrics } = app
  const enricher = createEnricher({})
  const drops = createDropAlerter(DEFAULTS.dropAlertIntervalMs, app.emit)
  let evalErrors = 0

  function onRecords (batch: SyscallRecord[]): void {
    const started = process.hrtime.bigint()
    metrics.eventsReceived(SOURCE, batch.length)
    const rs = app.rules.current()
    if (rs === undefined) { metrics.eventsDropped(SOURCE, 'no_rules', batch.length); return }
    let done = 0
    for (const rec of batch) {
      try {
        rs.evaluate(SOURCE, enricher.enrich(rec), app.emit)
        done++
      } catch (err) {
        // the engine does not throw per event; this guards the enrichment state machine
        metrics.eventsDropped(SOURCE, 'enrich_error', 1)
        if (evalErrors++ % 1000 === 0) log.error({ err: (err as Error).message, type: rec.type, errors: evalErrors }, 'event could not be evaluated')
      }
    }
    metrics.eventsEvaluated(SOURCE, done)
    metrics.batchEvaluated(SOURCE, Number(process.hrtime.bigint() - started) / 1e9)
  }

  const admin = await startAdmin(app)
  let probe
  try {
    probe = await startProbe({
      onRecords,
      onStats: function probeStats (s) {
        if (s.dropsDelta <= 0) return
        metrics.syscallDrops(s.dropsDelta)
        metrics.eventsDropped(SOURCE, 'ring_buffer_full', s.dropsDelta)
        drops.report(s.time, s.dropsDelta, s.dropsPerCpu)
      },
      onError: function probeError (err) { log.error({ code: err.code, err: err.message }, 'probe problem') },
      logger: {
        info: (msg) => { log.info({}, msg) },
        warn: (msg) => { log.warn({}, msg) },
        error: (msg) => { log.error({}, msg) }
      }
    })
  } catch (err) {
    await admin?.close()
    throw err
  }
  log.info({ pid: probe.pid, rules: app.rules.paths }, 'syscall probe running')
  const running = probe
  return {
    adminPort: admin?.port,
    async stop () {
      await running.stop()
      await admin?.close()
    }
  }
}
