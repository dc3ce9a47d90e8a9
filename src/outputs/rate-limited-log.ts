// Logging that cannot flood: one line per key per interval, carrying how many were suppressed.
// Used where a failing sink would otherwise log once per alert.
import type { Logger } from '../events/index.ts'

export interface RateLimitedLog {
  warn(key: string, obj: Record<string, unknown>, msg: string): void
  error(key: string, obj: Record<string, unknown>, msg: string): void
}

export function createRateLimitedLog (logger: Logger, intervalMs = 10000, now: () => number = Date.now): RateLimitedLog {
  const state = new Map<string, { last: number, suppressed: number }>()
  function log (level: 'warn' | 'error', key: string, obj: Record<string, unknown>, msg: string): void {
    const t = now()
    const s = state.get(key)
    if (s !== undefined && t - s.last < intervalMs) { s.suppressed++; return }
    const suppressed = s?.suppressed ?? 0
    state.set(key, { last: t, suppressed: 0 })
    logger[level](suppressed > 0 ? { ...obj, suppressed } : obj, msg)
  }
  return {
    warn: (key, obj, msg) => { log('warn', key, obj, msg) },
    error: (key, obj, msg) => { log('error', key, obj, msg) }
  }
}
