// Falco 0.42's `static_fields`: fixed `static.<name>` string fields from the config, the same on
// every event of every source (cluster name, region, environment). They are usable in conditions
// and outputs like any field, and they are suggested output fields: with append_output's
// suggested_output (on in Falco's default falco.yaml) every rule's output gains
// `static_<name>=<value>`. This wraps a source's table so its own fields are untouched.
import { createFieldTable, type FieldDef, type FieldTable, type SourceDefinition } from './registry.ts'

export const STATIC_FIELD_PREFIX = 'static.'

/** A table holding only the `static.*` fields of `values` (name without the prefix → value). */
export function staticFieldTable (source: string, values: Readonly<Record<string, string>>): FieldTable<unknown> {
  // sorted by name, as Falco's libs keep them, so the suggested output lists them in that order
  const defs: FieldDef<unknown>[] = Object.keys(values).sort().map(function staticDef (name) {
    const value = values[name] as string
    const extract = (): string => value
    // Falco appends static fields to every rule's output when append_output.suggested_output is
    // on (as `static_<name>=<value>`): they are suggested output fields
    const def = { name: STATIC_FIELD_PREFIX + name, type: 'string' as const, desc: `static field from the config (static_fields.${name})`, suggestedOutput: true, bind: () => extract }
    return def
  })
  return createFieldTable(source, defs)
}

/** `table` plus the static fields; a static name shadowing a source field is refused by the caller. */
export function withStaticFields<E> (table: FieldTable<E>, values: Readonly<Record<string, string>>): FieldTable<E> {
  if (Object.keys(values).length === 0) return table
  const statics = staticFieldTable(table.source, values)
  const list = [...table.list(), ...statics.list()]
  const wrapped: FieldTable<E> = {
    source: table.source,
    eventTypes: table.eventTypes,
    staticValues: values,
    list: () => list,
    info: (name) => statics.info(name) ?? table.info(name),
    bind: (name, arg) => statics.info(name) !== undefined ? statics.bind(name, arg) as (ev: E) => ReturnType<ReturnType<FieldTable<E>['bind']>> : table.bind(name, arg)
  }
  // the table's optional binders (alternative candidates, constant comparison and normalisation:
  // `fd.sport = https`, `fd.sip.name = …`) keep working for its own fields; a static field has none
  if (table.bindCandidates !== undefined) {
    const inner = table.bindCandidates.bind(table)
    wrapped.bindCandidates = (name, arg) => statics.info(name) !== undefined ? undefined : inner(name, arg)
  }
  if (table.bindCompare !== undefined) {
    const inner = table.bindCompare.bind(table)
    wrapped.bindCompare = (name, arg) => statics.info(name) !== undefined ? undefined : inner(name, arg)
  }
  if (table.bindConstant !== undefined) {
    const inner = table.bindConstant.bind(table)
    wrapped.bindConstant = (name, arg) => statics.info(name) !== undefined ? undefined : inner(name, arg)
  }
  return wrapped
}

/** The sources with the static fields registered in each one's table. */
export function withStaticFieldsAll (sources: SourceDefinition<any>[], values: Readonly<Record<string, string>>): SourceDefinition<any>[] {
  if (Object.keys(values).length === 0) return sources
  return sources.map((s) => ({ ...s, fields: withStaticFields(s.fields, values) }))
}
