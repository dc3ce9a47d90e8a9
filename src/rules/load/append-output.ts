// Falco 0.39's `append_output` applied when a rule's output is compiled: every entry whose match
// holds for the rule (source, rule name and ALL listed tags; an empty match holds for every rule)
// appends its `extra_output` to the output text (one space between) and adds its `extra_fields`
// to the alert's output_fields only (JSON), in entry order. `suggested_output` appends the fields
// a field table marks as suggested (`suggestedOutput` on its FieldInfo; Falco: libsinsp's
// EPF_FORMAT_SUGGESTED, set on plugin fields flagged addOutput and on the static fields), as
// `name_with_underscores=%name`: the static fields (fields/static-fields.ts), then container.id and
// container.name in the syscall source (the container plugin's suggested fields). Falco registers
// the static filtercheck ahead of the plugins' filterchecks, hence the static fields first.
import { STATIC_FIELD_PREFIX, type FieldTable } from '../../fields/index.ts'
import type { JsonValue } from '../../events/index.ts'
import type { AppendOutputRule } from '../api.ts'
import { compileOutput, type CompiledOutput, type OperandCompiler } from '../format/output-format.ts'

export interface RuleIdentity { name: string, source: string, tags: ReadonlySet<string> | readonly string[] }

function matches (e: AppendOutputRule, r: RuleIdentity): boolean {
  if (e.source !== undefined && e.source !== r.source) return false
  if (e.rule !== undefined && e.rule !== r.name) return false
  const tags = r.tags instanceof Set ? r.tags : new Set(r.tags as readonly string[])
  return e.tags.every((t) => tags.has(t))
}

export interface AppendPlan {
  /** text to append to the rule's output, '' when none */
  suffix: string
  extraFields: Array<{ key: string, field?: string, template?: string }>
}

/** What the entries matching `r` add; undefined when none matches. */
export function appendPlanFor (entries: readonly AppendOutputRule[], r: RuleIdentity, table: FieldTable<any>): AppendPlan | undefined {
  let suffix = ''
  const fields = new Map<string, { key: string, field?: string, template?: string }>()
  let any = false
  for (const e of entries) {
    if (!matches(e, r)) continue
    any = true
    if (e.extraOutput !== undefined && e.extraOutput !== '') suffix += ' ' + e.extraOutput
    if (e.suggestedOutput) suffix += suggestedSuffix(table)
    // a later entry giving the same key wins, as a later map assignment does in Falco
    for (const f of e.extraFields) fields.set(f.key, f)
  }
  if (!any || (suffix === '' && fields.size === 0)) return undefined
  return { suffix, extraFields: [...fields.values()] }
}

/** ` name_with_underscores=%name` for each suggested field, the static ones first (as in Falco) */
function suggestedSuffix (table: FieldTable<any>): string {
  const suggested = table.list().filter((f) => f.suggestedOutput === true)
  const ordered = [...suggested.filter(isStatic), ...suggested.filter((f) => !isStatic(f))]
  return ordered.map((f) => ` ${f.name.replace(/\./g, '_')}=%${f.name}`).join('')
}

function isStatic (f: { name: string }): boolean { return f.name.startsWith(STATIC_FIELD_PREFIX) }

/**
 * Wrap a compiled output with the extra fields: a `field` entry carries the field's typed value
 * (as in output_fields), a `template` entry the rendered text. Compiled once; throws RuleError
 * (unknown field…) for the caller to report against append_output.
 */
export function withExtraFields (base: CompiledOutput, extra: AppendPlan['extraFields'], table: FieldTable<any>, compileOperand?: OperandCompiler): CompiledOutput {
  if (extra.length === 0) return base
  const parts = extra.map(function compileExtra (f) {
    if (f.field !== undefined) {
      const out = compileOutput(`%${f.field}`, table, { compileOperand })
      const k = out.fieldKeys[0]
      return { key: f.key, value: (ev: unknown): JsonValue => k === undefined ? null : (out.render(ev).outputFields[k] ?? null) }
    }
    const out = compileOutput(f.template ?? '', table, { compileOperand })
    return { key: f.key, value: (ev: unknown): JsonValue => out.render(ev).message }
  })
  return {
    fieldKeys: [...base.fieldKeys, ...parts.map((p) => p.key).filter((k) => !base.fieldKeys.includes(k))],
    render (ev) {
      const r = base.render(ev)
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i] as (typeof parts)[number]
        r.outputFields[p.key] = p.value(ev)
      }
      return r
    }
  }
}
