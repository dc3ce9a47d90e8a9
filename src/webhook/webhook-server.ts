// Builds, starts and stops the audit webhook server. The HTTP contract lives in k8s-audit-route.ts;
// this file owns the fastify settings and the graceful close kube-apiserver's retries depend on.
import type { FastifyInstance } from 'fastify'
import { createAdmission } from './admission.ts'
import { createBasicCheck } from './basic-auth.ts'
import { createBearerCheck } from './bearer.ts'
import { noteConnection, registerK8sAuditRoute } from './k8s-audit-route.ts'
import { buildFastify, listenOn } from './listen.ts'
import { createLogThrottle } from './log-throttle.ts'
import { createUploadPace } from './upload-pace.ts'
import type { WebhookDeps, WebhookMetrics, WebhookOptions } from './types.ts'

export interface WebhookServer {
  /** the bound port (useful with port 0) */
  port: number
  /** stop accepting, answer new requests on open connections 503, finish in-flight batches */
  close(): Promise<void>
  server: FastifyInstance
}

// Longer than the apiserver's 30 s batch wait, so its connection usually stays reusable.
const KEEP_ALIVE_MS = 65_000
const DEFAULT_CLOSE_TIMEOUT_MS = 30_000
// The apiserver gives up on a request after 30 s, so a body still arriving after this holds an
// admission slot for nothing (a slow-loris client would otherwise hold it for node's 300 s).
const UPLOAD_TIMEOUT_MS = 60_000
// The apiserver writes its headers at once; a client trickling them holds a socket for nothing.
const HEADERS_TIMEOUT_MS = 10_000
// Node enforces headersTimeout and requestTimeout only when it checks its connections: every 30 s
// by default, which let a header trickler hold its socket for up to 40 s instead of 10 s.
const CONNECTIONS_CHECK_MS = 1_000
/**
 * Slowest body accepted, averaged from the headers on after UPLOAD_GRACE_MS. The apiserver writes a
 * batch in one go: 32 KiB/s is ~0.3 Mbit/s, far below any real link, and 1 byte every 2 s (a
 * slow-loris) is ended after the grace instead of holding a request for UPLOAD_TIMEOUT_MS.
 */
export const DEFAULT_MIN_UPLOAD_RATE = 32 * 1024
export const UPLOAD_GRACE_MS = 5_000
const DEFAULT_CLOSE_LINGER_MS = 1_000
const WARN_INTERVAL_MS = 10_000

export const NOOP_WEBHOOK_METRICS: WebhookMetrics = Object.freeze({
  batchReceived () {},
  batchAnswered () {},
  events () {},
  issue () {},
  inFlight () {},
  inFlightBytes () {}
})

export async function createWebhookServer (opts: WebhookOptions, deps: WebhookDeps): Promise<WebhookServer> {
  const log = deps.logger.child({ module: 'webhook' })
  const metrics = deps.metrics ?? NOOP_WEBHOOK_METRICS
  const admission = createAdmission({
    maxBatches: opts.maxInFlightBatches,
    maxBytes: opts.maxInFlightBytes ?? 4 * opts.maxBodyBytes,
    onInFlight: function reportInFlight (n) { metrics.inFlight(n) },
    onInFlightBytes: function reportInFlightBytes (n) { metrics.inFlightBytes(n) }
  })
  const pace = createUploadPace({
    minBytesPerSecond: opts.minUploadBytesPerSecond ?? DEFAULT_MIN_UPLOAD_RATE,
    graceMs: opts.uploadGraceMs ?? UPLOAD_GRACE_MS
  })
  let closing = false
  const app = buildFastify({
    logger: false,
    bodyLimit: opts.maxBodyBytes,
    keepAliveTimeout: KEEP_ALIVE_MS,
    requestTimeout: UPLOAD_TIMEOUT_MS,
    // our own 503 carries Retry-After; fastify's would not
    return503OnClosing: false
  }, opts.tls, { connectionsCheckingInterval: CONNECTIONS_CHECK_MS })

  app.server.headersTimeout = HEADERS_TIMEOUT_MS
  let connections = 0
  let allClosed: (() => void) | undefined
  app.server.on('connection', function webhookConnection (socket: import('node:net').Socket) {
    connections++
    if (opts.tls === undefined) noteConnection(socket)
    socket.once('close', function webhookConnectionClosed () {
      if (--connections === 0) allClosed?.()
    })
  })
  // over TLS the request's socket is the TLS one, opened once the handshake is done
  if (opts.tls !== undefined) app.server.on('secureConnection', noteConnection)
  // While closing, an answer ends its connection (Connection: close) so the client learns at once
  // to go elsewhere; not while pipelined requests wait behind it on the same connection, which node
  // would then drop unanswered.
  const pending = new WeakMap<object, number>()
  app.addHook('onRequest', async function webhookCountPending (request) {
    const socket = request.raw.socket
    pending.set(socket, (pending.get(socket) ?? 0) + 1)
  })
  app.addHook('onResponse', async function webhookAnswerDone (request) {
    const socket = request.raw.socket
    // webhookCountPending ran for this request first, so the entry exists; `?? 1` only satisfies the type
    pending.set(socket, (pending.get(socket) ?? 1) - 1)
  })
  app.addHook('onSend', async function webhookCloseAfterAnswer (request, reply) {
    if (closing && pending.get(request.raw.socket) === 1) reply.header('connection', 'close')
  })

  registerK8sAuditRoute(app, {
    opts,
    log,
    metrics,
    handleBody: deps.handleBody,
    admission,
    pace,
    throttle: createLogThrottle(WARN_INTERVAL_MS),
    onUnusableBatch: deps.onUnusableBatch,
    checkBearer: opts.bearerToken === undefined || opts.bearerToken === '' ? undefined : createBearerCheck(opts.bearerToken),
    checkBasic: opts.basicAuth === undefined ? undefined : createBasicCheck(opts.basicAuth.username, opts.basicAuth.password),
    isClosing: () => closing,
  })

  let port: number
  try {
    port = await listenOn(app, opts.host, opts.port)
  } catch (err) {
    await app.close()
    throw err
  }
  // debug: the composition root announces readiness with its own context (rules, admin port)
  log.debug({ port, path: opts.path, tls: opts.tls !== undefined, clientAuth: opts.tls?.clientAuth ?? 'none', bearer: opts.bearerToken !== undefined, basic: opts.basicAuth !== undefined },
    'audit webhook listening')

  let closed: Promise<void> | undefined
  function close (): Promise<void> {
    if (closed !== undefined) return closed
    closing = true
    closed = closeGracefully()
    return closed
  }

  async function closeGracefully (): Promise<void> {
    log.info({ inFlight: admission.inFlight, inFlightBytes: admission.inFlightBytes }, 'webhook closing: refusing new batches, finishing in-flight ones')
    const timeoutMs = opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS
    let timer: NodeJS.Timeout | undefined
    const giveUp = new Promise<void>((resolve) => {
      timer = setTimeout(function webhookForceClose () {
        log.warn({ inFlight: admission.inFlight, timeoutMs }, 'webhook close timed out; dropping connections (the apiserver will retry their batches)')
        app.server.closeAllConnections()
        resolve()
      }, timeoutMs)
    })
    try {
      // Kept-alive connections stay open a moment, so a request already on its way is answered
      // 503 + Retry-After (and its connection closed) instead of meeting a closed socket.
      await Promise.race([lingerOver(Math.min(opts.closeLingerMs ?? DEFAULT_CLOSE_LINGER_MS, timeoutMs)), giveUp])
      await app.close()
      await Promise.race([admission.drained(), giveUp])
    } finally {
      clearTimeout(timer)
      pace.close()
    }
    log.info('webhook closed')
  }

  /** resolves after `ms`, or earlier once no connection is open */
  function lingerOver (ms: number): Promise<void> {
    if (connections === 0 || ms <= 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done (): void {
        clearTimeout(timer)
        allClosed = undefined
        resolve()
      }
      allClosed = done
    })
  }

  return { port, close, server: app }
}
