// Rule items: full definitions, legacy `enabled`-only and `append: true` items, and `override:`
// items, plus the shape of their `exceptions:` entries (validated against fields later).
import { isMap, isScalar, isSeq, type Node, type Scalar } from 'yaml'
import { parsePriority } from '../priority.ts'
import { sourcedFrom, type SourcedText } from './context.ts'
import type { ExceptionInfo, ExceptionValue, RuleFields, RuleItem, Str } from './items.ts'
import { readOverride } from './override.ts'
import { ItemReader, scalarText, seqOfScalars } from './yaml-values.ts'

const RULE_KEYS = new Set(['rule', 'condition', 'output', 'desc', 'priority', 'source', 'enabled', 'tags',
  'exceptions', 'warn_evttypes', 'skip-if-unknown-filter', 'capture', 'capture_duration', 'append', 'override', 'required_engine_version'])
const APPENDABLE = new Set(['condition', 'output', 'desc', 'tags', 'exceptions'])
const REPLACEABLE = new Set(['condition', 'output', 'desc', 'priority', 'capture', 'capture_duration', 'tags',
  'exceptions', 'enabled', 'warn_evttypes', 'skip-if-unknown-filter'])
const DEFINING = ['condition', 'output', 'desc', 'priority'] as const
const YAML_TO_FIELD: Record<string, keyof RuleFields> = {
  condition: 'condition', output: 'output', desc: 'desc', priority: 'priority', source: 'source', enabled: 'enabled',
  tags: 'tags', exceptions: 'exceptions', warn_evttypes: 'warnEvttypes', 'skip-if-unknown-filter': 'skipIfUnknownFilter',
  capture: 'capture', capture_duration: 'captureDuration'
}

export function readRule (r: ItemReader): RuleItem {
  const name = r.str('rule').value
  r.ctx.itemName = name
  for (const { key, node } of r.keys()) {
    if (!RULE_KEYS.has(key)) r.issues.warn('LOAD_UNKNOWN_KEY', `Unknown key '${key}'. The key will be ignored.`, r.ctx, r.offsetOf(node))
  }
  const legacy = r.optBool('append') === true
  const ov = readOverride(r, APPENDABLE, REPLACEABLE, legacy)
  const item: RuleItem = { kind: 'rule', ctx: r.ctx, name, mode: 'define', fields: {}, keyNodes: {} }
  if (legacy) {
    r.issues.warn('LOAD_DEPRECATED_ITEM', "The 'append' key is deprecated. Use 'override' with 'append' instead.", r.ctx, r.offsetOf(r.keyNode('append')))
    item.mode = 'append'
    if (!r.has('condition') && !r.has('exceptions')) throw r.fail('Appended rule must have exceptions or condition property', r.map)
    if (r.has('condition')) readKey(r, item, 'condition')
    if (r.has('exceptions')) readKey(r, item, 'exceptions')
    return item
  }
  if (ov !== undefined) {
    item.mode = 'override'
    item.append = new Set([...ov.append].map((k) => YAML_TO_FIELD[k] as keyof RuleFields))
    item.replace = new Set([...ov.replace].map((k) => YAML_TO_FIELD[k] as keyof RuleFields))
    for (const k of [...ov.append, ...ov.replace]) readKey(r, item, k)
    return item
  }
  if (!DEFINING.some((k) => r.has(k)) && r.has('enabled')) {
    r.issues.warn('LOAD_DEPRECATED_ITEM', "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').", r.ctx, r.offsetOf(r.keyNode('enabled')))
    item.mode = 'enable'
    readKey(r, item, 'enabled')
    return item
  }
  for (const k of DEFINING) r.node(k)
  for (const k of Object.keys(YAML_TO_FIELD)) if (r.has(k)) readKey(r, item, k)
  item.fields.source ??= 'syscall'
  return item
}

function readKey (r: ItemReader, item: RuleItem, key: string): void {
  const f = item.fields
  const field = YAML_TO_FIELD[key] as keyof RuleFields
  item.keyNodes[field] = r.keyNode(key)
  switch (key) {
    case 'condition': f.condition = sourced(r, r.str(key)); break
    case 'output': f.output = trimmedOutput(r, r.str(key)); break
    case 'desc': f.desc = r.str(key).value; break
    case 'priority': {
      const s = r.str(key)
      const p = parsePriority(s.value)
      if (p === undefined) throw r.fail('Invalid priority', s.node)
      f.priority = p
      break
    }
    case 'source': f.source = r.str(key).value.trim(); break
    case 'tags': f.tags = r.strSeq(key).map((s) => s.value); break
    case 'exceptions': f.exceptions = readExceptions(r); break
    case 'capture_duration': {
      const s = r.str(key)
      const n = Number(s.value)
      if (!Number.isInteger(n) || n < 0) throw r.fail("Can't decode YAML scalar value", s.node)
      f.captureDuration = n
      break
    }
    default: {
      const b = r.optBool(key)
      if (b !== undefined) (f as Record<string, unknown>)[field] = b
    }
  }
}

function sourced (r: ItemReader, s: Str): SourcedText {
  return sourcedFrom({ file: r.ctx.file, node: s.node as Scalar, value: s.value })
}

/** Falco trims outputs; positions stay right because the leading cut is an offset into the value. */
function trimmedOutput (r: ItemReader, s: Str): SourcedText {
  const lead = s.value.length - s.value.trimStart().length
  const st = sourced(r, s)
  if (lead === 0) return { text: s.value.trimEnd(), segs: st.segs }
  return { text: s.value.trim(), segs: [{ at: -lead, ref: (st.segs[0] as SourcedText['segs'][0]).ref }] }
}

function readExceptions (r: ItemReader): ExceptionInfo[] {
  const node = r.map.get('exceptions', true) as Node | null | undefined
  if (node == null || (isScalar(node) && node.value === null)) return []
  if (!isSeq(node)) throw r.fail('Rule exceptions must be a sequence', node)
  return node.items.map((it) => {
    const en = it as Node
    if (!isMap(en)) throw r.fail('Rule exception must be a mapping', en)
    const er = new ItemReader(r.issues, { ...r.ctx, offset: r.offsetOf(en) }, en)
    const name = er.str('name').value
    const ex: ExceptionInfo = { name, ctx: { ...r.ctx, itemType: 'exception', itemName: `${r.ctx.itemName ?? ''}/${name}`, offset: r.offsetOf(en) } }
    const fields = er.optNode('fields')
    if (fields !== undefined) {
      ex.fields = isSeq(fields) ? seqOfScalars(er, fields) : { value: scalarText(er, fields), node: fields }
      ex.fieldsNode = fields
    }
    const comps = er.optNode('comps')
    if (comps !== undefined) ex.comps = isSeq(comps) ? seqOfScalars(er, comps) : { value: scalarText(er, comps), node: comps }
    const values = en.get('values', true) as Node | null | undefined
    if (values != null && !(isScalar(values) && values.value === null)) {
      if (!isSeq(values)) throw er.fail('Rule exception values must be a sequence', values)
      ex.valuesNode = values
      ex.values = values.items.map((v) => readExceptionValue(er, v as Node, true) as ExceptionValue[] | ExceptionValue)
    }
    return ex
  })
}

/** A tuple (sequence) or scalar; tuple members are scalars or sequences of scalars. */
function readExceptionValue (r: ItemReader, node: Node, top: boolean): ExceptionValue[] | ExceptionValue {
  if (isSeq(node)) {
    if (!top) return { list: seqOfScalars(r, node).map((s) => nonEmpty(r, s)), node }
    return node.items.map((m) => readExceptionValue(r, m as Node, false) as ExceptionValue)
  }
  return nonEmpty(r, { value: scalarText(r, node), node })
}

function nonEmpty (r: ItemReader, s: Str): Str {
  if (s.value === '') throw r.fail('Value must be non-empty', s.node)
  return s
}
