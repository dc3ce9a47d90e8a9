// Public surface of the rules engine (re-exports only).
export type * from './api.ts'
export { loadRules, readRulesPaths } from './load/index.ts'
export { ENGINE_VERSION, BUILTIN_PLUGINS } from './load/versions.ts'
export { parsePriority, priorityName } from './priority.ts'
export { LoadedRuleset, type CompiledRule } from './engine.ts'
export { compileOutput, type CompiledOutput } from './format/output-format.ts'
export { formatLoadIssue } from './format/issue-text.ts'
