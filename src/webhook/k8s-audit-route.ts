// The POST <path> route and everything around it: request checks in onRequest (auth, content type,
// admission), the raw-body parser, the batch handler and the error/404/405 answers.
//
//   onRequest: count → 404/405 → bearer/client cert (401) → content type (400) → closing (503) / full (429)
//   body: raw Buffer, bodyLimit → 413 on Content-Length or while streaming
//   handler: handleBody → 200 {accepted, rejected} | 400 body-level issue | 429/503 AppError | 500 rejection
import type { TLSSocket } from 'node:tls'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, type ErrorCode } from '../errors/index.ts'
import type { Admission, AdmissionSlot } from './admission.ts'
import type { LogThrottle } from './log-throttle.ts'
import { errorBody, judgeBatch, sendError } from './replies.ts'
import type { HandleBodyResult, WebhookLogger, WebhookMetrics, WebhookOptions } from './types.ts'

/** What the route's functions share; built once by the server. */
export interface RouteContext {
  opts: WebhookOptions
  log: WebhookLogger
  metrics: WebhookMetrics
  handleBody: (body: Buffer) => Promise<HandleBodyResult>
  admission: Admission
  throttle: LogThrottle
  checkBearer: ((authorization: string | undefined) => boolean) | undefined
  isClosing: () => boolean
  /** called after each answer while closing, so finished keep-alive connections let close() end */
  onAnsweredWhileClosing: () => void
}

const EMPTY = Buffer.alloc(0)
const JSON_TYPE = 'application/json; charset=utf-8'

function pathOf (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

function hasUnverifiedClientCert (request: FastifyRequest): boolean {
  const socket = request.raw.socket as Partial<TLSSocket>
  if (typeof socket.getPeerCertificate !== 'function') return false
  const peer = socket.getPeerCertificate()
  return peer !== null && Object.keys(peer).length > 0 && socket.authorized !== true
}

export function registerK8sAuditRoute (app: FastifyInstance, ctx: RouteContext): void {
  const { opts, log, metrics, admission, throttle } = ctx
  const slots = new WeakMap<FastifyRequest, AdmissionSlot>()
  const retryAfter = String(opts.retryAfterSeconds)
  const requestClientCert = opts.tls?.clientAuth === 'request'

  function warnThrottled (code: string, fields: object, msg: string): void {
    const suppressed = throttle.take(code)
    if (suppressed !== undefined) log.warn({ ...fields, code, suppressed }, msg)
    else log.debug({ ...fields, code }, msg)
  }

  function retryLater (reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
    reply.header('retry-after', retryAfter)
    return sendError(reply, code, message)
  }

  // Replying here, before the body is read, keeps unknown paths from costing a buffered body.
  async function webhookRouteUnknown (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (!request.is404) return undefined
    const pathname = pathOf(request.url)
    if (pathname === opts.path) {
      reply.header('allow', 'POST')
      return sendError(reply, 'ERR_WEBHOOK_METHOD', `${request.method} is not allowed on ${opts.path}; use POST`)
    }
    return sendError(reply, 'ERR_WEBHOOK_NOT_FOUND', `nothing at ${request.method} ${pathname}; audit batches go to POST ${opts.path}`)
  }

  async function webhookCountBatch (): Promise<void> {
    metrics.batchReceived()
  }

  async function webhookAuthenticate (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (ctx.checkBearer !== undefined && !ctx.checkBearer(request.headers.authorization)) {
      warnThrottled('ERR_WEBHOOK_UNAUTHORIZED', { remote: request.ip }, 'webhook request without the right bearer token')
      reply.header('www-authenticate', 'Bearer')
      return sendError(reply, 'ERR_WEBHOOK_UNAUTHORIZED', 'missing or wrong bearer token')
    }
    if (requestClientCert && hasUnverifiedClientCert(request)) {
      warnThrottled('ERR_WEBHOOK_UNAUTHORIZED', { remote: request.ip }, 'webhook client certificate does not verify against the CA')
      return sendError(reply, 'ERR_WEBHOOK_UNAUTHORIZED', 'client certificate does not verify against the configured CA')
    }
    return undefined
  }

  async function webhookCheckContentType (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const type = request.headers['content-type']
    // a substring check, as Falco's plugin does: "application/json; charset=utf-8" passes
    if (typeof type === 'string' && type.toLowerCase().includes('application/json')) return undefined
    warnThrottled('ERR_WEBHOOK_CONTENT_TYPE', { contentType: type }, 'webhook request is not JSON')
    return sendError(reply, 'ERR_WEBHOOK_CONTENT_TYPE', `Content-Type must contain application/json (got ${type === undefined ? 'none' : JSON.stringify(type)})`)
  }

  async function webhookAdmit (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (ctx.isClosing()) return retryLater(reply, 'ERR_WEBHOOK_SHUTTING_DOWN', 'shutting down; retry later')
    const slot = admission.tryAcquire()
    if (slot === undefined) {
      warnThrottled('ERR_WEBHOOK_OVERLOADED', { inFlight: admission.inFlight }, 'webhook overloaded: answering 429 so the apiserver retries later')
      return retryLater(reply, 'ERR_WEBHOOK_OVERLOADED', `${opts.maxInFlightBatches} batches already in flight; retry later`)
    }
    slots.set(request, slot)
    // A batch that never reaches the handler (413, aborted upload) frees its slot with its response.
    reply.raw.once('close', function webhookReleaseUnread () {
      if (!slot.busy) slot.release()
    })
    return undefined
  }

  async function webhookReceiveBatch (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const slot = slots.get(request)
    slot?.markBusy()
    const body = Buffer.isBuffer(request.body) ? request.body : EMPTY
    let result: HandleBodyResult
    try {
      result = await ctx.handleBody(body)
    } catch (err) {
      // handleBody may itself ask for back-pressure (rules not loaded yet, outputs saturated)
      if (err instanceof AppError && (err.statusCode === 429 || err.statusCode === 503)) {
        warnThrottled(err.code, { bytes: body.length, reason: err.message }, 'batch handler asked the apiserver to retry later')
        return retryLater(reply, err.code, err.message)
      }
      log.error({ err, bytes: body.length }, 'batch evaluation failed; answering 500 so the apiserver retries')
      return sendError(reply, 'ERR_WEBHOOK_HANDLER_FAILED', 'batch evaluation failed; retry later')
    } finally {
      slot?.release()
    }
    recordResult(result, body.length)
    const verdict = judgeBatch(result)
    if (!verdict.ok) return reply.code(400).type(JSON_TYPE).send(errorBody(400, verdict.code, verdict.message))
    return reply.code(200).type(JSON_TYPE).send({ accepted: result.accepted, rejected: result.rejected })
  }

  function recordResult (result: HandleBodyResult, bytes: number): void {
    metrics.events(result.accepted, result.rejected)
    for (const issue of result.issues) metrics.issue(issue.code)
    log.debug({ bytes, accepted: result.accepted, rejected: result.rejected }, 'batch evaluated')
    const first = result.issues[0]
    if (first === undefined) return
    // Bad events cannot be fixed by a retry: they are answered 200, counted, and logged here.
    warnThrottled(first.code, {
      bytes, accepted: result.accepted, rejected: result.rejected, issues: result.issues.length, first
    }, 'audit batch had events that could not be used')
  }

  function webhookOnError (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      warnThrottled('ERR_WEBHOOK_TOO_LARGE', { limit: opts.maxBodyBytes, contentLength: request.headers['content-length'] },
        'audit batch over the maximum body size: raise the limit or enable --audit-webhook-truncate-enabled')
      // no point reading the rest of an oversized body
      reply.header('connection', 'close')
      return sendError(reply, 'ERR_WEBHOOK_TOO_LARGE', `request body over the limit of ${opts.maxBodyBytes} bytes`)
    }
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) {
      warnThrottled('ERR_WEBHOOK_BAD_REQUEST', { fastifyCode: err.code }, 'webhook request body could not be read')
      return sendError(reply, 'ERR_WEBHOOK_BAD_REQUEST', err.message)
    }
    log.error({ err }, 'webhook request failed')
    return sendError(reply, 'ERR_WEBHOOK_HANDLER_FAILED', 'internal error; retry later')
  }

  async function webhookAnswered (_request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (ctx.isClosing()) ctx.onAnsweredWhileClosing()
  }

  async function webhookObserveAnswer (_request: FastifyRequest, reply: FastifyReply): Promise<void> {
    metrics.batchAnswered(reply.statusCode, reply.elapsedTime / 1000)
  }

  app.removeAllContentTypeParsers()
  // The body reaches handleBody as the bytes received: JSON is parsed exactly once, by the decoder.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, function webhookRawBody (_request, body, done) {
    done(null, body)
  })
  app.setErrorHandler(webhookOnError)
  app.addHook('onRequest', webhookRouteUnknown)
  app.addHook('onResponse', webhookAnswered)
  app.route({
    method: 'POST',
    url: opts.path,
    onRequest: [webhookCountBatch, webhookAuthenticate, webhookCheckContentType, webhookAdmit],
    onResponse: webhookObserveAnswer,
    handler: webhookReceiveBatch
  })
}
