// Syscall mode's readiness: the source is ready once the probe shows it works, and while it keeps
// showing it. Two signs count: records arriving (the whole path works), and the helper's
// self-check rising in its STATS frames (its own getppid call before each frame, counted by the
// sys_enter and sys_exit programs: they run). The second keeps a quiet node ready: one where
// nothing the rules ask for happens (no exec, no open, no connect) for a while is watched, not
// broken, and must not flap /readyz. A helper being restarted is not ready until its successor
// shows a sign. No sign for lanner.syscall_stale_after_s (programs detached, the helper stuck, no
// STATS) is a broken source, and /readyz says so, with what the helper said it sent.
import type { Logger } from '../../events/index.ts'

export interface ReadinessOptions {
  /** time without a sign after which the source is not ready (0: never stale) */
  staleAfterMs: number
  log: Pick<Logger, 'info' | 'warn'>
  /** ms clock (default performance.now) */
  now?: () => number
}

/** What readiness reads of one STATS frame. */
export interface HelperStatsSign {
  /** records the helper has written since it started */
  records: number
  /** its self-check calls seen by the sys_enter / sys_exit programs */
  selfEnter: number
  selfExit: number
}

export class SyscallReadiness {
  readonly #staleAfterMs: number
  readonly #log: Pick<Logger, 'info' | 'warn'>
  readonly #now: () => number
  #working = false
  #lastSignAt = 0
  /** a stale spell was reported (one warn line per spell) */
  #staleLogged = false
  /** since when a sign is awaited (start, or the last helper restart) */
  #waitingSince: number
  #waitLogged = false
  /** the current helper's latest STATS frame (undefined: none yet) */
  #helper: HelperStatsSign | undefined

  constructor (opts: ReadinessOptions) {
    this.#staleAfterMs = opts.staleAfterMs
    this.#log = opts.log
    this.#now = opts.now ?? performance.now.bind(performance)
    this.#waitingSince = this.#now()
  }

  /** The helper's STATS frame: a sign when both self-check counts rose since its previous frame. */
  helperStats (s: HelperStatsSign): void {
    const prev = this.#helper
    this.#helper = { records: s.records, selfEnter: s.selfEnter, selfExit: s.selfExit }
    if (s.selfEnter > (prev?.selfEnter ?? 0) && s.selfExit > (prev?.selfExit ?? 0)) {
      this.#sign('syscall probe programs running (self-check seen)', { selfChecks: Math.min(s.selfEnter, s.selfExit) })
    }
  }

  /** A batch of `n` records arrived from the decoder. */
  recordsArrived (n: number): void {
    if (n === 0) return
    this.#sign('syscall source producing events', { records: n })
  }

  #sign (what: string, fields: Record<string, number>): void {
    this.#lastSignAt = this.#now()
    if (!this.#working) {
      this.#working = true
      this.#log.info(fields, `${what}: ready`)
    }
    if (this.#staleLogged) {
      this.#staleLogged = false
      this.#log.info(fields, `${what} again: ready`)
    }
  }

  /** The helper is being restarted: not ready until the new one shows a sign. */
  restarting (): void {
    this.#working = false
    this.#waitingSince = this.#now()
    this.#waitLogged = false
    this.#helper = undefined
  }

  /** What /readyz asks: working, and a sign within the allowed time (reported once per spell). */
  ready (): boolean {
    if (!this.#working) {
      this.#reportLongWait()
      return false
    }
    if (this.#staleAfterMs === 0) return true
    const quietMs = this.#now() - this.#lastSignAt
    if (quietMs < this.#staleAfterMs) return true
    if (!this.#staleLogged) {
      this.#staleLogged = true
      this.#log.warn({ code: 'ERR_SYSCALL_PROBE_FAILED', quietSeconds: Math.round(quietMs / 1000), staleAfterSeconds: this.#staleAfterMs / 1000, ...this.#helperSaid() },
        'syscall source attached but silent (no record, no rising self-check): not ready until the probe shows it runs (lanner.syscall_stale_after_s)')
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
      ...this.#helperSaid()
    }, 'syscall source started but no record has arrived and the probe\'s self-check was not seen: not ready (lanner.syscall_stale_after_s)')
  }

  /** the helper's own counts (null: no STATS frame from it yet), so the log tells a silent kernel side from a lost record path */
  #helperSaid (): { helperRecordsSent: number | null, helperSelfChecks: { enter: number, exit: number } | null } {
    const h = this.#helper
    return { helperRecordsSent: h?.records ?? null, helperSelfChecks: h === undefined ? null : { enter: h.selfEnter, exit: h.selfExit } }
  }
}
