// Operands (fields and transformer calls) compiled to extractors, once. Fields are bound through
// the FieldTable; with ctx.guard an extractor that throws counts as absent. A match-any field
// (FieldInfo.matchAny, bare form) also carries its candidates extractor for the check compiler.
import type { FieldType, FieldValue, Scalar } from '../../fields/index.ts'
import type { FieldTable } from '../../fields/index.ts'
import type { FieldRef, Operand } from '../lang/ast.ts'
import { printOperand } from '../lang/print.ts'
import { compileError, makeCtx, withPos, type Ctx } from './context.ts'
import { TRANSFORMER_SPECS, applyTransformer } from './transformers.ts'

export interface CompiledOperand<E> {
  extract: (ev: E) => FieldValue
  type: FieldType
  isList: boolean
  /** the innermost plain field with its argument, e.g. `proc.aname[2]` */
  baseField: string
  /** the innermost field reference (for name-based checks such as evt.type) */
  field: FieldRef
  /**
   * Set for match-any operands only: every candidate value (readonly array) that a check tests,
   * OR-ing the results; `extract` stays the single value outputs and val() use.
   */
  candidates?: (ev: E) => FieldValue
  /** with candidates: `!=` must hold for every candidate (FieldInfo.notEqualAll) */
  notEqualAll?: boolean
  /** a plain field that compares against constants itself (FieldDef.compareConstants) */
  compareConstants?: (op: string, values: readonly string[]) => ((ev: E) => boolean) | undefined
  /** a plain field whose constants are rewritten before parsing (FieldDef.normalizeConstant) */
  normalizeConstant?: (text: string) => string
}

/** Public form: compile an operand for the output formatter. */
export function compileOperand<E> (operand: Operand, fields: FieldTable<E>): { extract: (ev: E) => FieldValue, type: FieldType, isList: boolean, baseField: string } {
  const c = compileOperandIn(operand, makeCtx(fields))
  return { extract: c.extract, type: c.type, isList: c.isList, baseField: c.baseField }
}

export function compileOperandIn<E> (operand: Operand, ctx: Ctx<E>): CompiledOperand<E> {
  if (operand.kind === 'field') return compileField(operand, ctx)
  const spec = TRANSFORMER_SPECS[operand.name]
  if (spec === undefined) {
    throw compileError('RULE_COMPILE_BAD_TRANSFORMER', `transformer '${operand.name}' is not supported`, operand.pos)
  }
  if (operand.args.length !== 1) {
    throw compileError('RULE_COMPILE_BAD_TRANSFORMER', `transformer '${operand.name}' takes exactly one argument`, operand.pos)
  }
  const inner = compileOperandIn(operand.args[0] as Operand, ctx)
  const countsList = operand.name === 'len' && inner.isList
  if (!countsList && !spec.accepts.includes(inner.type)) {
    throw compileError('RULE_COMPILE_BAD_TRANSFORMER', `transformer '${operand.name}' cannot be applied to a ${inner.type} value`, operand.pos)
  }
  const out: CompiledOperand<E> = {
    extract: applyTransformer(spec, inner.extract, inner.isList),
    type: spec.output(inner.type),
    isList: inner.isList && spec.elementWise,
    baseField: inner.baseField,
    field: inner.field
  }
  // a transformer on a match-any field maps each candidate (len included: one length each)
  if (inner.candidates !== undefined) {
    out.candidates = mapCandidates(spec.apply, inner.candidates)
    out.notEqualAll = inner.notEqualAll
  }
  return out
}

function mapCandidates<E> (f: (v: Scalar) => Scalar | undefined, inner: (ev: E) => FieldValue): (ev: E) => FieldValue {
  return function transformCandidates (ev) {
    const v = inner(ev) as readonly Scalar[] | undefined
    if (v === undefined) return undefined
    const out: Scalar[] = []
    for (let i = 0; i < v.length; i++) {
      const y = f(v[i] as Scalar)
      if (y !== undefined) out.push(y)
    }
    return out
  }
}

function compileField<E> (ref: FieldRef, ctx: Ctx<E>): CompiledOperand<E> {
  let raw: (ev: E) => FieldValue
  try {
    raw = ctx.fields.bind(ref.name, ref.arg)
  } catch (err) {
    throw withPos(err, ref.pos)
  }
  const info = ctx.fields.info(ref.name)
  if (info?.deprecated !== undefined) {
    ctx.warn({ code: 'LOAD_DEPRECATED_FIELD', message: `field '${ref.name}' is deprecated: ${info.deprecated}`, pos: ref.pos })
  }
  const out: CompiledOperand<E> = {
    extract: ctx.guard ? guard(raw) : raw,
    type: info?.type ?? 'string',
    isList: info?.isList === true,
    baseField: printOperand(ref),
    field: ref
  }
  const own = ctx.fields.bindCompare?.(ref.name, ref.arg)
  if (own !== undefined) out.compareConstants = own
  const norm = ctx.fields.bindConstant?.(ref.name, ref.arg)
  if (norm !== undefined) out.normalizeConstant = norm
  const cand = ctx.fields.bindCandidates?.(ref.name, ref.arg)
  if (cand !== undefined) {
    out.candidates = ctx.guard ? guard(cand) : cand
    out.notEqualAll = info?.notEqualAll === true
  }
  return out
}

/** A throwing extractor reads as "not available". */
function guard<E> (raw: (ev: E) => FieldValue): (ev: E) => FieldValue {
  return function guardedExtract (ev) {
    try {
      return raw(ev)
    } catch {
      return undefined
    }
  }
}
