// Syscall mode's readiness: the source is ready once records flow (the probe attached AND the
// decoder delivered some; a helper that attached but sends nothing, or one being restarted, is not
// a working source) and while they keep flowing. The probe always records open/close/connect/
// clone/execve and kubelet's HTTP probes of this pod connect anew each time, so a live node never
// goes quiet for long: an attached helper silent for lanner.syscall_stale_after_s (programs
// detached, ring buffer not drained) is a broken source, and /readyz says so. A helper that
// attached and never delivered anything for as long is reported the same way, with what the helper
// says it sent (its STATS frames), so the log tells a silent kernel side from a lost record path.
import type { Logger } from '../events/index.ts'

export interface ReadinessOptions {
  /** silence after which the source is not ready (0: never stale) */
  staleAfterMs: number
  log: Pick<Logger, 'info' | 'warn'>
  /** ms clock (default performance.now) */
  now?: () => number
}

export class SyscallReadiness {
  readonly #staleAfterMs: number
  readonly #log: Pick<Logger, 'info' | 'warn'>
  readonly #now: () => number
  #producing = false
  #lastRecordAt = 0
  /** a stale spell was reported (one warn line per spell) */
  #staleLogged = false
  /** since when records are awaited (start, or the last helper restart) */
  #waitingSince: number
  #waitLogged = false
  /** the helper's own count of records written, from its latest STATS frame */
  #helperRecords: number | undefined

  constructor (opts: ReadinessOptions) {
    this.#staleAfterMs = opts.staleAfterMs
    this.#log = opts.log
    this.#now = opts.now ?? performance.now.bind(performance)
    this.#waitingSince = this.#now()
  }

  /** The helper's STATS frame: how many records it has written since it started. */
  helperStats (recordsSent: number): void {
    this.#helperRecords = recordsSent
  }

  /** A batch of `n` records arrived from the decoder. */
  recordsArrived (n: number): void {
    if (n === 0) return
    this.#lastRecordAt = this.#now()
    if (!this.#producing) {
      this.#producing = true
      this.#log.info({ records: n }, 'syscall source producing events: ready')
    }
    if (this.#staleLogged) {
      this.#staleLogged = false
      this.#log.info({ records: n }, 'syscall source producing events again: ready')
    }
  }

  /** The helper is being restarted: not ready until the new one delivers records. */
  restarting (): void {
    this.#producing = false
    this.#waitingSince = this.#now()
    this.#waitLogged = false
    this.#helperRecords = undefined
  }

  /** What /readyz asks: producing, and not silent for longer than allowed (reported once per spell). */
  ready (): boolean {
    if (!this.#producing) {
      this.#reportLongWait()
      return false
    }
    if (this.#staleAfterMs === 0) return true
    const quietMs = this.#now() - this.#lastRecordAt
    if (quietMs < this.#staleAfterMs) return true
    if (!this.#staleLogged) {
      this.#staleLogged = true
      this.#log.warn({ code: 'ERR_SYSCALL_PROBE_FAILED', quietSeconds: Math.round(quietMs / 1000), staleAfterSeconds: this.#staleAfterMs / 1000 },
        'syscall source attached but silent: not ready until records arrive (lanner.syscall_stale_after_s)')
    }
    return false
  }

  #reportLongWait (): void {
    if (this.#staleAfterMs === 0 || this.#waitLogged) return
    const waitedMs = this.#now() - this.#waitingSince
    if (waitedMs < this.#staleAfterMs) return
    this.#waitLogged = true
    this.#log.warn({
      code: 'ERR_SYSCALL_PROBE_FAILED',
      waitedSeconds: Math.round(waitedMs / 1000),
      staleAfterSeconds: this.#staleAfterMs / 1000,
      helperRecordsSent: this.#helperRecords ?? null
    }, 'syscall source started but no record has arrived: not ready (lanner.syscall_stale_after_s)')
  }
}
