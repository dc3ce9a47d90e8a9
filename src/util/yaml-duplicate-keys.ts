// Duplicate mapping keys as errors that name the key and where it was first given. yaml-cpp (Falco)
// silently keeps one of the two values; a doubled `condition:` is usually a botched merge.
import { isScalar, type LineCounter, type ParsedNode, type YAMLError } from 'yaml'

export interface DuplicateKeyTracker {
  /** pass as the parser's `uniqueKeys` option: yaml's own equality, remembering each duplicate */
  uniqueKeys: (a: ParsedNode, b: ParsedNode) => boolean
  /** a clearer message for a DUPLICATE_KEY error (other errors: their own first line) */
  describe(err: YAMLError, text: string, lines: LineCounter): string
}

export function trackDuplicateKeys (): DuplicateKeyTracker {
  // offset of the repeated key → offset of its first occurrence in the same mapping
  const firstAt = new Map<number, number>()

  function sameKey (a: ParsedNode, b: ParsedNode): boolean {
    const same = a === b || (isScalar(a) && isScalar(b) && a.value === b.value)
    if (same && !firstAt.has(b.range[0])) firstAt.set(b.range[0], a.range[0])
    return same
  }

  function describe (err: YAMLError, text: string, lines: LineCounter): string {
    const first = err.message.split('\n')[0] ?? 'invalid YAML'
    if (err.code !== 'DUPLICATE_KEY') return first
    const at = err.pos[0]
    const key = keyTextAt(text, at)
    const prev = firstAt.get(at)
    const where = prev === undefined ? '' : ` (first at line ${lines.linePos(prev).line}, column ${lines.linePos(prev).col})`
    return `duplicate key '${key}'${where}: a key may appear once per mapping`
  }

  return { uniqueKeys: sameKey, describe }
}

/** The key as written at `offset`: up to its `:` (plain or quoted keys; enough for a message). */
function keyTextAt (text: string, offset: number): string {
  const end = text.indexOf('\n', offset)
  const line = text.slice(offset, end < 0 ? text.length : end)
  const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:,{}[\]]*?)\s*:/.exec(line)
  return (m?.[1] ?? line).trim()
}
