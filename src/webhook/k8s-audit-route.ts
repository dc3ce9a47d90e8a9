// The POST <path> route: the raw-body parser, the batch handler, and the error answers; the
// header checks that run first live in request-checks.ts.
//
//   onRequest: 404/405 → count → bearer/client cert (401) → content type (400) → closing (503) / full (429: batches, or Content-Length over the byte budget)
//   body: raw Buffer, bodyLimit → 413 on Content-Length or while streaming; a chunked body crossing
//         the in-flight byte budget → 429 while streaming
//   handler: handleBody → 200 {accepted, rejected} | 200 {code, message} not audit data, acknowledged | 429/503 AppError | 500 rejection
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../errors/index.ts'
import { judgeBatch, sendError } from './replies.ts'
import { buildRequestChecks, OVER_BUDGET } from './request-checks.ts'
import { createRouteKit, type RouteContext, type RouteKit } from './route-kit.ts'
import { acknowledgeUnusable, noteOversize } from './unusable-batches.ts'
import type { HandleBodyResult } from './types.ts'

export type { RouteContext } from './route-kit.ts'

const EMPTY = Buffer.alloc(0)
const JSON_TYPE = 'application/json; charset=utf-8'

function buildBatchHandler (kit: RouteKit): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  const { ctx, warnThrottled, retryLater } = kit
  const { log, metrics } = ctx

  async function webhookReceiveBatch (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const slot = kit.slots.get(request)
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
    if (!verdict.ok) return acknowledgeUnusable(ctx, request, reply, verdict.code, verdict.message, body.length)
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

  return webhookReceiveBatch
}

function buildErrorHandler (kit: RouteKit): (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  const { ctx, warnThrottled, retryLater } = kit
  const { opts, log } = ctx

  function webhookOnError (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      warnThrottled('ERR_WEBHOOK_TOO_LARGE', { limit: opts.maxBodyBytes, contentLength: request.headers['content-length'] },
        'audit batch over the maximum body size (lanner.webhook.max_body_bytes): raise it. The apiserver flag ' +
        '--audit-webhook-truncate-enabled also avoids this, at a cost: events over 100 KiB then arrive without ' +
        'requestObject/responseObject, so the rules that read pod specs, RBAC objects or ConfigMaps cannot match them ' +
        '(counted in lanner_audit_truncated_events_total)')
      // no point reading the rest of an oversized body
      reply.header('connection', 'close')
      noteOversize(ctx, request)
      return sendError(reply, 'ERR_WEBHOOK_TOO_LARGE', `request body over the limit of ${opts.maxBodyBytes} bytes`)
    }
    if (err.code === OVER_BUDGET) {
      warnThrottled('ERR_WEBHOOK_OVERLOADED', { inFlight: ctx.admission.inFlight, inFlightBytes: ctx.admission.inFlightBytes },
        'chunked audit batch crossed the in-flight byte budget while arriving: answering 429 so the apiserver retries later')
      // the rest of the body is not read
      reply.header('connection', 'close')
      return retryLater(reply, 'ERR_WEBHOOK_OVERLOADED', err.message)
    }
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) {
      warnThrottled('ERR_WEBHOOK_BAD_REQUEST', { fastifyCode: err.code }, 'webhook request body could not be read')
      return sendError(reply, 'ERR_WEBHOOK_BAD_REQUEST', err.message)
    }
    log.error({ err }, 'webhook request failed')
    return sendError(reply, 'ERR_WEBHOOK_HANDLER_FAILED', 'internal error; retry later')
  }

  return webhookOnError
}

export function registerK8sAuditRoute (app: FastifyInstance, ctx: RouteContext): void {
  const kit = createRouteKit(ctx)
  const checks = buildRequestChecks(kit)
  const { metrics, opts } = ctx

  async function webhookAnswered (): Promise<void> {
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
  app.setErrorHandler(buildErrorHandler(kit))
  app.addHook('onRequest', checks.webhookRouteUnknown)
  app.addHook('onResponse', webhookAnswered)
  app.route({
    method: 'POST',
    url: opts.path,
    onRequest: checks.route,
    preParsing: checks.webhookCountChunked,
    onResponse: webhookObserveAnswer,
    handler: buildBatchHandler(kit)
  })
}
