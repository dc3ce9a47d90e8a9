// Syscall mode's record path: each batch the probe delivers marks the source as producing, is
// counted as received, and goes through the event pump (event-pump.ts) with the enrichment step
// (process, fd, user, container, pod); records that could not update the process/fd tables are
// reported. The probe's stats become drop metrics and the rate-limited drop alert.
import type { Alert, Logger } from '../../events/index.ts'
import type { Ruleset } from '../../rules/index.ts'
import type { Enricher, ProbeStats, SyscallRecord } from '../../syscall/index.ts'
import { EventPump } from '../event-pump.ts'
import type { AppMetrics } from '../metrics/metrics.ts'
import type { SyscallReadiness } from './syscall-readiness.ts'

const SOURCE = 'syscall'
/** one error line per this many records that could not be evaluated (the first one included) */
const EVAL_ERROR_LOG_EVERY = 1000

export interface SyscallRecordDeps {
  rules: { current(): Ruleset | undefined }
  emit: (alert: Alert) => void
  metrics: Pick<AppMetrics, 'eventsReceived' | 'eventsEvaluated' | 'eventsDropped' | 'batchEvaluated'>
  enricher: Pick<Enricher, 'enrich' | 'stateErrors'>
  readiness: Pick<SyscallReadiness, 'recordsArrived'>
  log: Pick<Logger, 'error'>
}

/** The probe's onRecords: readiness, counts, the pump, and the state errors the batch caused. */
export function createSyscallRecordHandler (deps: SyscallRecordDeps): (batch: SyscallRecord[]) => void {
  const { metrics, enricher, log } = deps
  const pump = new EventPump<SyscallRecord, undefined>({
    source: SOURCE,
    rules: deps.rules,
    evaluate: function enrichAndEvaluate (rs, rec, emit) { return rs.evaluate(SOURCE, enricher.enrich(rec), emit) },
    newState: function noState () { return undefined },
    emit: deps.emit,
    metrics,
    // the engine does not throw per event; this guards the enrichment state machine
    errorReason: 'enrich_error',
    onError: function logEvalError (err, rec, total) {
      if ((total - 1) % EVAL_ERROR_LOG_EVERY === 0) log.error({ err: (err as Error).message, type: rec.type, errors: total }, 'event could not be evaluated')
    }
  })
  let stateErrorsSeen = enricher.stateErrors
  return function onRecords (records) {
    deps.readiness.recordsArrived(records.length)
    const started = process.hrtime.bigint()
    metrics.eventsReceived(SOURCE, records.length)
    if (pump.run(records, started) === undefined) { metrics.eventsDropped(SOURCE, 'no_rules', records.length); return }
    // a record whose state transition failed was still evaluated, but the process/fd tables may
    // now be wrong for that process: never silent
    const stateErrors = enricher.stateErrors
    if (stateErrors !== stateErrorsSeen) {
      log.error({ code: 'ERR_SYSCALL_PROBE_FAILED', errors: stateErrors - stateErrorsSeen, total: stateErrors }, 'records could not update the process/fd tables')
      stateErrorsSeen = stateErrors
    }
  }
}

export interface ProbeStatsDeps {
  metrics: Pick<AppMetrics, 'eventsDropped' | 'syscallDrops'>
  drops: { report(time: bigint, delta: number, perCpu: readonly number[]): void }
  /** told the helper's own counts: its self-check is a sign of a working probe on a quiet node */
  readiness?: Pick<SyscallReadiness, 'helperStats'>
}

/** The probe's onStats: records the decoder could not use and ring-buffer drops become metrics; drops also feed the drop alert. */
export function createProbeStatsHandler (deps: ProbeStatsDeps): (s: ProbeStats) => void {
  const { metrics, drops } = deps
  let decodeErrorsSeen = 0
  return function probeStats (s) {
    deps.readiness?.helperStats(s)
    // records the decoder could not use are lost too (each chunk's also logged via onError)
    if (s.decodeErrors > decodeErrorsSeen) metrics.eventsDropped(SOURCE, 'decode_error', s.decodeErrors - decodeErrorsSeen)
    decodeErrorsSeen = s.decodeErrors
    if (s.dropsDelta > 0) {
      metrics.syscallDrops(s.dropsDelta)
      metrics.eventsDropped(SOURCE, 'ring_buffer_full', s.dropsDelta)
    }
    drops.report(s.time, s.dropsDelta, s.dropsPerCpu)
  }
}
