// Which values of a pinning field (`evt.type`, `evt.dir`) a condition can match: used to index
// syscall rules by event type and to ask the probe only for the events and directions rules need.
// Conservative: null means "any value" whenever the condition does not pin the field down.
import type { CheckExpr, Expr } from '../lang/ast.ts'

/**
 * The values of `field` the condition can match. `domain` lists every value the field can take
 * (needed to turn `!=` into a set); without it `!=` pins nothing.
 */
export function pinnedValuesOf (expr: Expr, field: string, domain?: readonly string[]): Set<string> | null {
  switch (expr.kind) {
    case 'check': return checkValues(expr, field, domain)
    case 'and': {
      let acc: Set<string> | null = null
      for (const c of expr.children) {
        const s = pinnedValuesOf(c, field, domain)
        if (s === null) continue
        if (acc === null) { acc = new Set(s); continue }
        for (const x of acc) if (!s.has(x)) acc.delete(x)
      }
      return acc
    }
    case 'or': {
      const acc = new Set<string>()
      for (const c of expr.children) {
        const s = pinnedValuesOf(c, field, domain)
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

function checkValues (c: CheckExpr, field: string, domain: readonly string[] | undefined): Set<string> | null {
  if (c.left.kind !== 'field' || c.left.name !== field || c.left.arg !== undefined || c.modifier !== undefined) return null
  const r = c.right
  if (r === undefined) return null
  let vals: string[] | undefined
  if ((c.op === '=' || c.op === '==' || c.op === '!=') && r.kind === 'literal') vals = [r.value]
  else if ((c.op === 'in' || c.op === 'intersects') && r.kind === 'list') vals = r.items.map((i) => i.value)
  if (vals === undefined) return null
  if (c.op !== '!=') return new Set(domain === undefined ? vals : vals.filter((v) => domain.includes(v)))
  if (domain === undefined) return null
  return new Set(domain.filter((d) => !vals.includes(d)))
}

/** The `evt.type` values a condition can match (null: any). */
export function eventTypesOf (expr: Expr): Set<string> | null {
  return pinnedValuesOf(expr, 'evt.type')
}

const DIRS: readonly string[] = ['>', '<']

/** The `evt.dir` values ('>' enter, '<' exit) a condition can match (null: not pinned). */
export function eventDirsOf (expr: Expr): Set<string> | null {
  return pinnedValuesOf(expr, 'evt.dir', DIRS)
}
