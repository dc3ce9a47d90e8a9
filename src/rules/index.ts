// Public surface of the rules engine (re-exports only).
export type * from './api.ts'
export { loadRules, readRulesPaths } from './load/index.ts'
export { ENGINE_VERSION, BUILTIN_PLUGINS } from './load/versions.ts'
export { parsePriority, priorityName } from './priority.ts'
export { LoadedRuleset, type CompiledRule } from './engine.ts'
export { compileOutput, type CompiledOutput } from './format/output-format.ts'
export {
  formatAlertText, formatAlertJson, formatTimeRfc3339, formatTimeIso8601, formatTimeOfDay, escapeControl,
  type TextFormatOptions, type JsonFormatOptions
} from './format/alert-json.ts'
export { formatLoadIssue } from './format/issue-text.ts'
