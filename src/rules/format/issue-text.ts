// Load problems as people read them: `file:line:col: CODE: message (rule 'X')` plus the caret
// snippet, indented. Shared by `lanner rules validate` and the serve/replay start-up paths.
import { formatLocated } from '../../errors/index.ts'
import type { LoadIssue } from '../api.ts'

/** One issue as text, ending with a newline; warnings are prefixed `warning: `. */
export function formatLoadIssue (i: LoadIssue): string {
  const head = formatLocated({ code: i.detailCode ?? i.code, message: i.message, location: i.location })
  const snippet = i.snippet === undefined ? '' : i.snippet.split('\n').map((l) => `    ${l}\n`).join('')
  return `${i.severity === 'warning' ? 'warning: ' : ''}${head}\n${snippet}`
}
