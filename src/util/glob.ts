// fnmatch(3)-style globs (flags 0) compiled once to a whole-string matcher: `*` matches any run
// of characters including `/`, `?` one character, `[...]`/`[!...]` classes, `\` escapes the next one.

/**
 * A bracket expression starting at `start` ('[') as a JS class source, or undefined when it is
 * not closed (a literal '[').
 */
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

/** What compileGlob returns; a RegExp has the same shape. */
export interface GlobMatcher { test(s: string): boolean }

// tokens: a UTF-16 code (literal), or one of these
const ANY = -1
const STAR = -2
interface ClassTok { ascii: Uint8Array, re: RegExp }

/**
 * Compile a glob to a whole-string matcher; `caseInsensitive` for iglob (JS RegExp `i` case
 * folding, as the earlier RegExp translation had). Matching is the greedy wildcard walk that
 * backtracks only to the last `*`: O(text × glob) at worst. A backtracking RegExp took seconds
 * per event on globs such as `*a*b*c*` against a few KB of text.
 */
export function compileGlob (glob: string, caseInsensitive = false): GlobMatcher {
  const toks: Array<number | ClassTok> = []
  let i = 0
  while (i < glob.length) {
    const c = glob[i] as string
    if (c === '*') {
      if (toks[toks.length - 1] !== STAR) toks.push(STAR)
    } else if (c === '?') {
      toks.push(ANY)
    } else if (c === '\\' && i + 1 < glob.length) {
      i++
      toks.push(glob.charCodeAt(i))
    } else if (c === '[' && readClass(glob, i) !== undefined) {
      const cls = readClass(glob, i) as { source: string, end: number }
      const re = new RegExp(`^${cls.source}$`, caseInsensitive ? 'i' : '')
      const ascii = new Uint8Array(128)
      for (let k = 0; k < 128; k++) ascii[k] = re.test(String.fromCharCode(k)) ? 1 : 0
      toks.push({ ascii, re })
      i = cls.end - 1
    } else {
      toks.push(glob.charCodeAt(i))
    }
    i++
  }
  if (!caseInsensitive && toks.every((t) => t === STAR || (typeof t === 'number' && t >= 0))) {
    return literalSegments(toks as number[])
  }
  const fold = caseInsensitive ? canonical : undefined
  const lits = toks.map((t) => typeof t === 'number' && t >= 0 && fold !== undefined ? fold(t) : t)
  return { test: (s) => globMatch(lits, s, fold) }
}

/**
 * Only literals and stars (most rules' globs): a prefix, a suffix and the segments between them,
 * each found left to right with native string search (the leftmost placement is never worse).
 */
function literalSegments (toks: readonly number[]): GlobMatcher {
  const segs: string[] = ['']
  for (const t of toks) {
    if (t === STAR) segs.push('')
    else segs[segs.length - 1] += String.fromCharCode(t)
  }
  const head = segs[0] as string
  if (segs.length === 1) return { test: (s) => s === head }
  const tail = segs[segs.length - 1] as string
  const mid = segs.slice(1, -1).filter((x) => x !== '')
  const min = head.length + tail.length
  return {
    test (s) {
      if (s.length < min || !s.startsWith(head) || !s.endsWith(tail)) return false
      const end = s.length - tail.length
      let at = head.length
      for (let i = 0; i < mid.length; i++) {
        const seg = mid[i] as string
        const found = s.indexOf(seg, at)
        if (found < 0 || found + seg.length > end) return false
        at = found + seg.length
      }
      return true
    }
  }
}

function one (t: number | ClassTok, c: number, fold: ((c: number) => number) | undefined): boolean {
  if (typeof t !== 'number') return c < 128 ? t.ascii[c] === 1 : t.re.test(String.fromCharCode(c))
  if (t === ANY) return true
  return t === c || (fold !== undefined && t === fold(c))
}

function globMatch (toks: ReadonlyArray<number | ClassTok>, s: string, fold: ((c: number) => number) | undefined): boolean {
  const m = toks.length
  const n = s.length
  let p = 0
  let i = 0
  let starP = -1
  let starI = 0
  while (i < n) {
    const t = p < m ? toks[p] as number | ClassTok : undefined
    if (t === STAR) {
      starP = p++
      starI = i
    } else if (t !== undefined && one(t, s.charCodeAt(i), fold)) {
      p++
      i++
    } else if (starP >= 0) {
      // let the last * take one more character and retry what follows it
      p = starP + 1
      i = ++starI
    } else {
      return false
    }
  }
  while (p < m && toks[p] === STAR) p++
  return p === m
}

/** RegExp `i` (non-unicode) case canonicalisation of one UTF-16 code: upper case, never into ASCII. */
function canonical (c: number): number {
  if (c < 128) return c >= 97 && c <= 122 ? c - 32 : c
  const u = String.fromCharCode(c).toUpperCase()
  if (u.length !== 1) return c
  const uc = u.charCodeAt(0)
  return uc < 128 ? c : uc
}

/** Whether the text has glob metacharacters (so a plain string compare would do). */
export function hasGlobMeta (s: string): boolean {
  return /[*?[\\]/.test(s)
}
