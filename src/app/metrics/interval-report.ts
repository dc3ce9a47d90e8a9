// The rate limit shared by serve's "something went wrong with the input" reporters (truncated audit
// events, unusable batches): the first occurrence is reported at once, so an operator sees it when
// it starts; later ones within the interval are summed and reported when it ends, by a timer, so a
// lone burst is not held back until the next occurrence and a sender retrying in a loop yields one
// report per interval, not one per retry.
import type { Alert } from '../../events/index.ts'
import type { AppLogger } from '../log/logger.ts'

export interface IntervalReportDeps {
  intervalMs: number
  now?: () => number
  /** the timer that reports a window nobody else closes; returns its canceller */
  schedule?: (fn: () => void, ms: number) => () => void
}

export interface IntervalReport {
  /** the caller has just added an occurrence to its window: report it now or when the interval ends */
  recorded(): void
  /** report what is pending and stop the timer (shutdown) */
  close(): void
}

/** A reporter built on it: each item counted at once, reported when the interval allows. */
export interface IntervalReporter<T> {
  record(item: T): void
  /** report what is pending and stop the timer (shutdown) */
  close(): void
}

/** What such a reporter reports to: one log line and, when it matters, one internal alert per report. */
export interface InternalReportDeps extends IntervalReportDeps {
  logger: Pick<AppLogger, 'warn'>
  /** hands the internal alert to the outputs (App.emit) */
  emit: (a: Alert) => void
  hostname?: string
}

/** reports the caller's window: at `t` (ms), covering `seconds`; the caller then empties its window */
export type FlushWindow = (t: number, seconds: number) => void

function unrefTimer (fn: () => void, ms: number): () => void {
  const h = setTimeout(fn, ms)
  h.unref()
  return function cancelTimer () { clearTimeout(h) }
}

export function createIntervalReport (deps: IntervalReportDeps, flush: FlushWindow): IntervalReport {
  const now = deps.now ?? Date.now
  const schedule = deps.schedule ?? unrefTimer
  let open = false
  let windowStart = 0
  let lastReport: number | undefined
  let cancel: (() => void) | undefined

  function report (): void {
    cancel = undefined
    if (!open) return
    const t = now()
    flush(t, (t - windowStart) / 1000)
    open = false
    lastReport = t
  }

  return {
    recorded () {
      if (!open) {
        open = true
        windowStart = now()
      }
      if (cancel !== undefined) return
      const wait = lastReport === undefined ? 0 : lastReport + deps.intervalMs - now()
      if (wait <= 0) report()
      else cancel = schedule(report, wait)
    },
    close () {
      cancel?.()
      report()
    }
  }
}
