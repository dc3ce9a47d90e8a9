// The webhook's onRequest checks, run on headers alone so a refused request never costs a buffered
// body: unknown path/method (404/405), bearer token, Basic credentials or client certificate (401), content type (400),
// shutdown (503) and the byte budget (429 when a Content-Length cannot fit next to the bytes
// others hold). Then, as the body arrives: its bytes counted against the budget (429 mid-stream)
// and its pace (408 when slower than the minimum upload rate).
import { Transform, type TransformCallback } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ErrorCode } from '../errors/index.ts'
import { clip } from '../util/index.ts'
import { sendError } from './replies.ts'
import type { RouteKit } from './route-kit.ts'

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>

export interface RequestChecks {
  /** global: 404/405 for anything but POST <path> */
  webhookRouteUnknown: Hook
  /** route-level, in order */
  route: Hook[]
  /** route-level preParsing: counts the body's bytes against the budget and watches its pace */
  webhookCountBody: (request: FastifyRequest, reply: FastifyReply, payload: NodeJS.ReadableStream) => Promise<NodeJS.ReadableStream>
}

/** What a chunked body crossing the byte budget fails its parse with; the error handler answers 429. */
export const OVER_BUDGET: ErrorCode = 'ERR_WEBHOOK_OVERLOADED'

function overBudgetError (max: number): Error & { code: ErrorCode, statusCode: number } {
  return Object.assign(new Error(`body bytes in flight over the budget of ${max}; retry later`), { code: OVER_BUDGET, statusCode: 429 })
}

/** What a body arriving slower than the minimum rate fails its parse with; the error handler answers 408. */
export const TOO_SLOW: ErrorCode = 'ERR_WEBHOOK_UPLOAD_TOO_SLOW'

function tooSlowError (received: number, elapsedMs: number, minRate: number): Error & { code: ErrorCode, statusCode: number } {
  return Object.assign(new Error(`request body arrived too slowly: ${received} bytes in ${elapsedMs} ms (minimum ${minRate} bytes/s)`), { code: TOO_SLOW, statusCode: 408 })
}

function pathOf (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** Only asked with clientAuth 'request', which needs TLS: the socket is always a TLSSocket. */
function hasUnverifiedClientCert (request: FastifyRequest): boolean {
  const socket = request.raw.socket as TLSSocket
  const peer = socket.getPeerCertificate()
  return peer !== null && Object.keys(peer).length > 0 && socket.authorized !== true
}

export function buildRequestChecks (kit: RouteKit): RequestChecks {
  const { ctx, warnThrottled, retryLater } = kit
  const { opts, metrics, admission, pace } = ctx
  const requestClientCert = opts.tls?.clientAuth === 'request'
  const maxBytes = opts.maxInFlightBytes ?? 4 * opts.maxBodyBytes
  const minRate = pace.minBytesPerSecond

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
    warnThrottled('ERR_WEBHOOK_CONTENT_TYPE', { contentType: type === undefined ? undefined : clip(type) }, 'webhook request is not JSON')
    return sendError(reply, 'ERR_WEBHOOK_CONTENT_TYPE', `Content-Type must contain application/json (got ${type === undefined ? 'none' : JSON.stringify(clip(type))})`)
  }

  async function webhookAdmit (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (ctx.isClosing()) return retryLater(reply, 'ERR_WEBHOOK_SHUTTING_DOWN', 'shutting down; retry later')
    const slot = admission.tryAcquire(announcedBytes(request))
    if (typeof slot === 'string') {
      warnThrottled('ERR_WEBHOOK_OVERLOADED', { inFlight: admission.inFlight, inFlightBytes: admission.inFlightBytes, refused: slot, contentLength: clip(String(request.headers['content-length'])) },
        'webhook overloaded: answering 429 so the apiserver retries later')
      return retryLater(reply, 'ERR_WEBHOOK_OVERLOADED',
        `${admission.inFlightBytes} body bytes already in flight, this one would cross the budget of ${maxBytes}; retry later`)
    }
    kit.slots.set(request, slot)
    // A request that never reaches evaluation (413, 408, aborted upload) frees its bytes with its response.
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

  // Every body is counted as it arrives: a Content-Length reserves nothing, so announcing a large
  // body and trickling it holds only what was sent.
  async function webhookCountBody (request: FastifyRequest, reply: FastifyReply, payload: NodeJS.ReadableStream): Promise<NodeJS.ReadableStream> {
    const slot = kit.slots.get(request)
    // preParsing runs only once every onRequest check passed, webhookAdmit last (it sets the slot);
    // the guard keeps an unadmitted body uncounted should that order ever change
    if (slot === undefined) return payload
    const counter = new Transform({
      transform: function webhookCountChunk (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
        upload.received(chunk.length)
        if (slot.grow(chunk.length)) { done(null, chunk); return }
        upload.done()
        payload.unpipe(counter)
        done(overBudgetError(maxBytes))
      },
      flush: function webhookBodyComplete (done: TransformCallback) {
        upload.done()
        done()
      }
    })
    const upload = pace.track(function webhookUploadTooSlow (received, elapsedMs) {
      payload.unpipe(counter)
      counter.destroy(tooSlowError(received, elapsedMs, minRate))
    })
    reply.raw.once('close', function webhookUploadEnded () { upload.done() })
    payload.on('error', function webhookForwardError (err: Error) { counter.destroy(err) })
    return payload.pipe(counter)
  }

  return {
    webhookRouteUnknown,
    route: [webhookCountBatch, webhookAuthenticate, webhookCheckContentType, webhookAdmit],
    webhookCountBody
  }
}
