// Offline replay for `lanner replay`: the same config, rules and outputs as serve, over audit
// files instead of the webhook. Alerts go to the outputs; the summary lines are returned for the
// CLI to print. Malformed input is reported, never fatal.
import type { Config } from '../../config/index.ts'
import type { AuditIssue } from '../../audit/index.ts'
import { formatLoadIssue } from '../../rules/index.ts'
import type { Dispatcher } from '../../outputs/index.ts'
import { buildApp } from '../build.ts'
import type { AppLogger } from '../log/logger.ts'
import { describeIssues } from '../rules/rules-manager.ts'
import { replayAudit, type ReplaySummary } from './replay-audit.ts'

export interface ReplayRun {
  /** 0, or 1 when the rules did not load */
  code: number
  /** people-facing lines for stderr: load errors, or the summary */
  report: string[]
}

function where (i: AuditIssue): string {
  const file = i.file ?? ''
  if (i.line !== undefined) return `${file}:${i.line}`
  if (i.index !== undefined) return `${file} (event #${i.index + 1})`
  return file
}

export function formatReplaySummary (s: ReplaySummary): string[] {
  const lines = [`replay: ${s.events} event(s) read from ${s.files.length} file(s), ${s.alerts} alert(s)`]
  const rules = Object.entries(s.rules).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  for (const [rule, n] of rules) lines.push(`  ${String(n).padStart(7)}  ${rule}`)
  const cut = s.truncated
  if (cut.events > 0) {
    lines.push(`replay: ${cut.events} event(s) truncated by the apiserver (audit.k8s.io/truncated: requestObject/responseObject removed); ` +
      `${cut.neededByRules} reached rules that read those objects and could not match them`)
  }
  if (s.issues.length > 0) {
    lines.push(`replay: ${s.issues.length} problem(s) skipped:`)
    for (const i of s.issues) lines.push(`  ${where(i)}: ${i.code}: ${i.message}`)
  }
  return lines
}

/**
 * Unlike serve, whose webhook must never wait on a sink, a replay can wait: once the output queues
 * are half full it pauses until they drain, so `lanner replay big.log | slow-consumer` loses
 * nothing. An output that makes no progress for `stallMs` ends the waiting (its queue then drops,
 * counted and logged as in serve) so that a dead sink cannot hang the replay forever.
 */
function outputPacer (dispatcher: Pick<Dispatcher, 'pending' | 'flush'>, queueSize: number, stallMs: number, log: AppLogger): () => Promise<void> | undefined {
  const highWater = Math.max(1, Math.floor(queueSize / 2))
  let stalled = false
  async function waitForOutputs (): Promise<void> {
    if (await dispatcher.flush(stallMs)) return
    stalled = true
    log.warn({ stallMs, pending: dispatcher.pending() }, 'outputs stalled: replay goes on without waiting for them; alerts beyond their queues are dropped and counted')
  }
  return function paceReplay () {
    if (stalled) return undefined
    const pending = dispatcher.pending()
    if (pending < highWater) return undefined
    // at debug: with a slow consumer this is once every queue_size/2 alerts
    log.debug({ pending, highWater }, 'replay paused: outputs are half full; reading resumes once they drain')
    return waitForOutputs()
  }
}

/** `logDest`: where logs go (default fd 2, as in serve) */
export async function runReplay (config: Config, paths: readonly string[], io: { stdout: NodeJS.WritableStream, stdin: NodeJS.ReadableStream, logDest?: NodeJS.WritableStream }): Promise<ReplayRun> {
  // a replay is a batch job: no process metrics, no admin or webhook server
  const app = await buildApp(config, { stdout: io.stdout, logDest: io.logDest, defaultMetrics: false })
  const loaded = await app.rules.load()
  for (const w of describeIssues(loaded.warnings)) app.logger.debug({ warning: w }, 'rules warning')
  if (!loaded.ok || loaded.ruleset === undefined) {
    await app.dispatcher.close(1000)
    return { code: 1, report: loaded.errors.map((e) => formatLoadIssue(e).trimEnd()) }
  }
  const summary = await replayAudit({
    paths,
    ruleset: loaded.ruleset,
    emit: app.emit,
    maxEventBytes: config.webhook.maxEventBytes,
    stdin: io.stdin,
    pace: outputPacer(app.dispatcher, config.outputs.queueSize, config.outputs.drainTimeoutMs, app.logger)
  })
  const drained = await app.dispatcher.close(config.outputs.drainTimeoutMs)
  const report = formatReplaySummary(summary)
  if (!drained) report.push('replay: some alerts could not be delivered before the deadline')
  return { code: 0, report }
}
