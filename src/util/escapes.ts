// Quoted-string escapes of the Falco condition language: scanning a quoted token and decoding its
// body. Pure; the caller turns a failure into a positioned RuleError.

export type QuoteScan =
  | { ok: true, value: string, end: number }
  | { ok: false, code: 'RULE_LEX_UNTERMINATED_STRING' | 'RULE_LEX_BAD_ESCAPE', at: number, message: string }

const SIMPLE: Readonly<Record<string, string>> = {
  b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '\\': '\\', '/': '/'
}

const HEX2 = /^[0-9a-fA-F]{2}$/

/**
 * Scan the quoted string whose opening delimiter is at `start`. The closing delimiter is the first
 * one not consumed by an escape — upstream instead stops at the first delimiter not preceded by a
 * backslash (so `"a\\"` never closes there); we take the escape-aware reading deliberately.
 * `end` is the offset just past the closing delimiter.
 */
export function scanQuoted (text: string, start: number): QuoteScan {
  const delim = text[start]
  let out = ''
  let i = start + 1
  while (i < text.length) {
    const c = text[i] as string
    if (c === delim) return { ok: true, value: out, end: i + 1 }
    if (c !== '\\') { out += c; i++; continue }
    const e = text[i + 1]
    if (e === undefined) break
    const simple = SIMPLE[e]
    if (simple !== undefined) {
      out += simple
      i += 2
    } else if (e === '"' || e === "'") {
      if (e !== delim) {
        return { ok: false, code: 'RULE_LEX_BAD_ESCAPE', at: i, message: `invalid \\${e} escape in ${delim}-quoted string` }
      }
      out += e
      i += 2
    } else if (e === ' ') {
      // legacy rules write `\ ` meaning a literal backslash followed by the blank: keep both
      out += '\\ '
      i += 2
    } else if (e === 'x') {
      const hex = text.slice(i + 2, i + 4)
      if (!HEX2.test(hex)) {
        return { ok: false, code: 'RULE_LEX_BAD_ESCAPE', at: i, message: 'invalid \\x escape: two hex digits required' }
      }
      out += String.fromCharCode(parseInt(hex, 16))
      i += 4
    } else {
      return { ok: false, code: 'RULE_LEX_BAD_ESCAPE', at: i, message: `unsupported string escape sequence \\${e}` }
    }
  }
  return { ok: false, code: 'RULE_LEX_UNTERMINATED_STRING', at: start, message: `quoted string starting with ${delim} is not closed` }
}

/** Quote a value so that scanQuoted reads it back unchanged (used when printing ASTs). */
export function quoteString (value: string): string {
  let out = '"'
  for (const c of value) {
    if (c === '"' || c === '\\') out += '\\' + c
    else if (c === '\n') out += '\\n'
    else if (c === '\r') out += '\\r'
    else if (c === '\t') out += '\\t'
    else if (c === '\b') out += '\\b'
    else if (c === '\f') out += '\\f'
    else if (c < ' ' || c === '\x7f') out += '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')
    else out += c
  }
  return out + '"'
}
