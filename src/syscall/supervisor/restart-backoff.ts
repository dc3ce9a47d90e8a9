// When the next helper restart happens: each restart waits twice as long as the one before, up
// to a ceiling, and a helper that ran long enough to count as healthy starts the sequence over.

/** A helper that ran this long before dying was healthy: its crash starts the backoff over. */
export const HEALTHY_MS = 30_000

export interface RestartBackoffOptions {
  minMs: number
  maxMs: number
  healthyMs?: number
}

export class RestartBackoff {
  readonly #minMs: number
  readonly #maxMs: number
  readonly #healthyMs: number
  #nextMs: number

  constructor (opts: RestartBackoffOptions) {
    this.#minMs = opts.minMs
    this.#maxMs = opts.maxMs
    this.#healthyMs = opts.healthyMs ?? HEALTHY_MS
    this.#nextMs = opts.minMs
  }

  /** the wait the next restart will take */
  get nextMs (): number {
    return this.#nextMs
  }

  /** a helper died after running ranMs: a healthy run resets the wait to the minimum */
  noteRun (ranMs: number): void {
    if (ranMs > this.#healthyMs) this.#nextMs = this.#minMs
  }

  /** the wait for the restart being scheduled now; the next one waits twice as long (capped) */
  take (): number {
    const wait = this.#nextMs
    this.#nextMs = Math.min(this.#maxMs, this.#nextMs * 2)
    return wait
  }
}
