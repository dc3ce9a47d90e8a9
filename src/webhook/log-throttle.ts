// Keeps repeated warnings (bad batches, overload) from flooding logs at the apiserver's 10 batches/s:
// at most one line per key per interval, reporting how many were held back in between.

export interface LogThrottle {
  /** undefined: stay quiet; a number: log now, that many were suppressed since the last line */
  take(key: string): number | undefined
}

export function createLogThrottle (intervalMs: number, now: () => number = Date.now): LogThrottle {
  const last = new Map<string, { at: number, suppressed: number }>()
  return {
    take (key) {
      const t = now()
      const entry = last.get(key)
      if (entry !== undefined && t - entry.at < intervalMs) {
        entry.suppressed++
        return undefined
      }
      const suppressed = entry?.suppressed ?? 0
      last.set(key, { at: t, suppressed: 0 })
      return suppressed
    }
  }
}
