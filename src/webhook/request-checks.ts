// The webhook's onRequest checks, run on headers alone so a refused request never costs a buffered
// body: unknown path/method (404/405), bearer token, Basic credentials or client certificate (401), content type (400),
// shutdown (503) and the bounded admission (429, on batches and on announced body bytes); the
// byte count of chunked bodies, as they arrive (429 mid-stream).
import { Transform, type TransformCallback } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { sendError } from './replies.ts'
import type { RouteKit } from './route-kit.ts'

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>

export interface RequestChecks {
  /** global: 404/405 for anything but POST <path> */
  webhookRouteUnknown: Hook
  /** route-level, in order */
  route: Hook[]
  /** route-level preParsing: counts a chunked body's bytes against the budget */
  webhookCountChunked: (request: FastifyRequest, reply: FastifyReply, payload: NodeJS.ReadableStream) => Promise<NodeJS.ReadableStream>
}

/** What a chunked body crossing the byte budget fails its parse with; the error handler answers 429. */
export const OVER_BUDGET = 'ERR_WEBHOOK_OVERLOADED'

function overBudgetError (max: number): Error & { code: string, statusCode: number } {
  return Object.assign(new Error(`body bytes in flight over the budget of ${max}; retry later`), { code: OVER_BUDGET, statusCode: 429 })
}

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

export function buildRequestChecks (kit: RouteKit): RequestChecks {
  const { ctx, warnThrottled, retryLater } = kit
  const { opts, metrics, admission } = ctx
  const requestClientCert = opts.tls?.clientAuth === 'request'
  const maxBytes = opts.maxInFlightBytes ?? 4 * opts.maxBodyBytes

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

  async function webhookCountBatch (): Promise<undefined> {
    metrics.batchReceived()
    return undefined
  }

  async function webhookAuthenticate (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const { checkBearer, checkBasic } = ctx
    if (checkBearer !== undefined || checkBasic !== undefined) {
      const authorization = request.headers.authorization
      // either configured scheme admits the request (the apiserver's kubeconfig sends one of them)
      if (checkBearer?.(authorization) !== true && checkBasic?.(authorization) !== true) {
        const schemes = [checkBearer === undefined ? '' : 'bearer token', checkBasic === undefined ? '' : 'Basic credentials'].filter((s) => s !== '').join(' or ')
        warnThrottled('ERR_WEBHOOK_UNAUTHORIZED', { remote: request.ip }, `webhook request without the right ${schemes}`)
        reply.header('www-authenticate', [checkBearer === undefined ? '' : 'Bearer', checkBasic === undefined ? '' : 'Basic realm="lanner"'].filter((s) => s !== '').join(', '))
        return sendError(reply, 'ERR_WEBHOOK_UNAUTHORIZED', `missing or wrong ${schemes}`)
      }
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
    const slot = admission.tryAcquire(announcedBytes(request))
    if (typeof slot === 'string') {
      warnThrottled('ERR_WEBHOOK_OVERLOADED', { inFlight: admission.inFlight, inFlightBytes: admission.inFlightBytes, refused: slot, contentLength: request.headers['content-length'] },
        'webhook overloaded: answering 429 so the apiserver retries later')
      return retryLater(reply, 'ERR_WEBHOOK_OVERLOADED', slot === 'batches'
        ? `${opts.maxInFlightBatches} batches already in flight; retry later`
        : `${admission.inFlightBytes} body bytes already in flight, this one would cross the budget of ${maxBytes}; retry later`)
    }
    kit.slots.set(request, slot)
    // A batch that never reaches the handler (413, aborted upload) frees its slot with its response.
    reply.raw.once('close', function webhookReleaseUnread () {
      if (!slot.busy) slot.release()
    })
    return undefined
  }

  /** A Content-Length above the body limit reserves nothing: it is refused 413 before any byte is read. */
  function announcedBytes (request: FastifyRequest): number {
    const header = request.headers['content-length']
    if (header === undefined) return 0
    const n = Number(header)
    return Number.isSafeInteger(n) && n > 0 && n <= opts.maxBodyBytes ? n : 0
  }

  // Only bodies without Content-Length: the others reserved their length when admitted.
  async function webhookCountChunked (request: FastifyRequest, _reply: FastifyReply, payload: NodeJS.ReadableStream): Promise<NodeJS.ReadableStream> {
    const slot = kit.slots.get(request)
    if (slot === undefined || request.headers['content-length'] !== undefined) return payload
    const counter = new Transform({
      transform: function webhookCountChunk (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
        if (slot.grow(chunk.length)) { done(null, chunk); return }
        payload.unpipe(counter)
        done(overBudgetError(maxBytes))
      }
    })
    payload.on('error', function webhookForwardError (err: Error) { counter.destroy(err) })
    return payload.pipe(counter)
  }

  return {
    webhookRouteUnknown,
    route: [webhookCountBatch, webhookAuthenticate, webhookCheckContentType, webhookAdmit],
    webhookCountChunked
  }
}
