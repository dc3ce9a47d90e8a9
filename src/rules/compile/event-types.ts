// The set of `evt.type` values a condition can match, for indexing syscall rules by event type.
// Conservative: null means "any type" whenever the condition does not pin the type down.
import type { Expr } from '../lang/ast.ts'

export function eventTypesOf (expr: Expr): Set<string> | null {
  switch (expr.kind) {
    case 'check': return checkTypes(expr)
    case 'and': {
      let acc: Set<string> | null = null
      for (const c of expr.children) {
        const s = eventTypesOf(c)
        if (s === null) continue
        if (acc === null) { acc = new Set(s); continue }
        for (const x of acc) if (!s.has(x)) acc.delete(x)
      }
      return acc
    }
    case 'or': {
      const acc = new Set<string>()
      for (const c of expr.children) {
        const s = eventTypesOf(c)
        if (s === null) return null
        for (const x of s) acc.add(x)
      }
      return acc
    }
    case 'not':
    case 'macro':
      return null
  }
}

function checkTypes (c: Extract<Expr, { kind: 'check' }>): Set<string> | null {
  if (c.left.kind !== 'field' || c.left.name !== 'evt.type' || c.left.arg !== undefined || c.modifier !== undefined) return null
  const r = c.right
  if (r === undefined) return null
  if ((c.op === '=' || c.op === '==') && r.kind === 'literal') return new Set([r.value])
  if ((c.op === 'in' || c.op === 'intersects') && r.kind === 'list') return new Set(r.items.map((i) => i.value))
  return null
}
