// The POST <path> route: the raw-body parser, the batch handler, and the error answers; the
// header checks that run first live in request-checks.ts.
//
//   onRequest: 404/405 → count → bearer/client cert (401) → content type (400) → closing (503) /
//              429 when its Content-Length cannot fit next to the body bytes others hold
//   body: raw Buffer, bodyLimit → 413 on Content-Length or while streaming; bytes counted as they
//         arrive, crossing the in-flight byte budget → 429; slower than the minimum rate → 408
//   handler: every batch slot evaluating → 429 | more JSON values than maxBodyValues → 413 |
//            handleBody → 200 {accepted, rejected} | 200 {code, message} not audit data, acknowledged | 429/503 AppError | 500 rejection
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../errors/index.ts'
import { judgeBatch, sendError } from './replies.ts'
import { countJsonValues, REAL_BODY_MIN_BYTES_PER_VALUE } from './body-values.ts'
import { buildRequestChecks, OVER_BUDGET, TOO_SLOW } from './request-checks.ts'
import { createRouteKit, type RouteContext, type RouteKit } from './route-kit.ts'
import { acknowledgeUnusable, noteOversize } from './unusable-batches.ts'
import type { HandleBodyResult } from './types.ts'

export type { RouteContext } from './route-kit.ts'

const JSON_TYPE = 'application/json; charset=utf-8'
/**
 * Default lanner.webhook.max_body_values. Parsing 300k values of the costliest shape (an object of
 * unique keys) takes ~0.3 s on a 2-vCPU node, real audit JSON of that many values (~7 MB) ~0.25 s,
 * so /healthz stays answered within 1 s with room for the decode walk. A 400-event batch holds
 * about 15k (Metadata level) to 250k (RequestResponse on large objects): docs/reliability.md.
 */
export const DEFAULT_MAX_BODY_VALUES = 300_000

function buildBatchHandler (kit: RouteKit): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  const { ctx, warnThrottled, retryLater } = kit
  const { log, metrics } = ctx

  const maxValues = ctx.opts.maxBodyValues ?? DEFAULT_MAX_BODY_VALUES

  async function webhookReceiveBatch (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const slot = kit.slots.get(request)
    // always a Buffer, empty bodies included: webhookCheckContentType admits only requests with a
    // Content-Type, so fastify always runs webhookRawBody (parseAs buffer) before this handler
    const body = request.body as Buffer
    if (slot !== undefined && !slot.startBatch()) {
      slot.release()
      warnThrottled('ERR_WEBHOOK_OVERLOADED', { inFlight: ctx.admission.inFlight, refused: 'batches' }, 'webhook overloaded: answering 429 so the apiserver retries later')
      return retryLater(reply, 'ERR_WEBHOOK_OVERLOADED', `${ctx.opts.maxInFlightBatches} batches already being evaluated; retry later`)
    }
    // JSON.parse cannot be interrupted: what it would cost is bounded before it starts. A body as
    // dense in values as real audit events is never refused on its count (a 400-event batch of
    // large RequestResponse objects can hold millions of values; refusing it would make the
    // apiserver drop real events): only bodies denser than any real batch are held to the bound.
    const limit = Math.max(maxValues, Math.floor(body.length / REAL_BODY_MIN_BYTES_PER_VALUE))
    const values = countJsonValues(body, limit)
    if (values > limit) {
      slot?.release()
      warnThrottled('ERR_WEBHOOK_TOO_COMPLEX', { bytes: body.length, limit }, 'audit batch holds more JSON values than lanner.webhook.max_body_values')
      noteOversize(ctx, request, 'ERR_WEBHOOK_TOO_COMPLEX', `request body holds more than ${limit} JSON values (lanner.webhook.max_body_values, or one per ${REAL_BODY_MIN_BYTES_PER_VALUE} bytes)`)
      return sendError(reply, 'ERR_WEBHOOK_TOO_COMPLEX', `request body holds more than ${limit} JSON values (lanner.webhook.max_body_values, or one per ${REAL_BODY_MIN_BYTES_PER_VALUE} bytes); send smaller batches`)
    }
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
    const counts = issueCountsOf(result)
    for (const [code, count] of Object.entries(counts)) metrics.issue(code, count)
    log.debug({ bytes, accepted: result.accepted, rejected: result.rejected }, 'batch evaluated')
    const first = result.issues[0]
    if (first === undefined) return
    // Bad events cannot be fixed by a retry: they are answered 200, counted, and logged here.
    warnThrottled(first.code, {
      bytes, accepted: result.accepted, rejected: result.rejected, issues: counts, first
    }, 'audit batch had events that could not be used')
  }

  return webhookReceiveBatch
}

/** Issues by code: the handler's own counts, or counted from the list when it gave none. */
function issueCountsOf (result: HandleBodyResult): Record<string, number> {
  if (result.issueCounts !== undefined) return result.issueCounts
  const counts: Record<string, number> = {}
  for (const i of result.issues) counts[i.code] = (counts[i.code] ?? 0) + 1
  return counts
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
    if (err.code === TOO_SLOW) {
      warnThrottled('ERR_WEBHOOK_UPLOAD_TOO_SLOW', { remote: request.ip, reason: err.message }, 'webhook request body arrived slower than the minimum upload rate: closing it')
      reply.header('connection', 'close')
      return sendError(reply, 'ERR_WEBHOOK_UPLOAD_TOO_SLOW', err.message)
    }
    if (err.code === OVER_BUDGET) {
      warnThrottled('ERR_WEBHOOK_OVERLOADED', { inFlight: ctx.admission.inFlight, inFlightBytes: ctx.admission.inFlightBytes },
        'audit batch crossed the in-flight byte budget while arriving (every body is counted as it arrives): answering 429 so the apiserver retries later')
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

/** Connections' accept time, until their first request claims it. */
const acceptedAt = new WeakMap<object, bigint>()

/** Marks a new connection's arrival, so its first request is timed from the connection, not from its parsed headers. */
export function noteConnection (socket: object): void {
  acceptedAt.set(socket, process.hrtime.bigint())
}

/**
 * When a request's first byte arrived, as near as node lets us see: a connection's first request
 * from the accept (headers trickled or stuck behind a busy event loop count), later keep-alive
 * requests from their parsed headers (the idle time between requests is not theirs).
 */
function arrivalOf (request: FastifyRequest): bigint {
  const socket = request.raw.socket
  const at = acceptedAt.get(socket)
  if (at === undefined) return process.hrtime.bigint()
  acceptedAt.delete(socket)
  return at
}

export function registerK8sAuditRoute (app: FastifyInstance, ctx: RouteContext): void {
  const kit = createRouteKit(ctx)
  const checks = buildRequestChecks(kit)
  const { metrics, opts } = ctx

  async function webhookObserveAnswer (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const arrived = kit.arrivals.get(request)
    // webhookArrived (a global onRequest hook) times every request, so `arrived` is always set
    // here; the elapsedTime fallback only keeps a metric coming should that hook ever be skipped
    const seconds = arrived === undefined ? reply.elapsedTime / 1000 : Number(process.hrtime.bigint() - arrived) / 1e9
    metrics.batchAnswered(reply.statusCode, seconds)
  }

  app.removeAllContentTypeParsers()
  // The body reaches handleBody as the bytes received: JSON is parsed exactly once, by the decoder.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, function webhookRawBody (_request, body, done) {
    done(null, body)
  })
  app.setErrorHandler(buildErrorHandler(kit))
  app.addHook('onRequest', function webhookArrived (request: FastifyRequest, _reply: FastifyReply, done: () => void) {
    kit.arrivals.set(request, arrivalOf(request))
    done()
  })
  app.addHook('onRequest', checks.webhookRouteUnknown)
  app.route({
    method: 'POST',
    url: opts.path,
    onRequest: checks.route,
    preParsing: checks.webhookCountBody,
    onResponse: webhookObserveAnswer,
    handler: buildBatchHandler(kit)
  })
}
