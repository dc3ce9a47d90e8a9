// Bodies that retrying can never fix, and the answers that fit a client that retries everything.
// kube-apiserver retries ANY error or non-2xx five times over 80-100 s, then drops the batch with
// an error line (its apiserver_audit_error_total counts the events):
// - a body that is not JSON or not audit data: re-sending the same bytes cannot help, so it is
//   acknowledged with 200 and a body naming the problem; the loss is reported once, here.
// - a body over max_body_bytes (or over max_body_values): 413, kept. Lanner did not read (or
//   parse) it, so it cannot say which events were in it; the apiserver can (its error line lists
//   them) and the fix is on its side (--audit-webhook-truncate-enabled bounds each event to
//   100 KiB, so batch-max-size x 100 KiB fits the default 64 MiB; smaller batches). Its five
//   attempts are reported once: same client address and Content-Length within the retry window.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RouteContext } from './route-kit.ts'

const JSON_TYPE = 'application/json; charset=utf-8'

/** Acknowledges a body that holds no audit data: 200, so the apiserver does not send it four more times. */
export function acknowledgeUnusable (ctx: RouteContext, request: FastifyRequest, reply: FastifyReply, code: string, message: string, bytes: number): FastifyReply {
  ctx.onUnusableBatch?.({ reason: code, message, bytes, remote: request.ip, status: 200 })
  return reply.code(200).type(JSON_TYPE).send({
    accepted: 0,
    rejected: 0,
    code,
    message: `not usable as audit data; acknowledged so that it is not re-sent: ${message}`
  })
}

// kube-apiserver's five attempts span ~100 s at the default 10 s initial backoff and ~490 s at
// 60 s; ten minutes covers any sensible --audit-webhook-initial-backoff
const RETRY_WINDOW_MS = 10 * 60_000
const MAX_REMEMBERED = 1024

/** Remembers oversize requests by client address and Content-Length, so retries are not new batches. */
export function createOversizeMemory (now: () => number = Date.now): { firstSighting(remote: string, contentLength: string | undefined): boolean } {
  const seen = new Map<string, number>()
  return {
    firstSighting (remote, contentLength) {
      // a chunked body has no length to recognise it by: each one counts
      if (contentLength === undefined) return true
      const t = now()
      const key = `${remote} ${contentLength}`
      const at = seen.get(key)
      if (at !== undefined && t - at <= RETRY_WINDOW_MS) return false
      seen.delete(key)
      seen.set(key, t)
      if (seen.size > MAX_REMEMBERED) seen.delete(seen.keys().next().value as string)
      return true
    }
  }
}

const memories = new WeakMap<RouteContext, ReturnType<typeof createOversizeMemory>>()

/**
 * A 413 is about to be answered (body over max_body_bytes, or over max_body_values): report it
 * when it is not a retry of one already reported.
 */
export function noteOversize (ctx: RouteContext, request: FastifyRequest, reason = 'ERR_WEBHOOK_TOO_LARGE',
  message = `request body over the limit of ${ctx.opts.maxBodyBytes} bytes (lanner.webhook.max_body_bytes)`): void {
  let memory = memories.get(ctx)
  if (memory === undefined) { memory = createOversizeMemory(); memories.set(ctx, memory) }
  const length = request.headers['content-length']
  if (!memory.firstSighting(`${reason} ${request.ip}`, length)) return
  ctx.onUnusableBatch?.({ reason, message, bytes: Number(length ?? 0), remote: request.ip, status: 413 })
}
