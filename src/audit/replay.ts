// Offline evaluation of audit files through a loaded ruleset: the engine behind `lanner replay`
// and the conformance tests. Knows nothing about config; the CLI passes everything in.
import type { Alert } from '../events/index.ts'
import type { Ruleset } from '../rules/api.ts'
import type { AuditIssue } from './decode.ts'
import { readAuditSource } from './read-source.ts'
import { evaluateAuditEvent, newTally } from './truncated-events.ts'

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

export async function replayAudit (opts: ReplayOptions): Promise<ReplaySummary> {
  const summary: ReplaySummary = { events: 0, alerts: 0, rules: {}, issues: [], files: [], truncated: { events: 0, neededByRules: 0 } }
  const tally = newTally()
  const rules = summary.rules
  function replayEmit (alert: Alert): void {
    rules[alert.rule] = (rules[alert.rule] ?? 0) + 1
    opts.emit(alert)
  }
  const readOpts = { maxEventBytes: opts.maxEventBytes, ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }) }
  for (const path of opts.paths) {
    let current: FileSummary | undefined
    for await (const batch of readAuditSource(path, readOpts)) {
      if (current?.file !== batch.file) {
        current = { file: batch.file, events: 0, alerts: 0, issues: [] }
        summary.files.push(current)
      }
      for (const issue of batch.issues) {
        current.issues.push(issue)
        summary.issues.push(issue)
        opts.onIssue?.(issue)
      }
      for (const ev of batch.events) {
        const n = evaluateAuditEvent(opts.ruleset, ev, replayEmit, tally)
        current.alerts += n
        current.events++
        const wait = opts.pace?.()
        if (wait !== undefined) await wait
      }
    }
  }
  for (const f of summary.files) {
    summary.events += f.events
    summary.alerts += f.alerts
  }
  summary.truncated = { events: tally.truncated, neededByRules: tally.blinded }
  return summary
}
