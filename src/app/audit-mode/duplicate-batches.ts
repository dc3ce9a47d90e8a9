// Re-deliveries of a batch already evaluated. kube-apiserver re-sends a whole batch when it did not
// get our 200 in time (its 30 s request timeout, a connection lost after we answered): the same
// list through the same deterministic codec, so the same bytes. Evaluating it again would raise
// every alert of the batch twice. A digest of each evaluated batch is kept for the apiserver's
// retry window; a byte-identical body arriving again is answered without a second evaluation and
// counted (lanner_webhook_duplicate_batches_total, lanner_webhook_duplicate_events_total).
// A re-delivery can also arrive while the first delivery is still being evaluated (the apiserver
// gave up waiting on a slow node): it waits for that evaluation and is then a duplicate like any
// other, or evaluated for real if the first one failed.
// Suppressing is safe because only identical bytes match: nothing new can be hidden. Matching by
// auditID would not be: a client chooses the auditID of its own request (the Audit-ID header), so
// a forged earlier event could mask a real later one.
// Cost: one SHA-1 per batch (~1 ms per MB of body on a 2-vCPU node, against several ms per MB to
// parse and evaluate it); no per-event work.
import { createHash } from 'node:crypto'
import type { HandleBodyResult } from '../../webhook/index.ts'
import type { AppMetrics } from '../metrics/metrics.ts'

export interface DuplicateFilterOptions {
  metrics: Pick<AppMetrics, 'duplicateBatch'>
  /** digests kept (oldest forgotten first); 4096 batches of 400 events is over an hour at 1,000 events/s */
  capacity?: number
  /** how long a digest is kept: the apiserver's five attempts span ~100 s at the default backoff */
  windowMs?: number
  now?: () => number
}

type Handle = (body: Buffer) => Promise<HandleBodyResult>

export function createDuplicateBatchFilter (opts: DuplicateFilterOptions): (handle: Handle) => Handle {
  const capacity = opts.capacity ?? 4096
  const windowMs = opts.windowMs ?? 10 * 60_000
  const now = opts.now ?? Date.now
  const seen = new Map<string, { at: number, events: number }>()
  /** evaluations in progress, by digest: a re-delivery meanwhile waits for its outcome */
  const inFlight = new Map<string, Promise<unknown>>()

  function duplicateOf (key: string): HandleBodyResult | undefined {
    const prior = seen.get(key)
    if (prior === undefined || now() - prior.at > windowMs) return undefined
    opts.metrics.duplicateBatch(prior.events)
    return { accepted: 0, rejected: 0, issues: [] }
  }

  return function withDuplicateFilter (handle) {
    return async function handleUnlessDuplicate (body) {
      const key = createHash('sha1').update(body).digest('base64')
      let running = inFlight.get(key)
      while (running !== undefined) {
        await running.catch(function failedFirst () { /* the first delivery's caller sees its error */ })
        running = inFlight.get(key)
      }
      const duplicate = duplicateOf(key)
      if (duplicate !== undefined) return duplicate
      const evaluation = handle(body)
      inFlight.set(key, evaluation)
      try {
        const result = await evaluation
        // only an evaluated batch can be evaluated twice; a batch that threw is retried for real
        if (result.accepted > 0) {
          seen.delete(key)
          seen.set(key, { at: now(), events: result.accepted })
          if (seen.size > capacity) seen.delete(seen.keys().next().value as string)
        }
        return result
      } finally {
        inFlight.delete(key)
      }
    }
  }
}
