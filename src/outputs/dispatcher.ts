// Fans each alert out to every channel: formats it once, pushes the line into each channel's
// bounded queue and returns at once. Implements the engine's AlertSink; never throws, never waits.
import type { Alert, AlertSink } from '../events/index.ts'
import { createChannelQueue, type ChannelQueue } from './channel-queue.ts'
import { createRateLimitedLog } from './rate-limited-log.ts'
import type { AlertFormatter, Logger, OutputChannel, OutputHooks } from './types.ts'

export interface DispatcherOptions {
  channels: readonly OutputChannel[]
  format: AlertFormatter
  /** per-channel queue capacity, in alerts */
  queueSize: number
  logger: Logger
  hooks?: OutputHooks
  /** minimum time between two log lines about the same channel problem */
  logIntervalMs?: number
}

export interface Dispatcher extends AlertSink {
  /** alerts queued in all channels */
  pending(): number
  /** wait until every queue is empty, at most `timeoutMs`; resolves true when fully drained */
  flush(timeoutMs: number): Promise<boolean>
  /** flush with a deadline, count whatever is left as dropped, then close every channel */
  close(timeoutMs: number): Promise<boolean>
  /** SIGHUP: reopen files and restart kept-alive programs */
  reopen(): void
}

function errorText (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export function createDispatcher (opts: DispatcherOptions): Dispatcher {
  const log = createRateLimitedLog(opts.logger, opts.logIntervalMs)
  const hooks = opts.hooks ?? {}
  const queues: ChannelQueue[] = opts.channels.map(function queueFor (ch) {
    return createChannelQueue(ch, opts.queueSize, {
      delivered (n) { hooks.delivered?.(ch.name, n) },
      failed (n, err) {
        hooks.failed?.(ch.name, n, err)
        log.error(`fail:${ch.name}`, { output: ch.name, alerts: n, err: errorText(err), code: 'ERR_OUTPUT_FAILED' }, `output ${ch.name} failed to deliver alerts`)
      },
      dropped (n) {
        hooks.dropped?.(ch.name, n)
        log.warn(`drop:${ch.name}`, { output: ch.name, alerts: n, queueSize: opts.queueSize, code: 'ERR_OUTPUT_QUEUE_FULL' }, `output ${ch.name} queue full or closed: alerts dropped`)
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
    // after close() the queues are closed too: push() counts and logs the drop
    for (const q of queues) q.push(line)
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
    flush,
    async close (timeoutMs) {
      const drained = await flush(timeoutMs)
      for (const q of queues) {
        const lost = q.discard()
        if (lost > 0) opts.logger.error({ output: q.name, alerts: lost, code: 'ERR_OUTPUT_FAILED' }, `output ${q.name} did not drain before the shutdown deadline`)
      }
      await Promise.allSettled(queues.map(async (q) => { await q.close() }))
      return drained
    },
    reopen () {
      for (const ch of opts.channels) ch.reopen?.()
    }
  }
}
