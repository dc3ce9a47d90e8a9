// fnmatch(3)-style globs (flags 0) compiled once to an anchored RegExp: `*` matches any run of
// characters including `/`, `?` one character, `[...]`/`[!...]` classes, `\` escapes the next one.

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/g

function escapeRe (s: string): string {
  return s.replace(REGEX_SPECIAL, '\\$&')
}

/** Translate a glob to a RegExp source (no anchors). */
export function globToRegexSource (glob: string): string {
  let out = ''
  let i = 0
  while (i < glob.length) {
    const c = glob[i] as string
    if (c === '*') {
      while (glob[i + 1] === '*') i++
      out += '[\\s\\S]*'
    } else if (c === '?') {
      out += '[\\s\\S]'
    } else if (c === '\\' && i + 1 < glob.length) {
      i++
      out += escapeRe(glob[i] as string)
    } else if (c === '[') {
      const cls = readClass(glob, i)
      if (cls === undefined) {
        out += '\\['
      } else {
        out += cls.source
        i = cls.end - 1
      }
    } else {
      out += escapeRe(c)
    }
    i++
  }
  return out
}

/** A bracket expression starting at `start` ('['), or undefined when it is not closed (literal '['). */
function readClass (glob: string, start: number): { source: string, end: number } | undefined {
  let i = start + 1
  let negate = false
  if (glob[i] === '!' || glob[i] === '^') { negate = true; i++ }
  let body = ''
  let first = true
  while (i < glob.length) {
    const c = glob[i] as string
    if (c === ']' && !first) return { source: `[${negate ? '^' : ''}${body}]`, end: i + 1 }
    if (c === '\\' && i + 1 < glob.length) {
      i++
      body += '\\' + (glob[i] as string)
    } else if (c === '[' && glob[i + 1] === ':') {
      const close = glob.indexOf(':]', i + 2)
      const cls = close < 0 ? undefined : POSIX_CLASSES[glob.slice(i + 2, close)]
      if (cls === undefined) { body += '\\['; } else { body += cls; i = close + 1 }
    } else if (c === '-' && !first && glob[i + 1] !== ']') {
      body += '-'
    } else {
      body += c === ']' || c === '^' || c === '-' ? '\\' + c : c
    }
    first = false
    i++
  }
  return undefined
}

/** POSIX character classes as JS class bodies (ASCII, as in the C locale). */
export const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\v\\f\\r ',
  blank: '\\t ',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '0-9A-Za-z_',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~'
}

/** Compile a glob to a whole-string matcher; `caseInsensitive` for iglob. */
export function compileGlob (glob: string, caseInsensitive = false): RegExp {
  return new RegExp(`^(?:${globToRegexSource(glob)})$`, caseInsensitive ? 'i' : '')
}

/** Whether the text has glob metacharacters (so a plain string compare would do). */
export function hasGlobMeta (s: string): boolean {
  return /[*?[\\]/.test(s)
}
