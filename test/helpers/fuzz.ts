// Seeded mutation for the fuzz tests and the fuzz benches (bench/fuzz-*.bench.ts): the same seed
// gives the same inputs on every run, so a failure found once can be replayed.

export interface SeededRandom {
  /** uniform in [0, 1) */
  next: () => number
  /** an integer in [0, n) */
  int: (n: number) => number
  pick: <T>(a: readonly T[]) => T
}

/** A small LCG: deterministic from its seed, not for anything but reproducible test inputs. */
export function seededRandom (seed: number): SeededRandom {
  let s = seed
  const next = (): number => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 }
  const int = (n: number): number => Math.floor(next() * n)
  return { next, int, pick: (a) => a[int(a.length)] as never }
}

export interface LineMutations {
  /** fragments inserted into a line (YAML syntax, condition and output tokens) */
  snippets: readonly string[]
  /** what replaces a `key: value` line's value */
  values: readonly string[]
  /** also re-indent lines (YAML structure); without it, the draws are those of the unit test's seeds */
  reindent?: boolean
}

/**
 * `edits` random line edits of `text`: insert a snippet or a random byte, delete characters,
 * delete, duplicate or swap lines, empty a flow collection, replace a value by another shape,
 * and (with `reindent`) change a line's indentation.
 */
export function mutateLines (r: SeededRandom, text: string, edits: number, m: LineMutations): string {
  const lines = text.split('\n')
  const kinds = m.reindent === true ? 9 : 8
  for (let i = 0; i < edits; i++) {
    const li = r.int(lines.length)
    const line = lines[li] ?? ''
    const at = r.int(line.length + 1)
    switch (r.int(kinds)) {
      case 0: lines[li] = line.slice(0, at) + r.pick(m.snippets) + line.slice(at); break
      case 1: lines[li] = line.slice(0, at) + line.slice(at + 1 + r.int(6)); break
      case 2: lines.splice(li, 1); break
      case 3: lines.splice(li, 0, lines[r.int(lines.length)] ?? ''); break
      case 4: lines[li] = line.slice(0, at) + String.fromCharCode(r.int(256)) + line.slice(at); break
      case 5: { const j = r.int(lines.length); [lines[li], lines[j]] = [lines[j] ?? '', line]; break }
      case 6: { // empty a flow sequence or mapping
        const open = line.indexOf(r.next() < 0.5 ? '[' : '{', at)
        const close = open < 0 ? -1 : line.indexOf(line[open] === '[' ? ']' : '}', open)
        if (close > open) lines[li] = line.slice(0, open + 1) + line.slice(close)
        break
      }
      case 7: { // replace a value by another shape
        const colon = line.indexOf(': ')
        if (colon >= 0) lines[li] = line.slice(0, colon + 2) + r.pick(m.values)
        break
      }
      default: lines[li] = ' '.repeat(r.int(5)) + line.trimStart()
    }
  }
  return lines.join('\n')
}
