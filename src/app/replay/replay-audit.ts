// Offline evaluation of audit files through one loaded ruleset: the engine behind `lanner replay`
// and the conformance tests. The audit source reads the files (audit/read-source.ts); the events
// go through the same pump as the webhook's (event-pump.ts). Knows nothing about config; the
// caller passes everything in.
import { readAuditSource, type AuditIssue, type TruncationTally } from '../../audit/index.ts'
import type { Alert } from '../../events/index.ts'
import type { Ruleset } from '../../rules/index.ts'
import { createAuditPump } from '../audit-mode/audit-handler.ts'
import type { PumpBatch } from '../event-pump.ts'

export interface ReplayOptions {
  /** files, directories, or '-' for stdin; read in order */
  paths: readonly string[]
  ruleset: Ruleset
  emit: (alert: Alert) => void
  maxEventBytes: number
  stdin?: NodeJS.ReadableStream
  /** called for every malformed line / dropped event as it is found */
  onIssue?: (issue: AuditIssue) => void
  /**
   * Called after each event; a returned promise pauses reading and evaluation until it settles
   * (back-pressure from slow outputs: a batch job slows down rather than loses alerts).
   */
  pace?: () => Promise<unknown> | undefined
}

export interface FileSummary {
  file: string
  events: number
  alerts: number
  issues: AuditIssue[]
}

export interface ReplaySummary {
  events: number
  alerts: number
  /** alert count per rule name */
  rules: Record<string, number>
  /** every problem found: malformed lines (with line numbers), dropped events, unreadable files */
  issues: AuditIssue[]
  files: FileSummary[]
  /** events the apiserver truncated (audit.k8s.io/truncated), and those a rule needed the removed objects of */
  truncated: { events: number, neededByRules: number }
}

/** The whole replay is one pump batch: one ruleset, one truncation tally. */
export async function replayAudit (opts: ReplayOptions): Promise<ReplaySummary> {
  const summary: ReplaySummary = { events: 0, alerts: 0, rules: {}, issues: [], files: [], truncated: { events: 0, neededByRules: 0 } }
  const rules = summary.rules
  function replayEmit (alert: Alert): void {
    rules[alert.rule] = (rules[alert.rule] ?? 0) + 1
    opts.emit(alert)
  }
  const { ruleset } = opts
  const pump = createAuditPump({ rules: { current: function replayRuleset () { return ruleset } }, emit: replayEmit })
  // current() always answers the one ruleset, so begin() cannot come back empty
  const batch = pump.begin() as PumpBatch<TruncationTally>
  const readOpts = { maxEventBytes: opts.maxEventBytes, ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }) }
  for (const path of opts.paths) {
    let current: FileSummary | undefined
    for await (const read of readAuditSource(path, readOpts)) {
      if (current?.file !== read.file) {
        current = { file: read.file, events: 0, alerts: 0, issues: [] }
        summary.files.push(current)
      }
      for (const issue of read.issues) {
        current.issues.push(issue)
        summary.issues.push(issue)
        opts.onIssue?.(issue)
      }
      for (const ev of read.events) {
        current.alerts += pump.feed(batch, ev)
        current.events++
        const wait = opts.pace?.()
        if (wait !== undefined) await wait
      }
    }
  }
  pump.end(batch)
  for (const f of summary.files) {
    summary.events += f.events
    summary.alerts += f.alerts
  }
  summary.truncated = { events: batch.state.truncated, neededByRules: batch.state.blinded }
  return summary
}
