// Decoded rules-file items: what the reader produces and the collector consumes. Nodes are kept
// so later stages can point at the exact YAML text of a field name or value.
import type { Node } from 'yaml'
import type { Priority } from '../../events/index.ts'
import type { ItemCtx, SourcedText } from './context.ts'

export type OverrideOp = 'append' | 'replace'

/** A string read from YAML with the node it came from. */
export interface Str { value: string, node: Node }

/** A value of an exception: a scalar or a list of scalars. */
export type ExceptionValue = Str | { list: Str[], node: Node }

export interface ExceptionInfo {
  name: string
  ctx: ItemCtx
  /** a scalar (single-field form) or a sequence (tuple form); undefined when appending values */
  fields?: Str | Str[]
  /** the `fields:` value (an empty sequence has no item to point at) */
  fieldsNode?: Node
  comps?: Str | Str[]
  /** tuple form: one array per tuple; single-field form: one scalar per value */
  values?: Array<ExceptionValue[] | ExceptionValue>
  valuesNode?: Node
}

export interface ListItem {
  kind: 'list'
  ctx: ItemCtx
  name: string
  items: Str[]
  mode: 'define' | 'append' | 'replace'
}

export interface MacroItem {
  kind: 'macro'
  ctx: ItemCtx
  name: string
  condition: SourcedText
  mode: 'define' | 'append' | 'replace'
}

/** Every rule key that may be set, appended or replaced. */
export interface RuleFields {
  condition?: SourcedText
  output?: SourcedText
  desc?: string
  priority?: Priority
  source?: string
  enabled?: boolean
  tags?: string[]
  exceptions?: ExceptionInfo[]
  warnEvttypes?: boolean
  skipIfUnknownFilter?: boolean
  capture?: boolean
  captureDuration?: number
}

export interface RuleItem {
  kind: 'rule'
  ctx: ItemCtx
  name: string
  /** define: full definition; enable: legacy enabled-only; append: legacy `append: true`; override */
  mode: 'define' | 'enable' | 'append' | 'override'
  fields: RuleFields
  /** for override: which keys are appended / replaced */
  append?: ReadonlySet<keyof RuleFields>
  replace?: ReadonlySet<keyof RuleFields>
  /** node of each key present, for positions */
  keyNodes: Partial<Record<keyof RuleFields, Node>>
}

export interface EngineVersionItem { kind: 'engine_version', ctx: ItemCtx, version: string }

export interface PluginRequirement { name: string, version: string }
export interface PluginVersionsItem {
  kind: 'plugin_versions'
  ctx: ItemCtx
  entries: Array<{ req: PluginRequirement, alternatives: PluginRequirement[], offset: number }>
}

export type Item = ListItem | MacroItem | RuleItem | EngineVersionItem | PluginVersionsItem
