// Rule output templates ("%ka.verb %5proc.name %toupper(user.name)") compiled once into a
// renderer producing the message text and Falco's output_fields. Rendering never throws.
import { RuleError } from '../../errors/index.ts'
import type { JsonValue } from '../../events/index.ts'
import type { Extract, FieldInfo, FieldTable, FieldValue } from '../../fields/index.ts'
import { parseOperandPrefix, type FieldRef, type Operand } from '../lang/index.ts'
import { valueJson, valueText } from './values.ts'

export type OperandCompiler = (operand: Operand, table: FieldTable<any>) => Extract<any>

export interface OutputWarning { code: 'LOAD_DEPRECATED_FIELD', message: string, offset: number }

export interface CompiledOutput {
  /** output_fields keys, in first-appearance order */
  readonly fieldKeys: readonly string[]
  render(ev: unknown): { message: string, outputFields: Record<string, JsonValue> }
}

/** `field` set: a plain field token, rendered from its output field's value (extracted once) */
interface Token { extract: Extract<any>, width: number, print: FieldInfo['print'], field: number }
interface OutField { key: string, extract: Extract<any>, print: FieldInfo['print'] }

const DEPRECATED_REMOVED = new Set(['container.info'])

/**
 * Compile an output template. Throws RuleError (RULE_FORMAT_BAD_TOKEN, RULE_COMPILE_UNKNOWN_FIELD,
 * RULE_COMPILE_BAD_FIELD_ARG…) whose location.pos.offset is an offset into `text`.
 */
export function compileOutput (text: string, table: FieldTable<any>, opts: { compileOperand?: OperandCompiler, warn?: (w: OutputWarning) => void } = {}): CompiledOutput {
  const compileOp = opts.compileOperand ?? compileFieldOnly
  const parts: Array<string | Token> = []
  const fields: OutField[] = []
  const fieldIndex = new Map<string, number>()
  let i = text.startsWith('*') ? 1 : 0 // Falco's "allow missing" flag, always on
  let lit = ''
  while (i < text.length) {
    const pct = text.indexOf('%', i)
    if (pct < 0) { lit += text.slice(i); break }
    lit += text.slice(i, pct)
    let j = pct + 1
    while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++
    const width = j > pct + 1 ? Number(text.slice(pct + 1, j)) : 0
    if (j >= text.length) throw bad('invalid formatting syntax: formatting cannot end with a %', pct)
    const op = parseToken(text, j, table)
    if (op === undefined) throw bad(`invalid formatting token at '${text.slice(pct, pct + 12)}': expected a field or a transformer`, pct)
    const { operand, end } = op
    if (operand.kind === 'field' && DEPRECATED_REMOVED.has(operand.name)) {
      opts.warn?.({ code: 'LOAD_DEPRECATED_FIELD', message: `%${operand.name} is deprecated and has been removed from the output`, offset: pct })
      i = end
      continue
    }
    const extract = withPos(() => compileOp(operand, table), pct)
    const base = innermostField(operand)
    const info = base === undefined ? undefined : table.info(base.name)
    if (info?.deprecated !== undefined) {
      opts.warn?.({ code: 'LOAD_DEPRECATED_FIELD', message: `field '${info.name}' is deprecated: ${info.deprecated}`, offset: pct })
    }
    if (lit !== '') { parts.push(lit); lit = '' }
    let field = -1
    if (base !== undefined) {
      const key = base.arg === undefined ? base.name : `${base.name}[${base.arg}]`
      let index = fieldIndex.get(key)
      if (index === undefined) {
        const baseExtract = operand.kind === 'field' ? extract : withPos(() => table.bind(base.name, base.arg), pct)
        index = fields.length
        fieldIndex.set(key, index)
        fields.push({ key, extract: baseExtract, print: info?.print })
      }
      if (operand.kind === 'field') field = index
    }
    parts.push({ extract, width, print: operand.kind === 'field' ? info?.print : undefined, field })
    i = end
  }
  if (lit !== '') parts.push(lit)
  return buildRenderer(parts, fields)
}

function buildRenderer (parts: ReadonlyArray<string | Token>, fields: readonly OutField[]): CompiledOutput {
  // a plain field token and its output field share one extraction (the message repeats what
  // output_fields holds); transformer tokens extract on their own
  return {
    fieldKeys: fields.map((f) => f.key),
    render (ev) {
      const values: FieldValue[] = new Array(fields.length)
      const outputFields: Record<string, JsonValue> = {}
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i] as OutField
        const v = safeExtract(f.extract, ev)
        values[i] = v
        outputFields[f.key] = valueJson(v, f.print)
      }
      let message = ''
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i] as string | Token
        if (typeof p === 'string') { message += p; continue }
        let s = valueText(p.field >= 0 ? values[p.field] : safeExtract(p.extract, ev), p.print)
        if (p.width > 0) s = s.length > p.width ? s.slice(0, p.width) : s.padEnd(p.width)
        message += s
      }
      return { message, outputFields }
    }
  }
}

function safeExtract (fn: Extract<any>, ev: unknown): FieldValue {
  try { return fn(ev) } catch { return undefined }
}

/**
 * The token at `at`: a transformer call, or the longest dotted field name prefix the table knows
 * (`%proc.name.` and `%proc.name)` end before the punctuation).
 */
function parseToken (text: string, at: number, table: FieldTable<any>): { operand: Operand, end: number } | undefined {
  let parsed: { operand: Operand, end: number } | undefined
  try { parsed = parseOperandPrefix(text, at) } catch (err) { throw rebase(err, at) }
  if (parsed === undefined) return undefined
  const o = parsed.operand
  if (o.kind !== 'field' || o.arg !== undefined || table.info(o.name) !== undefined || DEPRECATED_REMOVED.has(o.name)) return parsed
  const segs = o.name.split('.')
  for (let n = segs.length - 1; n >= 2; n--) {
    const name = segs.slice(0, n).join('.')
    if (table.info(name) !== undefined) return { operand: { ...o, name }, end: at + name.length }
  }
  return parsed
}

function innermostField (o: Operand): FieldRef | undefined {
  if (o.kind === 'field') return o
  for (const a of o.args) {
    const f = innermostField(a)
    if (f !== undefined) return f
  }
  return undefined
}

function compileFieldOnly (o: Operand, table: FieldTable<any>): Extract<any> {
  if (o.kind === 'field') return table.bind(o.name, o.arg)
  throw new RuleError('RULE_COMPILE_BAD_TRANSFORMER', `transformer '${o.name}' is not available in outputs`)
}

function bad (message: string, offset: number): RuleError {
  return new RuleError('RULE_FORMAT_BAD_TOKEN', message, { location: { itemType: 'output', pos: { offset, line: 1, col: offset + 1 } } })
}

/** Give an error thrown while compiling a token the token's offset. */
function withPos<T> (fn: () => T, offset: number): T {
  try { return fn() } catch (err) { throw rebase(err, offset) }
}

function rebase (err: unknown, offset: number): unknown {
  if (!(err instanceof RuleError)) return err
  const own = err.location?.pos?.offset
  const at = own !== undefined && own >= offset ? own : offset
  return new RuleError(err.code, err.message, { cause: err.cause, location: { itemType: 'output', pos: { offset: at, line: 1, col: at + 1 } } })
}
