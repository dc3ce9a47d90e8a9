// What one compilation carries around: the field table, the warning sink, and positioned errors.
import { RuleError, type ErrorCode, type SourcePos } from '../../errors/index.ts'
import type { FieldTable } from '../../fields/index.ts'

export interface CompileWarning { code: ErrorCode, message: string, pos?: SourcePos }

export interface CompileOptions {
  warn?: (w: CompileWarning) => void
}

export interface Ctx<E> {
  fields: FieldTable<E>
  warn: (w: CompileWarning) => void
  /** wrap each extractor so that a throwing one reads as absent (the slow, exact path) */
  guard: boolean
}

export function makeCtx<E> (fields: FieldTable<E>, opts: CompileOptions = {}, guard = true): Ctx<E> {
  return { fields, warn: opts.warn ?? noWarn, guard }
}

function noWarn (): void {}

export function compileError (code: ErrorCode, message: string, pos: SourcePos | undefined, cause?: unknown): RuleError {
  return new RuleError(code, message, { location: pos === undefined ? { itemType: 'condition' } : { itemType: 'condition', pos }, cause })
}

/** Re-throw a RuleError that has no position (e.g. from FieldTable.bind) with the node's position. */
export function withPos (err: unknown, pos: SourcePos): unknown {
  if (!(err instanceof RuleError) || err.location?.pos !== undefined) return err
  return new RuleError(err.code, err.message, { location: { ...err.location, itemType: err.location?.itemType ?? 'condition', pos }, cause: err })
}
