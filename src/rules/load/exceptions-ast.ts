// Rule exceptions → condition AST (Falco's "(cond) and not X1 and not X2"), built directly as
// nodes so values are exact strings (no re-quoting); values naming lists expand like any list item.
import type { Node } from 'yaml'
import type { SourcePos } from '../../errors/index.ts'
import { parseOperandPrefix, type CheckExpr, type Expr, type ListLiteral, type Literal, type Operand, type Operator, type RightHand } from '../lang/index.ts'
import { unquoteItem } from './ast-passes.ts'
import type { Files, FileCtx } from './context.ts'
import { isListComp, parseComp } from './exception-check.ts'
import type { ExceptionInfo, ExceptionValue, Str } from './items.ts'

export function withExceptions (cond: Expr, exceptions: readonly ExceptionInfo[], files: Files): Expr {
  const clauses: Expr[] = []
  for (const ex of exceptions) {
    const x = exceptionExpr(ex, files)
    if (x !== undefined) clauses.push({ kind: 'not', child: x, pos: x.pos })
  }
  if (clauses.length === 0) return cond
  return { kind: 'and', children: [cond, ...clauses], pos: cond.pos }
}

function exceptionExpr (ex: ExceptionInfo, files: Files): Expr | undefined {
  const values = ex.values ?? []
  if (values.length === 0 || ex.fields === undefined) return undefined
  const file = ex.ctx.file
  const at = (node: Node | undefined): SourcePos => files.globalPos(file, node?.range?.[0] ?? ex.ctx.offset)
  if (!Array.isArray(ex.fields)) {
    const comp = ex.comps !== undefined && !Array.isArray(ex.comps) ? ex.comps.value : 'in'
    const items = values.map((v) => literal(v as Str, at))
    const right: ListLiteral = { kind: 'list', items, pos: at(ex.valuesNode) }
    return check(ex.fields, comp, right, file, files)
  }
  const fields = ex.fields
  const comps = Array.isArray(ex.comps) ? ex.comps.map((c) => c.value) : fields.map(() => '=')
  const tuples: Expr[] = values.map((tuple) => {
    const members = tuple as ExceptionValue[]
    const checks = fields.map((f, i) => check(f, comps[i] ?? '=', rightHand(members[i] as ExceptionValue, comps[i] ?? '=', at), file, files))
    return checks.length === 1 ? checks[0] as Expr : { kind: 'and', children: checks, pos: (checks[0] as Expr).pos }
  })
  return tuples.length === 1 ? tuples[0] : { kind: 'or', children: tuples, pos: (tuples[0] as Expr).pos }
}

function rightHand (v: ExceptionValue, comp: string, at: (n: Node | undefined) => SourcePos): RightHand {
  if ('list' in v) return { kind: 'list', items: v.list.map((s) => literal(s, at)), pos: at(v.node) }
  const lit = literal(v, at)
  // upstream wraps a scalar in parentheses for list comparisons, so it may name a list
  if (isListComp(comp)) return { kind: 'list', items: [lit], pos: lit.pos }
  return lit
}

/** Upstream pastes values into condition text, so a value written with quotes loses one level. */
function literal (s: Str, at: (n: Node | undefined) => SourcePos): Literal {
  const value = unquoteItem(s.value)
  return { kind: 'literal', value, quoted: value !== s.value, pos: at(s.node) }
}

function check (field: Str, comp: string, right: RightHand, file: FileCtx, files: Files): CheckExpr {
  const pos = files.globalPos(file, field.node.range?.[0] ?? 0)
  const parsed = parseOperandPrefix(field.value.trim(), 0)
  const left: Operand = parsed === undefined ? { kind: 'field', name: field.value.trim(), pos } : placeAt(parsed.operand, pos)
  const c = parseComp(comp) ?? { op: comp }
  const out: CheckExpr = { kind: 'check', left, op: c.op as Operator, right, pos }
  if (c.modifier !== undefined) out.modifier = c.modifier
  return out
}

function placeAt (o: Operand, pos: SourcePos): Operand {
  if (o.kind === 'field') return { ...o, pos }
  return { ...o, pos, args: o.args.map((a) => placeAt(a, pos)) }
}
