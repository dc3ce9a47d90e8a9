// Operands (fields and transformer calls) compiled to extractors, once. Fields are bound through
// the FieldTable; with ctx.guard an extractor that throws counts as absent.
import type { FieldType, FieldValue } from '../../fields/index.ts'
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
  return {
    extract: applyTransformer(spec, inner.extract, inner.isList),
    type: spec.output(inner.type),
    isList: inner.isList && spec.elementWise,
    baseField: inner.baseField,
    field: inner.field
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
  return {
    extract: ctx.guard ? guard(raw) : raw,
    type: info?.type ?? 'string',
    isList: info?.isList === true,
    baseField: printOperand(ref),
    field: ref
  }
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
