// Fans each alert out to every channel: formats it once, pushes it into each channel's bounded,
// priority-ordered queue and returns at once. Implements the engine's AlertSink; never throws,
// never waits. Drops are counted per rule and summarised as one log line per output and interval
// ("N alerts of rule X dropped"), so a flood shows up as one fact rather than as silence.
import type { Alert, AlertSink } from '../events/index.ts'
import { createChannelQueue, type ChannelQueue, type QueuedAlert } from './channel-queue.ts'
import { createDropTally, type DropSummary } from './drop-tally.ts'
import { createRateLimitedLog } from './rate-limited-log.ts'
import type { Logger } from '../events/index.ts'
import type { AlertFormatter, OutputChannel, OutputHooks } from './types.ts'

export interface DispatcherOptions {
  channels: readonly OutputChannel[]
  format: AlertFormatter
  /** per-channel queue capacity, in alerts */
  queueSize: number
  logger: Logger
  hooks?: OutputHooks
  /** minimum time between two log lines about the same channel problem */
  logIntervalMs?: number
  /**
   * each output's drop summary (at most one per output and interval): the app raises an internal
   * alert from it. Not called after close(), nor for drops of internal alerts only
   */
  onDropSummary?(summary: DropSummary): void
}

export interface Dispatcher extends AlertSink {
  /** alerts queued in all channels */
  pending(): number
  /** alerts queued per output: the lanner_output_queue_depth gauge */
  depths(): Array<{ output: string, depth: number }>
  /** wait until every queue is empty, at most `timeoutMs`; resolves true when fully drained */
  flush(timeoutMs: number): Promise<boolean>
  /**
   * flush with a deadline, count whatever is left as dropped, close every channel and count what
   * is still in flight as failed: every alert ends as delivered, failed or dropped
   */
  close(timeoutMs: number): Promise<boolean>
  /** SIGHUP: reopen files and restart kept-alive programs */
  reopen(): void
}

function errorText (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** How long close() waits for a batch in flight after its channel was closed (children killed, sockets destroyed). */
const IN_FLIGHT_GRACE_MS = 2000

export function createDispatcher (opts: DispatcherOptions): Dispatcher {
  const log = createRateLimitedLog(opts.logger, opts.logIntervalMs)
  const hooks = opts.hooks ?? {}
  let closing = false
  const tally = createDropTally({
    logger: opts.logger,
    intervalMs: opts.logIntervalMs ?? 10000,
    queueSize: opts.queueSize,
    onSummary (s) {
      // an alert about dropped internal alerts would only be dropped in turn
      if (closing || s.onlyInternal || opts.onDropSummary === undefined) return
      const raise = opts.onDropSummary
      // after the push that dropped: the summary's alert is emitted, never re-entered into a queue mid-push
      queueMicrotask(function raiseDropSummary () {
        try { raise(s) } catch { /* the summary is logged already */ }
      })
    }
  })
  const queues: ChannelQueue[] = opts.channels.map(function queueFor (ch) {
    return createChannelQueue(ch, opts.queueSize, {
      delivered (n) { hooks.delivered?.(ch.name, n) },
      failed (n, err) {
        hooks.failed?.(ch.name, n, err)
        log.error(`fail:${ch.name}`, { output: ch.name, alerts: n, err: errorText(err), code: 'ERR_OUTPUT_FAILED' }, `output ${ch.name} failed to deliver alerts`)
      },
      dropped (alerts) {
        hooks.dropped?.(ch.name, alerts.length)
        for (const a of alerts) hooks.droppedRule?.(ch.name, a.rule, a.priority, 1)
        tally.add(ch.name, alerts)
      }
    })
  })

  function emit (alert: Alert): void {
    let line: string
    try {
      line = opts.format(alert)
    } catch (err) {
      // a formatter bug must not take the webhook down; the alert is still accounted for
      for (const q of queues) hooks.failed?.(q.name, 1, err)
      log.error('format', { rule: alert.rule, err: errorText(err) }, 'alert could not be formatted')
      return
    }
    const queued: QueuedAlert = { line, priority: alert.priority, rule: alert.rule, internal: alert.source === 'internal' }
    // after close() the queues are closed too: push() counts the drop
    for (const q of queues) q.push(queued)
  }

  async function flush (timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<false>((resolve) => { timer = setTimeout(resolve, timeoutMs, false) })
    const drained = Promise.all(queues.map(async (q) => { await q.idle() })).then(() => true as const)
    try {
      return await Promise.race([drained, deadline])
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    emit,
    pending: () => queues.reduce((n, q) => n + q.length, 0),
    depths: () => queues.map((q) => ({ output: q.name, depth: q.length })),
    flush,
    async close (timeoutMs) {
      closing = true
      const drained = await flush(timeoutMs)
      for (const q of queues) {
        const lost = q.discard()
        if (lost > 0) opts.logger.error({ output: q.name, alerts: lost, code: 'ERR_OUTPUT_FAILED' }, `output ${q.name} did not drain before the shutdown deadline`)
      }
      const abandoned = await Promise.all(queues.map(async (q) => {
        try { return await q.close(IN_FLIGHT_GRACE_MS) } catch { return 0 }
      }))
      abandoned.forEach((n, i) => {
        if (n > 0) opts.logger.error({ output: queues[i]?.name, alerts: n, code: 'ERR_OUTPUT_FAILED' }, `output ${queues[i]?.name} still had alerts in flight at shutdown: counted as failed`)
      })
      tally.close()
      return drained
    },
    reopen () {
      for (const ch of opts.channels) ch.reopen?.()
    }
  }
}
