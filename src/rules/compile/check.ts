// One check (`lhs OP rhs`) compiled to a predicate: operator legality per type and list-ness,
// constants parsed once, the missing-value rule (absent => false), list-field semantics
// (`in` = every element in the set, `intersects` = any), val()/transformer right-hand sides, and
// match-any fields (the per-value predicate OR-ed over the candidates).
import type { FieldValue, Scalar } from '../../fields/index.ts'
import type { CheckExpr, ListLiteral, Literal } from '../lang/ast.ts'
import { hasRegexMeta } from '../../util/index.ts'
import { compileError, withPos, type Ctx } from './context.ts'
import { compileOperandIn, type CompiledOperand } from './operand.ts'
import { constantTest, dynamicCompare, pmatchTest, setTest, type ScalarTest } from './scalar-ops.ts'
import { familyOf, LEGAL_OPS, parseBig, parseBool, parseNumber, parseString, type Family } from './values.ts'

export type Pred<E> = (ev: E) => boolean

const LIST_FIELD_OPS: ReadonlySet<string> = new Set(['in', 'intersects'])
const EVTTYPE_OPS: ReadonlySet<string> = new Set(['=', '!=', 'in', 'intersects'])
const NO_FIELD_RHS: ReadonlySet<string> = new Set(['regex', 'pmatch', 'glob', 'iglob'])

export function compileCheck<E> (c: CheckExpr, ctx: Ctx<E>): Pred<E> {
  const left = compileOperandIn(c.left, ctx)
  return left.candidates === undefined ? compileOn(c, left, ctx) : anyCandidate(c, left, left.candidates, ctx)
}

/**
 * A match-any field (fd.ip, bare proc.aname…): the check compiled once as if the field were a
 * scalar reading `current`, then run per candidate until one holds. Ordinary fields never pay
 * for this: the choice is made here, at compile time.
 *
 * Connection-end fields (notEqualAll: fd.ip, fd.net, fd.port, fd.proto) follow libsinsp's
 * sinsp_filtercheck_fd.cpp: compare_ip and compare_net hold for `=`/`in` when the client OR the
 * server end matches and for `!=` only when BOTH ends differ; compare_port the same, with
 * `<`, `<=`, `>`, `>=` holding when either end does. So `fd.ip != "0.0.0.0"` is false for an
 * unconnected UDP send whose source is 0.0.0.0, and `not fd.ip = X` stays the negation of `=`.
 */
function anyCandidate<E> (c: CheckExpr, left: CompiledOperand<E>, candidates: (ev: E) => FieldValue, ctx: Ctx<E>): Pred<E> {
  let current: FieldValue
  const one = compileOn(c, { ...left, extract: function currentCandidate () { return current }, candidates: undefined, notEqualAll: undefined }, ctx)
  if (left.notEqualAll === true && c.op === '!=' && c.modifier === undefined) {
    return function everyCandidateDiffers (ev) {
      const vs = candidates(ev) as readonly Scalar[] | undefined
      if (vs === undefined || vs.length === 0) return false
      for (let i = 0; i < vs.length; i++) {
        current = vs[i]
        if (!one(ev)) return false
      }
      return true
    }
  }
  return function matchAnyCandidate (ev) {
    const vs = candidates(ev) as readonly Scalar[] | undefined
    if (vs === undefined) return false
    for (let i = 0; i < vs.length; i++) {
      current = vs[i]
      if (one(ev)) return true
    }
    return false
  }
}

function compileOn<E> (c: CheckExpr, left: CompiledOperand<E>, ctx: Ctx<E>): Pred<E> {
  const op = c.op === '==' ? '=' : c.op
  if (op === 'exists') return existsPred(left)
  const family = familyOf(left.type)
  if (left.isList && !LIST_FIELD_OPS.has(op)) {
    throw compileError('RULE_COMPILE_BAD_OPERATOR_TYPE', `'${c.op}' operator not supported for list field ${left.baseField}`, c.pos)
  }
  if (!LEGAL_OPS[family].has(op)) {
    throw compileError('RULE_COMPILE_BAD_OPERATOR_TYPE', `'${c.op}' operator not supported for type ${left.type} (${left.baseField})`, c.pos)
  }
  const written = c.right
  if (written === undefined) throw compileError('RULE_PARSE_UNEXPECTED_TOKEN', `'${c.op}' needs a right-hand value`, c.pos)
  if (written.kind === 'operand') return fieldRhs(c, op, left, compileOperandIn(written.operand, ctx))
  const right = left.normalizeConstant === undefined ? written : normalizedRight(written, left.normalizeConstant)
  checkWarnings(c, left, op, right, ctx)
  if (c.modifier !== undefined) return modifierPred(c, op, left, asList(right))
  if (op === 'in' || op === 'intersects') {
    const items = asList(right).items
    const own = ownCompare(left, op, items)
    if (own !== undefined) return own
    if (!left.isList) return memberPred(left.extract, family, items) ?? scalarPred(left.extract, setTest(family, items))
    const test = setTest(family, items)
    return op === 'in' ? everyPred(left.extract, test) : somePred(left.extract, test)
  }
  if (op === 'pmatch') return scalarPred(left.extract, pmatchTest(asList(right).items))
  if (right.kind !== 'literal') throw compileError('RULE_COMPILE_BAD_VALUE', `'${c.op}' takes a single value, not a list`, right.pos)
  const own = ownCompare(left, op, [right])
  if (own !== undefined) return own
  return specialised(left.extract, family, op, right) ?? scalarPred(left.extract, constantTest(family, op, right))
}

/** The constants as the field reads them (port fields: service names become numbers). */
function normalizedRight (r: Literal | ListLiteral, norm: (text: string) => string): Literal | ListLiteral {
  const one = (l: Literal): Literal => {
    try {
      return { ...l, value: norm(l.value) }
    } catch (err) {
      throw withPos(err, l.pos)
    }
  }
  return r.kind === 'list' ? { ...r, items: r.items.map(one) } : one(r)
}

/** A field's own comparison against constants (fd.*ip.name), when it has one for `op`. */
function ownCompare<E> (left: CompiledOperand<E>, op: string, items: readonly Literal[]): Pred<E> | undefined {
  return left.compareConstants?.(op, items.map((l) => l.value))
}

function asList (r: Literal | ListLiteral): ListLiteral {
  return r.kind === 'list' ? r : { kind: 'list', items: [r], pos: r.pos }
}

function existsPred<E> (left: CompiledOperand<E>): Pred<E> {
  const ex = left.extract
  if (!left.isList) return (ev) => ex(ev) !== undefined
  return (ev) => {
    const v = ex(ev) as readonly Scalar[] | undefined
    return v !== undefined && v.length > 0
  }
}

/** Constants of the families compared with ===; undefined for the others. */
function plainConstant (family: Family, lit: Literal): Scalar | undefined {
  switch (family) {
    case 'string': return parseString(lit)
    case 'num': return parseNumber(lit)
    case 'big': return parseBig(lit)
    case 'bool': return parseBool(lit)
  }
  return undefined
}

/**
 * Hand-inlined closures for the most common checks, so the hot path is one extractor call and
 * one comparison (an absent value is undefined and never equals a constant).
 */
function specialised<E> (ex: (ev: E) => FieldValue, family: Family, op: string, lit: Literal): Pred<E> | undefined {
  const k = plainConstant(family, lit)
  if (k === undefined) return undefined
  switch (op) {
    case '=': return (ev) => ex(ev) === k
    case '!=': return (ev) => {
      const v = ex(ev)
      return v !== undefined && v !== k
    }
  }
  if (typeof k !== 'string') return undefined
  switch (op) {
    case 'contains': return (ev) => {
      const v = ex(ev)
      return v !== undefined && (v as string).includes(k)
    }
    case 'startswith': return (ev) => {
      const v = ex(ev)
      return v !== undefined && (v as string).startsWith(k)
    }
    case 'endswith': return (ev) => {
      const v = ex(ev)
      return v !== undefined && (v as string).endsWith(k)
    }
  }
  return undefined
}

/** Scalar `in (…)` for ===-comparable families: a Set lookup (undefined is never a member). */
function memberPred<E> (ex: (ev: E) => FieldValue, family: Family, items: readonly Literal[]): Pred<E> | undefined {
  if (family !== 'string' && family !== 'num' && family !== 'big' && family !== 'bool') return undefined
  const values = items.map((l) => plainConstant(family, l) as Scalar)
  if (values.length === 0) return () => false
  if (values.length === 1) {
    const k = values[0]
    return (ev) => ex(ev) === k
  }
  const set = new Set<FieldValue>(values)
  return (ev) => set.has(ex(ev))
}

function scalarPred<E> (ex: (ev: E) => FieldValue, test: ScalarTest): Pred<E> {
  return (ev) => {
    const v = ex(ev)
    return v !== undefined && test(v as Scalar)
  }
}

/** List field `in`: every element is in the set; an empty list is absent (false). */
function everyPred<E> (ex: (ev: E) => FieldValue, test: ScalarTest): Pred<E> {
  return (ev) => {
    const v = ex(ev) as readonly Scalar[] | undefined
    if (v === undefined || v.length === 0) return false
    for (let i = 0; i < v.length; i++) if (!test(v[i] as Scalar)) return false
    return true
  }
}

function somePred<E> (ex: (ev: E) => FieldValue, test: ScalarTest): Pred<E> {
  return (ev) => {
    const v = ex(ev) as readonly Scalar[] | undefined
    if (v === undefined) return false
    for (let i = 0; i < v.length; i++) if (test(v[i] as Scalar)) return true
    return false
  }
}

/** `OP oneof|anyof|allof (a, b…)`: the operator applied to each item, counted. */
function modifierPred<E> (c: CheckExpr, op: string, left: CompiledOperand<E>, list: ListLiteral): Pred<E> {
  if (left.isList || op === 'in' || op === 'intersects' || op === 'pmatch') {
    throw compileError('RULE_COMPILE_BAD_OPERATOR_TYPE', `modifier '${c.modifier}' cannot be used with '${c.op}' on ${left.baseField}`, c.pos)
  }
  const family = familyOf(left.type)
  const tests = list.items.map((lit) => constantTest(family, op, lit))
  const ex = left.extract
  const n = tests.length
  if (c.modifier === 'anyof') {
    return (ev) => {
      const v = ex(ev)
      if (v === undefined) return false
      for (let i = 0; i < n; i++) if ((tests[i] as ScalarTest)(v as Scalar)) return true
      return false
    }
  }
  if (c.modifier === 'allof') {
    return (ev) => {
      const v = ex(ev)
      if (v === undefined || n === 0) return false
      for (let i = 0; i < n; i++) if (!(tests[i] as ScalarTest)(v as Scalar)) return false
      return true
    }
  }
  return (ev) => {
    const v = ex(ev)
    if (v === undefined) return false
    let hits = 0
    for (let i = 0; i < n; i++) if ((tests[i] as ScalarTest)(v as Scalar) && ++hits > 1) return false
    return hits === 1
  }
}

/** Right-hand side extracted per event: `val(f)` or a transformer. Absent on either side => false. */
function fieldRhs<E> (c: CheckExpr, op: string, left: CompiledOperand<E>, right: CompiledOperand<E>): Pred<E> {
  const family = familyOf(left.type)
  if (NO_FIELD_RHS.has(op) || family === 'net' || c.modifier !== undefined) {
    throw compileError('RULE_COMPILE_BAD_OPERATOR_TYPE', `'${c.op}' cannot compare against another field`, c.pos)
  }
  if (familyOf(right.type) !== family) {
    throw compileError('RULE_COMPILE_BAD_OPERATOR_TYPE', `cannot compare ${left.type} ${left.baseField} with ${right.type} ${right.baseField}`, c.right?.pos ?? c.pos)
  }
  const cmp = dynamicCompare(family, op)
  if (cmp === undefined) throw compileError('RULE_COMPILE_BAD_OPERATOR_TYPE', `'${c.op}' not supported between two fields`, c.pos)
  const lx = left.extract
  const rx = right.extract
  const listOp = op === 'in' || op === 'intersects'
  if (right.isList && !listOp) {
    throw compileError('RULE_COMPILE_BAD_OPERATOR_TYPE', `'${c.op}' cannot take the list field ${right.baseField}`, c.pos)
  }
  const anyOf = (a: Scalar, b: FieldValue): boolean => {
    if (!right.isList) return cmp(a, b as Scalar)
    const bs = b as readonly Scalar[]
    for (let i = 0; i < bs.length; i++) if (cmp(a, bs[i] as Scalar)) return true
    return false
  }
  if (!left.isList) {
    return (ev) => {
      const a = lx(ev)
      if (a === undefined) return false
      const b = rx(ev)
      return b !== undefined && anyOf(a as Scalar, b)
    }
  }
  const every = op === 'in'
  return (ev) => {
    const as = lx(ev) as readonly Scalar[] | undefined
    if (as === undefined || as.length === 0) return false
    const b = rx(ev)
    if (b === undefined) return false
    for (let i = 0; i < as.length; i++) {
      if (anyOf(as[i] as Scalar, b) !== every) return !every
    }
    return every
  }
}

function checkWarnings<E> (c: CheckExpr, left: CompiledOperand<E>, op: string, right: Literal | ListLiteral, ctx: Ctx<E>): void {
  const items = right.kind === 'list' ? right.items : [right]
  if (op === 'regex') {
    for (const lit of items) {
      if (!hasRegexMeta(lit.value)) {
        ctx.warn({ code: 'LOAD_COMPILE_CONDITION', message: `regex '${lit.value}' has no special characters: use '=', contains, startswith or endswith instead`, pos: lit.pos })
      }
    }
  }
  const name = left.field.name
  if (name.startsWith('ka.') || name.startsWith('jevt.')) {
    for (const lit of items) {
      if (lit.value === '<NA>') {
        ctx.warn({ code: 'LOAD_UNSAFE_NA_CHECK', message: `comparing ${left.baseField} against '<NA>' is unsafe: an absent field makes every comparison false; use 'exists' instead`, pos: lit.pos })
      }
    }
  }
  if (ctx.fields.eventTypes !== undefined && EVTTYPE_OPS.has(op) && c.left.kind === 'field' && c.left.name === 'evt.type' && c.left.arg === undefined) {
    for (const lit of items) {
      if (!ctx.fields.eventTypes.has(lit.value)) {
        throw compileError('RULE_COMPILE_UNKNOWN_EVTTYPE', `unknown event type ${lit.value}`, lit.pos)
      }
    }
  }
}
