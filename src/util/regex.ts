// RE2/POSIX-egrep patterns (Falco's `regex`) translated to an anchored JS RegExp. JS syntax is a
// superset for what rules use; we translate POSIX classes and `(?P<name>`, and reject what RE2
// rejects (backreferences, lookaround) so that a rule accepted here is accepted by Falco too.
import { setFlagsFromString } from 'node:v8'
import { POSIX_CLASSES } from './glob.ts'

// RE2 matches in linear time; V8's backtracking engine does not (`(a+)+b` on 30 characters
// takes seconds, on the per-event path). This V8 flag re-runs a match that backtracks
// excessively on V8's linear-time engine, which accepts what RE2 accepts (no backreferences or
// lookaround, both refused below). Process-wide, same results; set once when regexes are first
// compiled, before any pattern runs.
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks')

export type RegexResult = { ok: true, re: RegExp } | { ok: false, message: string }

export function compileRe2 (pattern: string): RegexResult {
  // RE2's leading `(?i)`: Node 20 has no inline modifiers, so it becomes the `i` flag
  let flags = ''
  if (pattern.startsWith('(?i)')) { flags = 'i'; pattern = pattern.slice(4) }
  let src = ''
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '\\') {
      const n = pattern[i + 1]
      if (n === undefined) return { ok: false, message: 'trailing backslash' }
      if (!inClass && /[1-9]/.test(n)) return { ok: false, message: `backreference \\${n} is not supported` }
      src += c + n
      i++
      continue
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const close = pattern.indexOf(':]', i + 2)
        const cls = close < 0 ? undefined : POSIX_CLASSES[pattern.slice(i + 2, close)]
        if (cls === undefined) return { ok: false, message: 'invalid character class' }
        src += cls
        i = close + 1
        continue
      }
      if (c === ']') inClass = false
      src += c
      continue
    }
    if (c === '[') {
      inClass = true
      src += c
      if (pattern[i + 1] === '^') { src += '^'; i++ }
      if (pattern[i + 1] === ']') { src += '\\]'; i++ }
      continue
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2)
      if (rest.startsWith('P<')) { src += '(?<'; i += 3; continue }
      if (/^(=|!|<=|<!)/.test(rest)) return { ok: false, message: 'lookaround is not supported' }
    }
    src += c
  }
  if (inClass) return { ok: false, message: 'missing ]' }
  try {
    return { ok: true, re: new RegExp(`^(?:${src})$`, flags) }
  } catch (err) {
    return { ok: false, message: (err as Error).message }
  }
}

/** Whether a pattern uses any regex metacharacter (else `=`/contains would do). */
export function hasRegexMeta (pattern: string): boolean {
  return /[.^$*+?()[\]{}|\\]/.test(pattern)
}
