// The public surface of the rules engine, as the rest of Lanner uses it (webhook, replay, syscall
// mode, CLI). Types only; the implementation lives in load/, compile/, format/ and engine.ts.
import type { Alert, Priority } from '../events/index.ts'
import type { SourceDefinition } from '../fields/index.ts'
import type { ErrorCode, Location } from '../errors/index.ts'

export type RuleMatching = 'first' | 'all'

export interface LoadOptions {
  /** every source whose rules can be compiled (field tables); rules of other sources are skipped with LOAD_UNKNOWN_SOURCE */
  sources: readonly SourceDefinition<any>[]
  /** minimum priority: rules less severe than this are loaded but not active (default Debug = 7) */
  minPriority?: Priority
  /** -t: keep only rules having one of these tags */
  tagsKeep?: readonly string[]
  /** -T: drop rules having one of these tags */
  tagsDrop?: readonly string[]
  /** enable/disable from config (falco.yaml `rules:` enable/disable by rule name (glob) or tag) */
  selection?: readonly RuleSelection[]
  ruleMatching?: RuleMatching
  /** hostname put into alerts (FALCO_HOSTNAME / os.hostname()) */
  hostname?: string
  /** engine version to check required_engine_version against (default ENGINE_VERSION, 0.63.0) */
  engineVersion?: string
  /**
   * plugin name → version that required_plugin_versions is checked against. Default: the plugins
   * Lanner implements natively for the registered sources (k8s_audit: k8saudit 0.18.0, json 0.7.4).
   */
  pluginVersions?: Readonly<Record<string, string>>
  /** falco.yaml `append_output`, in order (see load/append-output.ts) */
  appendOutput?: readonly AppendOutputRule[]
  /** report every compile error of a file, not only Falco's first one (`lanner rules validate`) */
  allErrors?: boolean
}

/** One falco.yaml `append_output` entry: match (ANDed) → extra output text and JSON fields. */
export interface AppendOutputRule {
  source?: string
  /** all of them must be among the rule's tags */
  tags: readonly string[]
  /** exact rule name */
  rule?: string
  extraOutput?: string
  /** `field`: that field's typed value; `template`: rendered text (literal, or with %fields) */
  extraFields: ReadonlyArray<{ key: string, field?: string, template?: string }>
  suggestedOutput: boolean
}

export type RuleSelection =
  | { enable: { rule?: string, tag?: string } }
  | { disable: { rule?: string, tag?: string } }

/** A rules file's text with the name errors should report. */
export interface RulesInput {
  name: string
  content: string
  /** set by readRulesPaths when the path could not be read: loadRules reports LOAD_ERR_FILE_READ */
  readError?: string
}

export interface LoadIssue {
  code: ErrorCode
  severity: 'error' | 'warning'
  message: string
  location?: Location
  /** a caret snippet of the offending text, when there is one */
  snippet?: string
  /** for LOAD_ERR_COMPILE_*: the underlying expression error's code (RULE_PARSE_*, RULE_COMPILE_*…) */
  detailCode?: ErrorCode
}

export interface RuleSummary {
  name: string
  source: string
  priority: Priority
  tags: readonly string[]
  /** enabled in the file and selected by priority/tags/config */
  enabled: boolean
  desc: string
}

/** What the rules files declared they need (recorded even when the load fails). */
export interface RulesRequirements {
  /** the highest required_engine_version seen, as semver text */
  engineVersion?: string
  /** every required_plugin_versions entry, in file order */
  plugins: Array<{ name: string, version: string, alternatives: Array<{ name: string, version: string }> }>
}

export interface LoadResult {
  ok: boolean
  errors: LoadIssue[]
  warnings: LoadIssue[]
  /** present when ok */
  ruleset?: Ruleset
  requirements?: RulesRequirements
}

export interface Ruleset {
  readonly rules: readonly RuleSummary[]
  /**
   * Evaluate one event of `source` and hand each alert to `emit`. Returns the number of alerts.
   * Never throws for an event: a failing extractor counts as an absent field.
   */
  evaluate(source: string, ev: unknown, emit: (alert: Alert) => void): number
  /** number of active rules per source */
  activeCount(source: string): number
  /**
   * exceptions evaluate absorbed outside conditions: the source's eventType/time extractors and
   * the `emit` callback. A condition whose extractor throws absorbs it itself (the field reads
   * as absent) and is not counted here.
   */
  readonly evalErrors: number
  /**
   * The `evt.type` values the active rules of `source` can match (what an event producer needs
   * to deliver), or null when some active rule matches any type (or the source has no types).
   */
  eventTypes(source: string): ReadonlySet<string> | null
  /**
   * The event types for which some active rule of `source` asks for enter events
   * (`evt.dir = >`); null = enter events of any type. Rules whose direction the compiler did
   * not pin count as exit-only.
   */
  enterEventTypes(source: string): ReadonlySet<string> | null
}
