// Rules load issues as log lines: `file:line:col: CODE: message`, and which warnings an operator
// must see.
import { formatLocated } from '../../errors/index.ts'
import type { Logger } from '../../events/index.ts'
import type { LoadIssue } from '../../rules/index.ts'

/** `file:line:col: CODE: message` lines, for logs and the CLI. */
export function describeIssues (issues: readonly LoadIssue[]): string[] {
  return issues.map((i) => formatLocated({ code: i.code, message: i.message, location: i.location }))
}

/**
 * Rules warnings in the log: most are Falco's housekeeping (debug), but a rule built on a field
 * Lanner never fills (LOAD_FIELD_NO_DATA) is a detection gap the operator must see (warn).
 */
export function logRulesWarnings (log: Pick<Logger, 'warn' | 'debug'>, warnings: readonly LoadIssue[]): void {
  const lines = describeIssues(warnings)
  warnings.forEach((w, i) => {
    if (w.code === 'LOAD_FIELD_NO_DATA') log.warn({ warning: lines[i], code: w.code, rule: w.location?.itemName }, 'rule uses a field Lanner never fills')
    else log.debug({ warning: lines[i] }, 'rules warning')
  })
}
