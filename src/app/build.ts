// Composition root for one instance: config → logger, metrics, source field tables, rules,
// outputs. Starting servers or the probe is mode-specific (audit-mode.ts, syscall-mode.ts).
import type { Config } from '../config/index.ts'
import type { Alert } from '../events/index.ts'
import type { SourceDefinition } from '../fields/index.ts'
import { buildAlertFormatter, buildChannels, createDispatcher, createRateLimitedLog, type Dispatcher } from '../outputs/index.ts'
import { createLogger, type AppLogger } from './log/logger.ts'
import { createMetrics, type AppMetrics } from './metrics/metrics.ts'
import { withFalcoMetrics } from './metrics/falco-metrics.ts'
import { outputDropsAlert } from './metrics/internal-alerts.ts'
import { createRulesManager, type RulesManager } from './rules/rules-manager.ts'
import { buildSources } from './sources.ts'

export interface App {
  config: Config
  logger: AppLogger
  metrics: AppMetrics
  sources: SourceDefinition<any>[]
  rules: RulesManager
  dispatcher: Dispatcher
  /** count the alert and hand it to every output; never throws, never blocks */
  emit(alert: Alert): void
  /** swap the alert serialisation (json_include_*, time format) after a live config reload */
  setFormat(cfg: Pick<Config, 'json' | 'timeFormatIso8601'>): void
}

export interface BuildAppOptions {
  /** where the stdout output writes (tests, CLI io) */
  stdout?: NodeJS.WritableStream
  /** where logs go (default stderr) */
  logDest?: NodeJS.WritableStream | number
  logger?: AppLogger
  /** process metrics (CPU, heap) are useless in short-lived commands such as replay */
  defaultMetrics?: boolean
}

export async function buildApp (config: Config, opts: BuildAppOptions = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config.log, opts.logDest)
  for (const w of config.warnings) logger.warn({ file: config.file }, w)
  // Falco's falcosecurity_* names next to Lanner's (metrics.enabled); reads the live config
  let app: App | undefined
  const metrics = withFalcoMetrics(createMetrics({ defaultMetrics: opts.defaultMetrics }), () => app?.config ?? config, () => app?.rules.inputs())
  const sources = await buildSources(config)
  const outLog = logger.child({ module: 'outputs' })
  // one line per interval however many children fail (a program failing per alert would log per alert)
  const exitLog = createRateLimitedLog(outLog)
  const channels = buildChannels(config.outputs, {
    json: config.json.enabled,
    stdout: opts.stdout,
    onProgramExit: function programExited (info) {
      const failed = info.code !== 0
      metrics.programExit(failed)
      // a kept-alive program that stops by itself is worth a warning; one we ended on SIGHUP is not
      if (failed || (info.keepAlive && info.requested !== true)) {
        exitLog.warn(failed ? 'program-exit-failed' : 'program-exit', { code: info.code, signal: info.signal, keepAlive: info.keepAlive }, 'program output exited')
      }
    }
  })
  let format = buildAlertFormatter(config)
  const dispatcher = createDispatcher({
    channels,
    format: function formatAlert (alert) { return format(alert) },
    queueSize: config.outputs.queueSize,
    logger: outLog,
    hooks: metrics.outputHooks,
    onDropSummary: function outputDropped (s) { emitAlert(outputDropsAlert(BigInt(Date.now()) * 1_000_000n, s)) }
  })
  metrics.watchOutputQueues(dispatcher.depths)
  function emitAlert (alert: Alert): void {
    metrics.alert(alert)
    dispatcher.emit(alert)
  }
  // the rules manager raises internal alerts (rejected rules inputs) through the same outputs
  const rules = createRulesManager(config, sources, logger, metrics, emitAlert)
  app = {
    config,
    logger,
    metrics,
    sources,
    rules,
    dispatcher,
    emit: emitAlert,
    setFormat (cfg) { format = buildAlertFormatter(cfg) }
  }
  return app
}
