// Live reload of the config file and its config_files (watch_config_files, and SIGHUP), ConfigMap
// `..data` swaps included (the same directory watch as rules, config/rules-watch.ts). A change is read
// exactly as at start (same command line); a file that no longer loads keeps the running config,
// logged with its file:line:col and counted in lanner_config_reload_failures_total.
//
// What applies live: the rules settings (`rules:` enable/disable, priority, rule_matching,
// append_output, static_fields: the rules are recompiled and swapped like a rules reload), the
// JSON layout (json_include_*, time_format_iso_8601), metrics, log_level, and the config_files
// list itself. What needs a restart (listen addresses, TLS, which outputs run and where, the
// source, rules file paths…) is named in one warning per reload and left as it runs.
import { Counter, type Registry } from 'prom-client'
import { loadConfig, watchRules, type Config, type RulesWatcher } from '../../config/index.ts'
import { ConfigError, formatLocated } from '../../errors/index.ts'
import type { App } from '../build.ts'
import { loadOptionsFrom } from '../rules/rules-manager.ts'
import { buildSources } from '../sources.ts'
import type { FalcoMetrics } from '../metrics/falco-metrics.ts'

/** Config parts that only take effect at start, with the keys a user would look for. */
const RESTART_ONLY: ReadonlyArray<[keyof Config | 'json.enabled' | 'log.stderr', string]> = [
  ['source', 'lanner.source / --source'],
  ['rulesPaths', 'rules_files'],
  ['json.enabled', 'json_output'],
  ['outputs', 'stdout_output / file_output / program_output / http_output / buffered_outputs / outputs_queue / output_timeout / lanner.outputs'],
  ['webhook', 'plugins (k8saudit open_params, init_config) / lanner.webhook'],
  ['admin', 'webserver'],
  ['userFields', 'lanner.user_fields'],
  ['evalWorkers', 'lanner.eval_workers'],
  ['k8s', 'lanner.k8s'],
  ['rulesStrict', 'lanner.rules_strict'],
  ['syscallStaleAfterMs', 'lanner.syscall_stale_after_s'],
  ['watchConfigFiles', 'watch_config_files'],
  ['replayFile', 'plugins (k8saudit open_params)'],
  ['log.stderr', 'log_stderr']
]

const RULES_KEYS = ['selection', 'minPriority', 'ruleMatching', 'appendOutput', 'staticFields'] as const

function valueAt (c: Config, key: keyof Config | 'json.enabled' | 'log.stderr'): unknown {
  if (key === 'json.enabled') return c.json.enabled
  if (key === 'log.stderr') return c.log.stderr
  return c[key]
}

function same (a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

export interface ConfigReloadCounters { ok(): void, failed(): void }

function countersOn (registry: Registry): ConfigReloadCounters {
  const get = (name: string, help: string): Counter => (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, registers: [registry] })
  const ok = get('lanner_config_reloads_total', 'Config reloads applied (config file or config_files changed)')
  const failed = get('lanner_config_reload_failures_total', 'Config reloads rejected (the running config was kept)')
  return { ok: () => { ok.inc() }, failed: () => { failed.inc() } }
}

/** What changed between two configs: keys that apply live, and restart-only keys by name. */
export function diffConfig (running: Config, next: Config): { rules: boolean, format: boolean, metrics: boolean, log: boolean, files: boolean, restart: string[] } {
  return {
    rules: RULES_KEYS.some((k) => !same(running[k], next[k])),
    format: !same({ ...running.json, enabled: 0 }, { ...next.json, enabled: 0 }) || running.timeFormatIso8601 !== next.timeFormatIso8601,
    metrics: !same(running.metrics, next.metrics),
    log: running.log.level !== next.log.level,
    files: !same(running.configFiles, next.configFiles) || !same(running.loadedConfigFiles, next.loadedConfigFiles),
    restart: RESTART_ONLY.filter(([k]) => !same(valueAt(running, k), valueAt(next, k))).map(([, name]) => name)
  }
}

/** The paths a config reload watches: the main file and every config_files entry. */
export function configWatchPaths (c: Config): string[] {
  const out: string[] = []
  if (c.file !== undefined) out.push(c.file)
  for (const e of c.configFiles) out.push(e.path)
  return out
}

export interface ConfigWatcher {
  /** re-read now (tests, SIGHUP); resolves true when a new config was applied */
  reload(reason: string): Promise<boolean>
  close(): void
}

export function startConfigWatch (app: App, opts: { debounceMs?: number, signals?: boolean } = {}): ConfigWatcher {
  const log = app.logger.child({ module: 'config' })
  const counters = countersOn(app.metrics.registry)
  let watcher: RulesWatcher | undefined
  let chain: Promise<boolean> = Promise.resolve(true)
  let closed = false

  function arm (): void {
    watcher?.close()
    if (closed) return
    watcher = watchRules(configWatchPaths(app.config), function configChanged () { void reload('config files changed') }, {
      debounceMs: opts.debounceMs,
      onError: function watchFailed (err) { log.warn({ err: (err as Error).message }, 'config watch problem') }
    })
  }

  function reject (reason: string, err: unknown): false {
    counters.failed()
    const e = (typeof err === 'object' && err !== null ? err : {}) as Partial<ConfigError>
    log.error({ reason, code: e.code ?? 'ERR_CONFIG', error: typeof e.code === 'string' ? formatLocated({ code: e.code, message: e.message ?? '', location: e.location }) : String(err) }, 'config reload rejected: the running config is kept')
    return false
  }

  async function reloadOnce (reason: string): Promise<boolean> {
    const running = app.config
    let next: Config
    try {
      next = loadConfig(running.loadedWith ?? { file: running.file })
    } catch (err) {
      return reject(reason, err)
    }
    const d = diffConfig(running, next)
    if (d.rules) {
      // evaluation workers follow: the reload's ruleset reaches them with these options
      const sources = same(running.staticFields, next.staticFields) ? app.sources : await buildSources(next)
      const before = loadOptionsFrom(running, app.sources)
      app.rules.setLoadOptions(loadOptionsFrom(next, sources))
      if (!await app.rules.reload(`${reason}: rules settings changed`)) {
        app.rules.setLoadOptions(before)
        return reject(reason, new ConfigError('ERR_CONFIG_INVALID', 'the rules do not load with the new settings (see the rules reload error above)', { location: { file: next.file, itemType: 'config' } }))
      }
      app.sources = sources
    }
    // the running config keeps its restart-only parts, so it stays a true account of what runs
    const applied: Config = {
      ...running,
      selection: next.selection,
      minPriority: next.minPriority,
      ruleMatching: next.ruleMatching,
      appendOutput: next.appendOutput,
      staticFields: next.staticFields,
      json: { ...next.json, enabled: running.json.enabled },
      timeFormatIso8601: next.timeFormatIso8601,
      metrics: next.metrics,
      log: { ...next.log, stderr: running.log.stderr },
      configFiles: next.configFiles,
      loadedConfigFiles: next.loadedConfigFiles,
      warnings: next.warnings
    }
    app.config = applied
    if (d.format) app.setFormat(applied)
    if (d.log && applied.log.stderr) app.logger.level = applied.log.level
    if (d.files) arm()
    counters.ok()
    const falcoMetrics = app.metrics as Partial<FalcoMetrics>
    falcoMetrics.configReloaded?.()
    // warnings the running config already logged are not repeated at every reload
    for (const w of next.warnings) if (!running.warnings.includes(w)) log.warn({ file: next.file }, w)
    if (d.restart.length > 0) {
      log.warn({ reason, keys: d.restart }, `config changed in settings that apply only at start: restart Lanner to apply ${d.restart.join('; ')}`)
    }
    log.info({ reason, rules: d.rules, format: d.format, metrics: d.metrics, logLevel: d.log, configFiles: next.loadedConfigFiles }, 'config reloaded')
    return true
  }

  async function reloadSafely (reason: string): Promise<boolean> {
    // a reload must never take the instance down: anything unexpected is a rejected reload
    try { return await reloadOnce(reason) } catch (err) { return reject(reason, err) }
  }

  function reload (reason: string): Promise<boolean> {
    // one reload at a time, in order: a burst of edits ends on the last file state
    chain = chain.then(async () => await reloadSafely(reason))
    return chain
  }

  // Falco re-reads its config on SIGHUP; so does Lanner (rules and outputs: reload.ts)
  function onSighup (): void { void reload('SIGHUP') }
  if (opts.signals !== false) process.on('SIGHUP', onSighup)
  arm()
  return {
    reload,
    close () {
      closed = true
      watcher?.close()
      process.off('SIGHUP', onSighup)
    }
  }
}
