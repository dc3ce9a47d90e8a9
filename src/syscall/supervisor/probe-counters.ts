// The loader's running totals behind ProbeStats: restarts and undecodable records since the
// loader started, and each helper's drop count, so that a stats frame says how many records were
// lost since the previous one of the same helper.
import type { StatsFrame } from '../decode.ts'
import type { ProbeStats } from '../record.ts'

export class ProbeCounters {
  restarts = 0
  decodeErrors = 0
  /** pid of the helper that said HELLO last */
  helperPid = 0
  #lastDrops = 0

  /** a helper said HELLO: its drop counters start at zero */
  helperStarted (pid: number): void {
    this.helperPid = pid
    this.#lastDrops = 0
  }

  /** adds undecodable records; returns the total */
  addDecodeErrors (n: number): number {
    this.decodeErrors += n
    return this.decodeErrors
  }

  /** one STATS frame as ProbeStats (timed now) */
  statsOf (frame: StatsFrame, nowMs: number = Date.now()): ProbeStats {
    const drops = frame.dropsPerCpu.reduce(function sum (a, b) { return a + b }, 0)
    const stats: ProbeStats = {
      time: BigInt(nowMs) * 1_000_000n,
      helperPid: this.helperPid,
      records: frame.records,
      bytes: frame.bytes,
      selfEnter: frame.selfEnter,
      selfExit: frame.selfExit,
      dropsPerCpu: frame.dropsPerCpu,
      drops,
      dropsDelta: Math.max(0, drops - this.#lastDrops),
      decodeErrors: this.decodeErrors,
      restarts: this.restarts
    }
    this.#lastDrops = drops
    return stats
  }
}
