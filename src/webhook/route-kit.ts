// What the webhook route's pieces share: the server's context, per-request admission slots, and
// the two answer helpers (throttled warnings, Retry-After replies).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ErrorCode } from '../errors/index.ts'
import type { Admission, AdmissionSlot } from './admission.ts'
import type { LogThrottle } from './log-throttle.ts'
import type { UploadPace } from './upload-pace.ts'
import { sendError } from './replies.ts'
import type { Logger } from '../events/index.ts'
import type { HandleBodyResult, UnusableBatch, WebhookMetrics, WebhookOptions } from './types.ts'

/** What the route's functions share; built once by the server. */
export interface RouteContext {
  opts: WebhookOptions
  log: Logger
  metrics: WebhookMetrics
  handleBody: (body: Buffer) => Promise<HandleBodyResult>
  admission: Admission
  /** the minimum upload rate */
  pace: UploadPace
  throttle: LogThrottle
  /** a body that can never become audit events (WebhookDeps.onUnusableBatch) */
  onUnusableBatch?: ((batch: UnusableBatch) => void) | undefined
  checkBearer: ((authorization: string | undefined) => boolean) | undefined
  /** Basic username/password; with checkBearer, either one admits the request */
  checkBasic?: ((authorization: string | undefined) => boolean) | undefined
  isClosing: () => boolean
}

export interface RouteKit {
  ctx: RouteContext
  /** the admission slot of each admitted request */
  slots: WeakMap<FastifyRequest, AdmissionSlot>
  /** when each request's first byte arrived (process.hrtime.bigint) */
  arrivals: WeakMap<FastifyRequest, bigint>
  /** warn at most once per interval per code; debug otherwise */
  warnThrottled(code: string, fields: object, msg: string): void
  /** 429/503 with Retry-After */
  retryLater(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply
}

export function createRouteKit (ctx: RouteContext): RouteKit {
  const retryAfter = String(ctx.opts.retryAfterSeconds)
  return {
    ctx,
    slots: new WeakMap(),
    arrivals: new WeakMap(),
    warnThrottled (code, fields, msg) {
      const suppressed = ctx.throttle.take(code)
      if (suppressed !== undefined) ctx.log.warn({ ...fields, code, suppressed }, msg)
      else ctx.log.debug({ ...fields, code }, msg)
    },
    retryLater (reply, code, message) {
      reply.header('retry-after', retryAfter)
      return sendError(reply, code, message)
    }
  }
}
