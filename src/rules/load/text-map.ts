// Maps offsets inside a YAML scalar's value back to file offsets. YAML folds lines, strips
// indentation and processes escapes, so value and source differ; a greedy alignment (one pass,
// O(length)) is exact for the scalar styles rules files use.
import type { Scalar } from 'yaml'

/** For each index 0..value.length of `value`, the file offset it came from. */
export function scalarOffsetMap (text: string, node: Scalar, value: string): Int32Array {
  const map = new Int32Array(value.length + 1)
  const range = node.range
  if (range == null) return map
  const end = range[1]
  let s = contentStart(text, node, range[0])
  let i = 0
  while (i < value.length) {
    const c = value[i]
    if (s >= end) { map[i++] = end; continue }
    if (text[s] === c) { map[i++] = s++; continue }
    if ((c === ' ' || c === '\n') && (text[s] === '\n' || text[s] === '\r')) {
      // a folded line break: the value's blank stands for the break and the next indentation
      map[i++] = s
      s = skipBlanks(text, s, end)
      continue
    }
    // escape sequences and indentation: advance the source only
    s++
  }
  map[value.length] = Math.min(s, end)
  return map
}

function contentStart (text: string, node: Scalar, start: number): number {
  const t = node.type
  if (t === 'QUOTE_DOUBLE' || t === 'QUOTE_SINGLE') return start + 1
  if (t === 'BLOCK_FOLDED' || t === 'BLOCK_LITERAL') {
    const nl = text.indexOf('\n', start)
    return nl < 0 ? start : skipBlanks(text, nl, text.length)
  }
  return start
}

function skipBlanks (text: string, s: number, end: number): number {
  while (s < end && (text[s] === '\n' || text[s] === '\r' || text[s] === ' ' || text[s] === '\t')) s++
  return s
}
