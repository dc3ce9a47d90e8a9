// The life of a serving instance: first rules load, start the mode, reload triggers, and the
// SIGTERM sequence (stop accepting → finish in-flight batches → flush outputs → exit 0).
import type { App } from './build.ts'
import { startAuditMode, type RunningMode } from './audit-mode/audit-mode.ts'
import { startReloadTriggers } from './reload/reload.ts'
import { k8sOptionsOf, startConfigMapRules } from './rules/configmap-rules.ts'
import { logRulesWarnings } from './rules/rules-manager.ts'
import { formatLoadIssue } from '../rules/index.ts'
import { startConfigWatch } from './reload/config-reload.ts'
import { startMetricsSnapshots } from './metrics/metrics-snapshot.ts'

export interface ServiceOptions {
  /** where start-up errors are printed for people (the CLI's stderr) */
  onFatal(line: string): void
  /** resolves when the instance should stop (default: SIGTERM or SIGINT) */
  stopSignal?: Promise<string>
  /** called once serving, with the bound ports (tests) */
  onReady?(mode: RunningMode): void
}

function waitForSignal (): Promise<string> {
  return new Promise((resolve) => {
    function onStop (sig: string): void {
      process.off('SIGTERM', onStop)
      process.off('SIGINT', onStop)
      resolve(sig)
    }
    process.on('SIGTERM', onStop)
    process.on('SIGINT', onStop)
  })
}

async function startMode (app: App): Promise<RunningMode> {
  if (app.config.source === 'k8s_audit') return await startAuditMode(app)
  const { startSyscallMode } = await import('./syscall-mode/syscall-mode.ts')
  return await startSyscallMode(app)
}

/**
 * fd.*ip.name (syscall fields) compare with names resolved in the background: one that does not
 * resolve leaves its rules unable to match, which the operator must see. The syscall module loads
 * only in syscall mode (buildSources has loaded it by now), so audit mode never pays for it.
 */
async function reportDnsProblems (log: App['logger']): Promise<void> {
  const { onDnsProblem } = await import('../syscall/index.ts')
  onDnsProblem(function logDnsProblem (p) { log.warn({ name: p.name, error: p.error }, 'a domain name the rules compare fd.*ip.name with does not resolve') })
}

/**
 * SIGHUP's default action ends the process. Outside the window where reload.ts handles it, that
 * would kill an instance still loading or still draining the alerts of batches answered 200 (a
 * log rotator's HUP lands anywhere). Before serving, a SIGHUP asks for a reload after the first
 * load (so an edit made meanwhile is not missed); once shutting down it is logged and ignored.
 */
function guardSighup (app: App): { serving(on: boolean): void, close(): void } {
  let phase: 'starting' | 'serving' | 'stopping' = 'starting'
  function sighupOutsideServing (): void {
    if (phase === 'serving') return
    if (phase === 'stopping') { app.logger.info({}, 'SIGHUP ignored: shutting down'); return }
    app.logger.info({}, 'SIGHUP during start-up: rules reload once the first load is done')
    app.rules.reload('SIGHUP').catch(function reloadFailed (err: unknown) { app.logger.error({ err: (err as Error).message }, 'rules reload failed') })
  }
  process.on('SIGHUP', sighupOutsideServing)
  return {
    serving (on) { phase = on ? 'serving' : 'stopping' },
    close () { process.off('SIGHUP', sighupOutsideServing) }
  }
}

/** Serve until stopped; returns the exit code. */
export async function runService (app: App, opts: ServiceOptions): Promise<number> {
  const sighup = guardSighup(app)
  try {
    return await serveUntilStopped(app, opts, sighup)
  } finally {
    sighup.close()
  }
}

async function serveUntilStopped (app: App, opts: ServiceOptions, sighup: ReturnType<typeof guardSighup>): Promise<number> {
  const log = app.logger
  const stopSignal = opts.stopSignal ?? waitForSignal()
  const configMaps = await startConfigMapRules(app, k8sOptionsOf(app))
  if (app.config.source === 'syscall') await reportDnsProblems(log)
  // a bad custom rules file must not crash-loop the pod: start with what loads, loudly (see
  // rules-manager.ts), unless lanner.rules_strict asks for the exit
  const result = await app.rules.load({ degraded: !app.config.rulesStrict })
  logRulesWarnings(log, result.warnings)
  if (!result.ok) {
    for (const e of result.errors) opts.onFatal(formatLoadIssue(e).trimEnd())
    configMaps.close()
    return 1
  }
  const loaded = { source: app.config.source, rules: result.ruleset?.rules.length, active: result.ruleset?.activeCount(app.config.source), paths: app.rules.paths }
  if (result.rejected.length === 0) log.info(loaded, 'rules loaded')
  else log.warn({ ...loaded, rejected: result.rejected.map((r) => r.name) }, 'rules loaded without the rejected inputs (set lanner.rules_strict to exit instead)')
  let mode: RunningMode
  try {
    mode = await startMode(app)
  } catch (err) {
    configMaps.close()
    throw err
  }
  const triggers = startReloadTriggers(app)
  // falco.yaml and its config_files reload live like the rules (watch_config_files)
  const configWatch = app.config.watchConfigFiles && app.config.file !== undefined ? startConfigWatch(app) : undefined
  const snapshots = startMetricsSnapshots(app)
  sighup.serving(true)
  opts.onReady?.(mode)
  const sig = await stopSignal
  log.info({ signal: sig }, 'shutting down: finishing in-flight work and flushing outputs')
  sighup.serving(false)
  triggers.close()
  configWatch?.close()
  snapshots.close()
  configMaps.close()
  await mode.stop()
  const drained = await app.dispatcher.close(app.config.outputs.drainTimeoutMs)
  log.info({ drained }, 'stopped')
  return 0
}

