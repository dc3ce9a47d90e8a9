// The webhook's batch handler: decode the body once, evaluate every event with the ruleset that
// is current when the batch starts, hand alerts to the outputs. Resolves when that is done; the
// webhook answers 200 only then. Never throws for a bad event.
// Runs on the main thread: decode + default rules cost ~4 ms per 400-event batch (about 100k
// events/s per core, bench/outputs.bench.ts), while kube-apiserver sends at most 10 batches/s, so a
// worker pool would add message copies and reload fan-out for no gain at real load.
import { setImmediate as nextTurn } from 'node:timers/promises'
import { decodeAuditPayloadInTurns, type AuditEvent, type DecodeResult, type TruncationTally } from '../../audit/index.ts'
import { AppError } from '../../errors/index.ts'
import type { Alert } from '../../events/index.ts'
import type { BodyIssue, HandleBodyResult } from '../../webhook/index.ts'
import type { EvalPool } from './eval-pool.ts'
import { EventPump, recordBatchMetrics } from '../event-pump.ts'
import type { AppMetrics } from '../metrics/metrics.ts'
import { evaluateAuditEvent, newTally, type TruncationReporter } from './audit-truncation.ts'
import type { RulesManager } from '../rules/rules-manager.ts'

const SOURCE = 'k8s_audit'

export interface AuditHandlerDeps {
  rules: Pick<RulesManager, 'current'>
  /** counts the alert and hands it to the outputs (App.emit) */
  emit: (alert: Alert) => void
  metrics: AppMetrics
  maxEventBytes: number
  /** counts and reports truncated events (audit-truncation.ts); optional for tests that do not look */
  truncation?: TruncationReporter
}

/** Events evaluated between two turns of the event loop: a huge batch must not starve /healthz or other batches. */
export const EVAL_CHUNK = 512

/**
 * The webhook's view of a decoded batch: counts, per-code counts, and a few example issues with
 * their event index only (the decoder keeps a few per code, so this is bounded whatever the body).
 */
export function batchOutcome (accepted: number, decoded: Pick<DecodeResult, 'issues' | 'issueCounts' | 'rejected'>): HandleBodyResult {
  const out: BodyIssue[] = []
  for (const i of decoded.issues) {
    if (i.index === undefined) out.push({ code: i.code, message: i.message })
    else out.push({ code: i.code, message: i.message, index: i.index })
  }
  return { accepted, rejected: decoded.rejected, issues: out, issueCounts: { ...decoded.issueCounts } }
}

/** One metric update per code and batch, not per bad item. */
function recordIssues (metrics: AppMetrics, r: HandleBodyResult): void {
  const counts = r.issueCounts
  if (counts !== undefined) {
    // body-level problems (bad JSON, foreign document) drop no event; the rest drop one each
    const bodyLevel = new Set(r.issues.filter((i) => i.index === undefined).map((i) => i.code))
    for (const code of Object.keys(counts)) {
      const n = counts[code] ?? 0
      metrics.eventsDropped(SOURCE, code, bodyLevel.has(code) ? n - 1 : n)
    }
  } else {
    for (const issue of r.issues) metrics.eventsDropped(SOURCE, issue.code, issue.index === undefined ? 0 : 1)
  }
}

/** The audit source's pump: evaluateAuditEvent with a truncation tally per batch. */
export function createAuditPump (deps: { rules: { current: RulesManager['current'] }, emit: (alert: Alert) => void, metrics?: AppMetrics }): EventPump<AuditEvent, TruncationTally> {
  return new EventPump({
    source: SOURCE,
    rules: deps.rules,
    evaluate: evaluateAuditEvent,
    newState: newTally,
    emit: deps.emit,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics })
  })
}

export function createAuditBatchHandler (deps: AuditHandlerDeps): (body: Buffer) => Promise<HandleBodyResult> {
  const { metrics } = deps
  const decodeOpts = { maxEventBytes: deps.maxEventBytes }
  const pump = createAuditPump(deps)
  return async function handleAuditBatch (body) {
    const started = process.hrtime.bigint()
    const decoded = await decodeAuditPayloadInTurns(body, decodeOpts, nextTurn)
    const { events } = decoded
    // the batch keeps this ruleset across the turns below
    const batch = pump.begin(started)
    // the webhook starts after the first load, so this is a guard: 503 makes the apiserver retry
    if (batch === undefined) throw new AppError('ERR_WEBHOOK_SHUTTING_DOWN', 'rules are not loaded yet')
    for (let i = 0; i < events.length; i++) {
      if (i > 0 && i % EVAL_CHUNK === 0) await nextTurn()
      pump.feed(batch, events[i] as AuditEvent)
    }
    deps.truncation?.record(batch.state)
    const result = batchOutcome(events.length, decoded)
    recordIssues(metrics, result)
    pump.end(batch)
    return result
  }
}

/** The same contract over an evaluation worker pool: alerts come back and are emitted here. */
export function createPooledAuditBatchHandler (deps: Omit<AuditHandlerDeps, 'rules' | 'maxEventBytes'> & { pool: EvalPool }): (body: Buffer) => Promise<HandleBodyResult> {
  const { metrics, pool } = deps
  return async function handlePooledAuditBatch (body) {
    const started = process.hrtime.bigint()
    const r = await pool.evaluate(body)
    for (const a of r.alerts) deps.emit(a)
    if (r.truncation !== undefined) deps.truncation?.record(r.truncation)
    const result: HandleBodyResult = { accepted: r.accepted, rejected: r.rejected, issues: r.issues, issueCounts: r.issueCounts }
    recordIssues(metrics, result)
    // the workers pumped the events (eval-worker.ts); their counts are this thread's to record
    recordBatchMetrics(metrics, SOURCE, r.accepted, started)
    return result
  }
}
