// The event pump: the one loop every source runs its events through. A batch takes the ruleset
// that is current when it begins (a reload mid-batch changes the next batch, never half of this
// one), evaluates each event with the source's step, hands alerts to `emit`, counts, and records
// an event whose evaluation threw instead of losing the batch. Used by the webhook's batch handler
// (audit-handler.ts), the evaluation workers (eval-worker.ts), syscall mode (syscall-records.ts)
// and replay (replay-audit.ts).
//
//   source batch ──▶ begin() ──▶ feed(ev) × n ──▶ end()
//                    ruleset     step(ruleset, ev, emit, state)    eventsEvaluated, batchEvaluated
//                    taken once  throws → eventsDropped(errorReason) + onError
//
// The per-event path (feed) allocates nothing and creates no closure: the step, emit and the
// batch's state are fixed before the first event.
import type { Alert } from '../events/index.ts'
import type { Ruleset } from '../rules/index.ts'
import type { AppMetrics } from './metrics/metrics.ts'

/** Evaluates one event with `ruleset`, handing alerts to `emit`; returns how many it raised. */
export type EvaluateStep<E, S> = (ruleset: Ruleset, ev: E, emit: (alert: Alert) => void, state: S) => number

export type PumpMetrics = Pick<AppMetrics, 'eventsEvaluated' | 'eventsDropped' | 'batchEvaluated'>

export interface EventPumpOptions<E, S> {
  /** the rules source name metrics are labelled with (k8s_audit, syscall) */
  source: string
  /** where each batch takes its ruleset (the rules manager, or a fixed ruleset) */
  rules: { current(): Ruleset | undefined }
  evaluate: EvaluateStep<E, S>
  /** per-batch state handed to every step of the batch (audit: its truncation tally) */
  newState: () => S
  emit: (alert: Alert) => void
  /** absent where another thread counts (evaluation workers) */
  metrics?: PumpMetrics
  /** lanner_events_dropped_total reason for an event whose step threw (default eval_error) */
  errorReason?: string
  /** told of each event whose step threw, with the running total; the caller decides what to log */
  onError?: (err: unknown, ev: E, total: number) => void
}

/** One batch in progress: its ruleset, its state and its counts. */
export interface PumpBatch<S> {
  readonly ruleset: Ruleset
  readonly state: S
  /** process.hrtime.bigint() when the batch started (its decoding included, if the caller says so) */
  readonly started: bigint
  /** events evaluated to the end */
  evaluated: number
  alerts: number
  /** events whose step threw (counted as dropped) */
  errors: number
}

export const EVAL_ERROR_REASON = 'eval_error'

/** The batch counters every source shares: events evaluated, one batch and its duration. */
export function recordBatchMetrics (metrics: PumpMetrics, source: string, evaluated: number, started: bigint): void {
  metrics.eventsEvaluated(source, evaluated)
  metrics.batchEvaluated(source, Number(process.hrtime.bigint() - started) / 1e9)
}

export class EventPump<E, S = undefined> {
  readonly source: string
  readonly #rules: EventPumpOptions<E, S>['rules']
  readonly #evaluate: EvaluateStep<E, S>
  readonly #newState: () => S
  readonly #emit: (alert: Alert) => void
  readonly #metrics: PumpMetrics | undefined
  readonly #errorReason: string
  readonly #onError: EventPumpOptions<E, S>['onError']
  #errors = 0

  constructor (opts: EventPumpOptions<E, S>) {
    this.source = opts.source
    this.#rules = opts.rules
    this.#evaluate = opts.evaluate
    this.#newState = opts.newState
    this.#emit = opts.emit
    this.#metrics = opts.metrics
    this.#errorReason = opts.errorReason ?? EVAL_ERROR_REASON
    this.#onError = opts.onError
  }

  /** events whose step threw since the pump was built */
  get errors (): number { return this.#errors }

  /**
   * Starts a batch with the ruleset current now; undefined when no ruleset is installed (the
   * caller decides: the webhook answers 503 so the apiserver retries, syscall mode counts a drop).
   */
  begin (started: bigint = process.hrtime.bigint()): PumpBatch<S> | undefined {
    const ruleset = this.#rules.current()
    if (ruleset === undefined) return undefined
    return { ruleset, state: this.#newState(), started, evaluated: 0, alerts: 0, errors: 0 }
  }

  /** Evaluates one event of the batch; returns its alert count. Never throws. */
  feed (batch: PumpBatch<S>, ev: E): number {
    let n: number
    try {
      n = this.#evaluate(batch.ruleset, ev, this.#emit, batch.state)
    } catch (err) {
      this.#failed(batch, ev, err)
      return 0
    }
    batch.evaluated++
    batch.alerts += n
    return n
  }

  /** Counts the finished batch (events evaluated, duration). */
  end (batch: PumpBatch<S>): void {
    if (this.#metrics !== undefined) recordBatchMetrics(this.#metrics, this.source, batch.evaluated, batch.started)
  }

  /** begin, feed every event, end: a batch that needs no turns of the event loop in between. */
  run (events: readonly E[], started?: bigint): PumpBatch<S> | undefined {
    const batch = this.begin(started)
    if (batch === undefined) return undefined
    for (let i = 0; i < events.length; i++) this.feed(batch, events[i] as E)
    this.end(batch)
    return batch
  }

  // kept out of feed so that the common path stays small enough to inline
  #failed (batch: PumpBatch<S>, ev: E, err: unknown): void {
    batch.errors++
    this.#errors++
    this.#metrics?.eventsDropped(this.source, this.#errorReason, 1)
    this.#onError?.(err, ev, this.#errors)
  }
}
