// Builds, starts and stops the audit webhook server. The HTTP contract lives in k8s-audit-route.ts;
// this file owns the fastify settings and the graceful close kube-apiserver's retries depend on.
import type { FastifyInstance } from 'fastify'
import { createAdmission } from './admission.ts'
import { createBasicCheck } from './basic-auth.ts'
import { createBearerCheck } from './bearer.ts'
import { registerK8sAuditRoute } from './k8s-audit-route.ts'
import { buildFastify, listenOn } from './listen.ts'
import { createLogThrottle } from './log-throttle.ts'
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
  let closing = false
  const app = buildFastify({
    logger: false,
    bodyLimit: opts.maxBodyBytes,
    keepAliveTimeout: KEEP_ALIVE_MS,
    requestTimeout: UPLOAD_TIMEOUT_MS,
    // our own 503 carries Retry-After; fastify's would not
    return503OnClosing: false
  }, opts.tls)

  function closeIdleSoon (): void {
    // after the response has left: the connection is idle only then
    setImmediate(function webhookCloseIdle () { app.server.closeIdleConnections() })
  }

  registerK8sAuditRoute(app, {
    opts,
    log,
    metrics,
    handleBody: deps.handleBody,
    admission,
    throttle: createLogThrottle(WARN_INTERVAL_MS),
    onUnusableBatch: deps.onUnusableBatch,
    checkBearer: opts.bearerToken === undefined || opts.bearerToken === '' ? undefined : createBearerCheck(opts.bearerToken),
    checkBasic: opts.basicAuth === undefined ? undefined : createBasicCheck(opts.basicAuth.username, opts.basicAuth.password),
    isClosing: () => closing,
    onAnsweredWhileClosing: closeIdleSoon
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
      await app.close()
      await Promise.race([admission.drained(), giveUp])
    } finally {
      clearTimeout(timer)
    }
    log.info('webhook closed')
  }

  return { port, close, server: app }
}
