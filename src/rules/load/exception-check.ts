// Validation of a rule's `exceptions:` entries against the rule's source (Falco's
// validate_exception_info): field names, comparison operators, and tuple shapes.
import type { Node } from 'yaml'
import { checkFieldArg, type FieldTable } from '../../fields/index.ts'
import { parseOperandPrefix, type Operand } from '../lang/index.ts'
import { fail, type Issues } from './context.ts'
import type { ExceptionInfo, Str } from './items.ts'

const OPS = new Set(['=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', 'startswith',
  'bstartswith', 'endswith', 'glob', 'iglob', 'regex', 'in', 'intersects', 'pmatch'])
export const LIST_COMPS = new Set(['in', 'intersects', 'pmatch'])
const MODIFIER_RE = /^(\S+)\s+(oneof|anyof|allof)$/

/** `op` or `op oneof|anyof|allof`: the operator and modifier, or undefined if unsupported. */
export function parseComp (text: string): { op: string, modifier?: 'oneof' | 'anyof' | 'allof' } | undefined {
  const t = text.trim()
  if (OPS.has(t)) return { op: t }
  const m = MODIFIER_RE.exec(t)
  if (m !== null && OPS.has(m[1] as string) && !LIST_COMPS.has(m[1] as string)) return { op: m[1] as string, modifier: m[2] as 'oneof' }
  return undefined
}

/** Whether a comp takes a list right-hand side. */
export function isListComp (text: string): boolean {
  const c = parseComp(text)
  return c !== undefined && (LIST_COMPS.has(c.op) || c.modifier !== undefined)
}

/**
 * Check one exception. `full`: it defines a new exception (fields required). `table` undefined
 * (unknown source) skips field checks.
 */
export function checkException (issues: Issues, ex: ExceptionInfo, table: FieldTable | undefined, full: boolean): void {
  const err = (msg: string, node?: Node, code: 'LOAD_ERR_YAML_VALIDATE' | 'LOAD_ERR_VALIDATE' = 'LOAD_ERR_VALIDATE'): Error =>
    fail(issues, code, msg, ex.ctx, node?.range?.[0] ?? ex.ctx.offset)
  if (ex.fields === undefined) {
    if (full) throw err('Rule exception item must have fields property with a list of fields', undefined, 'LOAD_ERR_YAML_VALIDATE')
    return
  }
  if (Array.isArray(ex.fields)) {
    const fields = ex.fields
    // upstream pastes an empty tuple `()` into the condition and fails to parse it
    if (fields.length === 0 && (ex.values?.length ?? 0) > 0) throw err('Rule exception item must have fields property with a list of fields', ex.fieldsNode ?? ex.valuesNode, 'LOAD_ERR_YAML_VALIDATE')
    let comps: Str[] | undefined
    if (ex.comps !== undefined) {
      if (!Array.isArray(ex.comps)) throw err('Fields and comps must both be lists', ex.comps.node, 'LOAD_ERR_YAML_VALIDATE')
      comps = ex.comps
      if (comps.length !== fields.length) throw err('Fields and comps lists must have equal length', ex.comps[0]?.node ?? undefined, 'LOAD_ERR_YAML_VALIDATE')
      for (const c of comps) if (parseComp(c.value) === undefined) throw err(`'${c.value}' is not a supported comparison operator`, c.node)
    }
    for (const f of fields) checkField(f, table, err)
    for (const v of ex.values ?? []) {
      if (!Array.isArray(v)) throw err('Expected values array to contain a list of lists', (v as { node: Node }).node, 'LOAD_ERR_YAML_VALIDATE')
      if (v.length !== fields.length) throw err('Fields and values lists must have equal length', (v[0] as { node: Node } | undefined)?.node ?? ex.valuesNode, 'LOAD_ERR_YAML_VALIDATE')
    }
    return
  }
  if (ex.comps !== undefined) {
    if (Array.isArray(ex.comps)) throw err('Fields and comps must both be strings', ex.comps[0]?.node, 'LOAD_ERR_YAML_VALIDATE')
    const c = parseComp(ex.comps.value)
    if (c === undefined || !(LIST_COMPS.has(c.op) || c.modifier !== undefined)) {
      throw err('When fields is a single value, comps must be one of (in, pmatch, intersects)', ex.comps.node)
    }
  }
  checkField(ex.fields, table, err)
  for (const v of ex.values ?? []) {
    if (Array.isArray(v) || 'list' in v) throw err('Expected values array to contain a list of strings', (v as { node?: Node }).node ?? ex.valuesNode, 'LOAD_ERR_YAML_VALIDATE')
  }
}

function checkField (f: Str, table: FieldTable | undefined, err: (m: string, n?: Node) => Error): void {
  if (table === undefined) return
  let parsed: { operand: Operand, end: number } | undefined
  try { parsed = parseOperandPrefix(f.value.trim(), 0) } catch { parsed = undefined }
  if (parsed === undefined || parsed.end !== f.value.trim().length || !operandKnown(parsed.operand, table)) {
    throw err(`'${f.value}' is not a supported filter field`, f.node)
  }
}

function operandKnown (o: Operand, table: FieldTable): boolean {
  if (o.kind === 'field') {
    const info = table.info(o.name)
    return info !== undefined && checkFieldArg(info, o.arg) === undefined
  }
  return o.args.every((a) => operandKnown(a, table))
}
