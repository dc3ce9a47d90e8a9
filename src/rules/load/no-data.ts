// Rules that use fields the source never fills (FieldInfo.noData). Such a field is absent on
// every event, so every check on it — `exists` and `!=` included — is false. To say whether the
// rule can still match, its condition is evaluated with those checks pinned to false and every
// other check unknown: false whatever the unknowns are means the rule can never match.
import type { FieldTable } from '../../fields/index.ts'
import type { Expr, Operand } from '../lang/ast.ts'

/** One no-data field a condition uses, at its first occurrence. */
export interface NoDataUse { field: string, reason: string, offset: number | undefined }

const FALSE = 0
const TRUE = 1
const UNKNOWN = 2
type Tri = typeof FALSE | typeof TRUE | typeof UNKNOWN

function noDataOf (table: FieldTable<any>, name: string): string | undefined {
  return table.info(name)?.noData
}

function operandFields (o: Operand, out: Array<{ name: string, offset: number }>): void {
  if (o.kind === 'field') {
    out.push({ name: o.name, offset: o.pos.offset })
    return
  }
  for (const a of o.args) operandFields(a, out)
}

function checkFields (e: Expr & { kind: 'check' }): Array<{ name: string, offset: number }> {
  const out: Array<{ name: string, offset: number }> = []
  operandFields(e.left, out)
  if (e.right?.kind === 'operand') operandFields(e.right.operand, out)
  return out
}

/** The no-data fields of a (macro-resolved) condition, each once, in order of appearance. */
export function noDataUses (expr: Expr, table: FieldTable<any>): NoDataUse[] {
  const seen = new Map<string, NoDataUse>()
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case 'and': case 'or': for (const c of e.children) walk(c); return
      case 'not': walk(e.child); return
      case 'macro': return
      case 'check':
        for (const f of checkFields(e)) {
          const reason = noDataOf(table, f.name)
          if (reason !== undefined && !seen.has(f.name)) seen.set(f.name, { field: f.name, reason, offset: f.offset })
        }
    }
  }
  walk(expr)
  return [...seen.values()]
}

/** True when the condition is false on every event because of its no-data checks. */
export function canNeverMatch (expr: Expr, table: FieldTable<any>): boolean {
  return evaluate(expr, table) === FALSE
}

function evaluate (e: Expr, table: FieldTable<any>): Tri {
  switch (e.kind) {
    case 'check':
      return checkFields(e).some((f) => noDataOf(table, f.name) !== undefined) ? FALSE : UNKNOWN
    case 'not': {
      const v = evaluate(e.child, table)
      return v === UNKNOWN ? UNKNOWN : v === TRUE ? FALSE : TRUE
    }
    case 'and': {
      let all = true
      for (const c of e.children) {
        const v = evaluate(c, table)
        if (v === FALSE) return FALSE
        if (v !== TRUE) all = false
      }
      return all ? TRUE : UNKNOWN
    }
    case 'or': {
      let none = true
      for (const c of e.children) {
        const v = evaluate(c, table)
        if (v === TRUE) return TRUE
        if (v !== FALSE) none = false
      }
      return none ? FALSE : UNKNOWN
    }
    case 'macro':
      return UNKNOWN
  }
}
