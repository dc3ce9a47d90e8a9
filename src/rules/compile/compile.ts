// Conditions compiled to closures: and/or as tight loops over child predicates, `not` as
// negation, checks via check.ts. Everything is resolved here, once; the result never throws.
import type { FieldTable } from '../../fields/index.ts'
import type { Expr } from '../lang/ast.ts'
import { compileCheck, type Pred } from './check.ts'
import { compileError, makeCtx, type CompileOptions, type Ctx } from './context.ts'

/**
 * Compile a macro-free condition AST against a source's fields. Throws positioned RuleErrors.
 * The returned predicate never throws: the fast version runs unguarded extractors, and if one
 * throws, the event is re-evaluated by a guarded twin (built on first need) in which a throwing
 * extractor reads as absent — exact semantics without a try/catch per field on the hot path.
 */
export function compileCondition<E> (expr: Expr, fields: FieldTable<E>, opts?: CompileOptions): (ev: E) => boolean {
  const fast = compileExpr(expr, makeCtx(fields, opts, false))
  let safe: Pred<E> | undefined
  return function evaluateCondition (ev) {
    try {
      return fast(ev)
    } catch {
      safe ??= guardedTwin(expr, fields)
      try {
        return safe(ev)
      } catch {
        return false // a test broke on a value outside the field contract: no match, no crash
      }
    }
  }
}

function guardedTwin<E> (expr: Expr, fields: FieldTable<E>): Pred<E> {
  try {
    return compileExpr(expr, makeCtx(fields, {}, true))
  } catch {
    // the same AST compiled once already; a table that now refuses it matches nothing
    return () => false
  }
}

function compileExpr<E> (e: Expr, ctx: Ctx<E>): Pred<E> {
  switch (e.kind) {
    case 'and': return allOf(e.children.map((c) => compileExpr(c, ctx)))
    case 'or': return anyOf(e.children.map((c) => compileExpr(c, ctx)))
    case 'not': {
      const f = compileExpr(e.child, ctx)
      return (ev) => !f(ev)
    }
    case 'macro':
      throw compileError('RULE_COMPILE_UNDEFINED_MACRO', `Undefined macro '${e.name}' used in filter.`, e.pos)
    case 'check':
      return compileCheck(e, ctx)
  }
}

function allOf<E> (fs: Pred<E>[]): Pred<E> {
  const n = fs.length
  if (n === 1) return fs[0] as Pred<E>
  if (n === 2) {
    const [a, b] = fs as [Pred<E>, Pred<E>]
    return (ev) => a(ev) && b(ev)
  }
  if (n === 3) {
    const [a, b, c] = fs as [Pred<E>, Pred<E>, Pred<E>]
    return (ev) => a(ev) && b(ev) && c(ev)
  }
  return (ev) => {
    for (let i = 0; i < n; i++) if (!(fs[i] as Pred<E>)(ev)) return false
    return true
  }
}

function anyOf<E> (fs: Pred<E>[]): Pred<E> {
  const n = fs.length
  if (n === 1) return fs[0] as Pred<E>
  if (n === 2) {
    const [a, b] = fs as [Pred<E>, Pred<E>]
    return (ev) => a(ev) || b(ev)
  }
  if (n === 3) {
    const [a, b, c] = fs as [Pred<E>, Pred<E>, Pred<E>]
    return (ev) => a(ev) || b(ev) || c(ev)
  }
  return (ev) => {
    for (let i = 0; i < n; i++) if ((fs[i] as Pred<E>)(ev)) return true
    return false
  }
}
