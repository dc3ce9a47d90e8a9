// Typed access to YAML nodes of one rules item, failing with Falco's messages at the offending
// node's position. All helpers throw ItemError (caught per file by the reader).
import { isScalar, isSeq, type Node, type Scalar, type YAMLMap } from 'yaml'
import { fail, type ItemCtx, type Issues } from './context.ts'
import type { Str } from './items.ts'

export class ItemReader {
  constructor (readonly issues: Issues, readonly ctx: ItemCtx, readonly map: YAMLMap) {}

  offsetOf (node: Node | null | undefined): number {
    return node?.range?.[0] ?? this.ctx.offset
  }

  fail (message: string, node?: Node | null, code: 'LOAD_ERR_YAML_VALIDATE' | 'LOAD_ERR_VALIDATE' = 'LOAD_ERR_YAML_VALIDATE'): Error {
    return fail(this.issues, code, message, this.ctx, this.offsetOf(node))
  }

  has (key: string): boolean { return this.map.has(key) }

  keys (): Array<{ key: string, node: Node }> {
    const out: Array<{ key: string, node: Node }> = []
    for (const p of this.map.items) {
      const k = p.key as Node | null
      out.push({ key: isScalar(k) ? String(k.value) : String(k), node: k ?? this.map })
    }
    return out
  }

  keyNode (key: string): Node | undefined {
    for (const p of this.map.items) {
      const k = p.key as Node | null
      if (isScalar(k) && String(k.value) === key) return k
    }
    return undefined
  }

  /** The value node of a key that must be present and non-null. */
  node (key: string): Node {
    if (!this.map.has(key)) throw this.fail(`Item has no mapping for key '${key}'`, this.map)
    const n = this.map.get(key, true) as Node | null | undefined
    if (n == null || (isScalar(n) && n.value === null)) throw this.fail(`Mapping for key '${key}' is empty`, this.keyNode(key) ?? n)
    return n
  }

  optNode (key: string): Node | undefined {
    if (!this.map.has(key)) return undefined
    return this.node(key)
  }

  /** A required non-empty string. */
  str (key: string): Str {
    const node = this.node(key)
    const value = scalarText(this, node)
    if (value.trim() === '') throw this.fail('Value must be non-empty', node)
    return { value, node }
  }

  optStr (key: string): Str | undefined {
    return this.map.has(key) ? this.str(key) : undefined
  }

  optBool (key: string): boolean | undefined {
    if (!this.map.has(key)) return undefined
    return toBool(this, this.node(key))
  }

  /** A sequence of scalars (may be empty). */
  strSeq (key: string): Str[] {
    const node = this.map.get(key, true) as Node | null | undefined
    if (node == null || (isScalar(node) && node.value === null)) return []
    return seqOfScalars(this, node)
  }
}

export function seqOfScalars (r: ItemReader, node: Node): Str[] {
  if (!isSeq(node)) throw r.fail('Value is not a sequence', node)
  return node.items.map((it) => {
    const n = it as Node
    if (!isScalar(n)) throw r.fail('sequence value is not scalar', n)
    return { value: scalarText(r, n), node: n }
  })
}

/** A scalar's text: strings as is, other plain scalars (numbers, bools) as written in the file. */
export function scalarText (r: ItemReader, node: Node): string {
  if (!isScalar(node)) throw r.fail('Value is not a scalar value', node)
  const s = node as Scalar
  if (typeof s.value === 'string') return s.value
  if (s.value === null) return ''
  if (s.range != null) return r.ctx.file.text.slice(s.range[0], s.range[1])
  return String(s.value)
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', 'y'])
const FALSE_WORDS = new Set(['false', 'no', 'off', 'n'])

/** YAML booleans plus yaml-cpp's yes/no/on/off, which Falco rules files use. */
export function toBool (r: ItemReader, node: Node): boolean {
  if (isScalar(node)) {
    if (typeof node.value === 'boolean') return node.value
    if (typeof node.value === 'string') {
      const w = node.value.toLowerCase()
      if (TRUE_WORDS.has(w)) return true
      if (FALSE_WORDS.has(w)) return false
    }
  }
  throw r.fail("Can't decode YAML scalar value", node)
}

