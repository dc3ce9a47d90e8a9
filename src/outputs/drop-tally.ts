// Dropped alerts as one fact per output and interval: "output http dropped 65,812 alerts: 65,800
// of rule 'Forged notice' (Notice), 12 of …". The first drop is logged at once; later ones are
// summed per rule and logged when the interval is over (and at close), so a flood is one line,
// not silence and not a line per alert.
import type { QueuedAlert } from './channel-queue.ts'
import type { Logger } from '../events/index.ts'

const PRIORITY_NAMES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug']
/** Rules named in one summary line; the rest are counted together. */
const MAX_RULES_NAMED = 10

/** One output's drops over one interval. */
export interface DropSummary {
  output: string
  dropped: number
  /** the most dropped rules and their counts */
  rules: Record<string, number>
  /** whether the summary counts only internal alerts (which must not raise another) */
  onlyInternal: boolean
}

export interface DropTallyOptions {
  logger: Logger
  /** called with each summary after it is logged (the app raises an internal alert) */
  onSummary?(summary: DropSummary): void
  intervalMs: number
  queueSize: number
  now?: () => number
}

export interface DropTally {
  add(output: string, alerts: readonly QueuedAlert[]): void
  /** log what is pending and stop the timers */
  close(): void
}

interface PerOutput {
  last: number
  total: number
  rules: Map<string, { n: number, priority: number, internal: boolean }>
  timer: NodeJS.Timeout | undefined
}

export function createDropTally (opts: DropTallyOptions): DropTally {
  const now = opts.now ?? Date.now
  const outputs = new Map<string, PerOutput>()

  function report (output: string, s: PerOutput): void {
    if (s.timer !== undefined) clearTimeout(s.timer)
    s.timer = undefined
    if (s.total === 0) return
    const ranked = [...s.rules.entries()].sort((a, b) => b[1].n - a[1].n)
    const named = ranked.slice(0, MAX_RULES_NAMED)
    const others = ranked.slice(MAX_RULES_NAMED).reduce((n, [, r]) => n + r.n, 0)
    const parts = named.map(([rule, r]) => `${r.n} of rule '${rule}' (${PRIORITY_NAMES[r.priority] ?? 'Debug'})`)
    if (others > 0) parts.push(`${others} of ${ranked.length - named.length} other rules`)
    const rules: Record<string, number> = {}
    for (const [rule, r] of named) rules[rule] = r.n
    opts.logger.warn({ output, dropped: s.total, rules, queueSize: opts.queueSize, code: 'ERR_OUTPUT_QUEUE_FULL' },
      `output ${output} queue full or closed: ${s.total} alerts dropped: ${parts.join(', ')}`)
    const onlyInternal = ranked.every(([, r]) => r.internal)
    const total = s.total
    s.total = 0
    s.rules.clear()
    s.last = now()
    opts.onSummary?.({ output, dropped: total, rules, onlyInternal })
  }

  return {
    add (output, alerts) {
      let s = outputs.get(output)
      if (s === undefined) {
        s = { last: -Infinity, total: 0, rules: new Map(), timer: undefined }
        outputs.set(output, s)
      }
      for (const a of alerts) {
        const r = s.rules.get(a.rule)
        if (r === undefined) s.rules.set(a.rule, { n: 1, priority: a.priority, internal: a.internal === true })
        else r.n++
      }
      s.total += alerts.length
      const wait = s.last + opts.intervalMs - now()
      if (wait <= 0) { report(output, s); return }
      if (s.timer === undefined) {
        const st = s
        st.timer = setTimeout(function reportDrops () { report(output, st) }, wait)
        // a pending summary never keeps a stopping process alive; close() logs it
        st.timer.unref()
      }
    },
    close () {
      for (const [output, s] of outputs) report(output, s)
    }
  }
}
