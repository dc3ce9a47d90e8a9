// How long the list-watch loop waits before trying again: after failures, initialMs doubling up
// to maxMs; after a watch that ended quietly, a short pause that does not escalate. Every wait has
// ±20 % jitter, which keeps a fleet of DaemonSet pods from hammering a recovering apiserver in step.

export class RetryDelay {
  readonly initialMs: number
  readonly maxMs: number
  readonly #random: () => number
  #failures = 0

  constructor (initialMs: number, maxMs: number, random: () => number = Math.random) {
    this.initialMs = initialMs
    this.maxMs = maxMs
    this.#random = random
  }

  /** the wait after one more failure in a row */
  afterFailure (): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.#failures, 20))
    this.#failures++
    return this.#jitter(base)
  }

  /** a watch delivered events: the next failure waits initialMs again */
  reset (): void {
    this.#failures = 0
  }

  /** the pause after a watch that ended without events (a quiet collection): never escalates */
  pause (): number {
    return this.#jitter(this.initialMs)
  }

  #jitter (ms: number): number {
    return Math.round(ms * (0.8 + this.#random() * 0.4))
  }
}
