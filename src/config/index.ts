// Public surface of the configuration module.
export { DEFAULTS, DEFAULT_RULES_FILES, PACKAGE_ROOT, SOURCE_NAMES, type SourceName } from './defaults.ts'
export type { Config, WebhookConfig, AdminConfig, OutputsConfig, HttpOutputOptions, JsonOptions, TlsFiles, PinoLevel, MetricsConfig, AppendOutputSpec } from './types.ts'
export { loadConfig, type LoadConfigOptions } from './load.ts'
export { parseOverride, applyOverrides } from './overrides.ts'
export { parseOpenParams, parseListen } from './open-params.ts'
export { configSchema, type RawConfig } from './schema.ts'
export { watchRules, type RulesWatcher, type RulesWatchOptions } from './rules-watch.ts'
