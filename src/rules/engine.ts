// The loaded ruleset: rules grouped by source and, for sources with event types, indexed by
// evt.type. evaluate() is the per-event hot path: no allocation besides alerts, never throws.
import type { Alert, Priority } from '../events/index.ts'
import type { SourceDefinition } from '../fields/index.ts'
import type { RuleMatching, RuleSummary, Ruleset } from './api.ts'
import type { CompiledOutput } from './format/output-format.ts'

export interface CompiledRule {
  /** first-definition order */
  index: number
  name: string
  source: string
  priority: Priority
  /** sorted, unique */
  tags: readonly string[]
  match: (ev: any) => boolean
  output: CompiledOutput
  /** evt.type values the condition can match; undefined = any */
  eventTypes: ReadonlySet<string> | undefined
  /** evt.dir values ('>', '<') the condition pins (eventDirsOf); undefined = not pinned or not analysed */
  directions?: ReadonlySet<string> | undefined
}

interface SourceRules {
  def: SourceDefinition<any>
  all: readonly CompiledRule[]
  any: readonly CompiledRule[]
  byType: ReadonlyMap<string, readonly CompiledRule[]>
  /** what eventTypes()/enterEventTypes() answer */
  types: ReadonlySet<string> | null
  enterTypes: ReadonlySet<string> | null
}

export interface RulesetOptions {
  sources: readonly SourceDefinition<any>[]
  ruleMatching?: RuleMatching
  hostname?: string
}

/** Build a ruleset from the active rules; `summaries` lists every loaded rule (active or not). */
export function buildRuleset (active: readonly CompiledRule[], summaries: readonly RuleSummary[], opts: RulesetOptions): LoadedRuleset {
  return new LoadedRuleset(active, summaries, opts)
}

export class LoadedRuleset implements Ruleset {
  readonly rules: readonly RuleSummary[]
  #bySource = new Map<string, SourceRules>()
  #first: boolean
  #hostname: string
  #evalErrors = 0

  constructor (active: readonly CompiledRule[], summaries: readonly RuleSummary[], opts: RulesetOptions) {
    this.rules = summaries
    this.#first = (opts.ruleMatching ?? 'first') === 'first'
    this.#hostname = opts.hostname ?? ''
    const sorted = [...active].sort((a, b) => a.index - b.index)
    for (const def of opts.sources) {
      const all = sorted.filter((r) => r.source === def.name)
      this.#bySource.set(def.name, indexRules(def, all))
    }
  }

  activeCount (source: string): number {
    return this.#bySource.get(source)?.all.length ?? 0
  }

  eventTypes (source: string): ReadonlySet<string> | null {
    return this.#bySource.get(source)?.types ?? null
  }

  enterEventTypes (source: string): ReadonlySet<string> | null {
    const sr = this.#bySource.get(source)
    return sr === undefined ? new Set() : sr.enterTypes
  }

  /** Exceptions absorbed outside conditions (eventType, time, emit); see Ruleset.evalErrors. */
  get evalErrors (): number { return this.#evalErrors }

  evaluate (source: string, ev: unknown, emit: (alert: Alert) => void): number {
    const sr = this.#bySource.get(source)
    if (sr === undefined) return 0
    let rules = sr.all
    if (sr.def.eventType !== undefined) {
      let type: string | undefined
      try { type = sr.def.eventType(ev) } catch { this.#evalErrors++ }
      rules = (type === undefined ? undefined : sr.byType.get(type)) ?? sr.any
    }
    let n = 0
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as CompiledRule
      let hit = false
      try { hit = rule.match(ev) } catch { this.#evalErrors++ }
      if (!hit) continue
      n++
      this.#emit(sr.def, rule, ev, emit)
      if (this.#first) break
    }
    return n
  }

  #emit (def: SourceDefinition<any>, rule: CompiledRule, ev: unknown, emit: (alert: Alert) => void): void {
    let time = 0n
    try { time = def.time(ev) } catch { this.#evalErrors++ }
    const { message, outputFields } = rule.output.render(ev)
    const alert: Alert = { time, rule: rule.name, priority: rule.priority, source: rule.source, tags: rule.tags, hostname: this.#hostname, message, outputFields }
    try { emit(alert) } catch { this.#evalErrors++ }
  }
}

/** Per event type: that type's rules merged with the any-type rules, in definition order. */
function indexRules (def: SourceDefinition<any>, all: readonly CompiledRule[]): SourceRules {
  const any = all.filter((r) => r.eventTypes === undefined)
  const byType = new Map<string, CompiledRule[]>()
  if (def.eventType !== undefined) {
    const types = new Set<string>()
    for (const r of all) for (const t of r.eventTypes ?? []) types.add(t)
    for (const t of types) byType.set(t, all.filter((r) => r.eventTypes === undefined || r.eventTypes.has(t)))
  }
  return { def, all, any, byType, types: def.eventType === undefined || any.length > 0 ? null : new Set(byType.keys()), enterTypes: enterTypesOf(all) }
}

function enterTypesOf (all: readonly CompiledRule[]): ReadonlySet<string> | null {
  const types = new Set<string>()
  for (const r of all) {
    if (r.directions?.has('>') !== true) continue
    if (r.eventTypes === undefined) return null
    for (const t of r.eventTypes) types.add(t)
  }
  return types
}

export { eventDirsOf } from './compile/event-types.ts'
