// Public surface of app/, the composition root, as the commands in cli/ use it: build the app from
// a config (build.ts: logger, metrics, source bundles, rules, outputs), serve until stopped
// (service.ts starts the audit or syscall mode), replay files, and the start-up checks serve runs
// first. `lanner --version` reads version.ts alone (cli/index.ts) so that it loads none of this.
export { buildApp, type App, type BuildAppOptions } from './build.ts'
export { buildSources } from './sources.ts'
export { loadOptionsFrom, loadRulesFromPaths } from './rules/rules-manager.ts'
export { k8sOptionsOf } from './rules/configmap-rules.ts'
export { dryRunReport } from './start/dry-run.ts'
export { webhookPreflight, type WebhookPreflight } from './start/webhook-preflight.ts'
export { readTls } from './start/tls-files.ts'
export { VERSION, versionInfo } from './version.ts'
export { runService, type ServiceOptions } from './service.ts'
export { runReplay, type ReplayRun } from './replay/replay.ts'
