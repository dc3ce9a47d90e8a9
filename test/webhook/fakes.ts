// Test doubles for the webhook's injected dependencies: a recording logger and metrics (the
// WebhookDeps contract in src/webhook/types.ts), the product's own body decoding as handleBody
// (without rule evaluation), and a deferred.
import type { Logger } from '../../src/events/index.ts'
import type { HandleBodyResult, WebhookDeps, WebhookMetrics, WebhookOptions } from '../../src/webhook/index.ts'
import { createWebhookServer, type WebhookServer } from '../../src/webhook/index.ts'
import { decodeAuditPayload } from '../../src/audit/index.ts'
import { batchOutcome } from '../../src/app/audit-mode/audit-handler.ts'

export interface LogLine { level: string, obj: Record<string, unknown>, msg: string | undefined }

export function recordingLogger (lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  function at (level: string) {
    return (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') lines.push({ level, obj: {}, msg: objOrMsg })
      else lines.push({ level, obj: objOrMsg as Record<string, unknown>, msg })
    }
  }
  const logger = {
    lines,
    child: () => logger,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error')
  }
  return logger
}

export interface RecordedMetrics extends WebhookMetrics {
  received: number
  answered: number[]
  /** the latency reported with each answer, seconds */
  answeredSeconds: number[]
  accepted: number
  rejected: number
  /** one entry per issue counted */
  issues: string[]
  /** the metric calls themselves: [code, count], one per code and batch */
  issueCalls: Array<[string, number]>
  inFlightSeen: number[]
  inFlightBytesSeen: number[]
}

export function recordingMetrics (onAnswer?: (status: number) => void): RecordedMetrics {
  const m: RecordedMetrics = {
    received: 0,
    answered: [],
    answeredSeconds: [],
    accepted: 0,
    rejected: 0,
    issues: [],
    issueCalls: [],
    inFlightSeen: [],
    inFlightBytesSeen: [],
    batchReceived () { m.received++ },
    batchAnswered (status, seconds) {
      if (!(seconds >= 0)) throw new Error(`bad latency ${seconds}`)
      m.answered.push(status)
      m.answeredSeconds.push(seconds)
      onAnswer?.(status)
    },
    events (a, r) { m.accepted += a; m.rejected += r },
    issue (code, count) {
      m.issueCalls.push([code, count])
      for (let i = 0; i < count; i++) m.issues.push(code)
    },
    inFlight (n) { m.inFlightSeen.push(n) },
    inFlightBytes (n) { m.inFlightBytesSeen.push(n) }
  }
  return m
}

/**
 * The product's own decoding of a webhook body (decodeAuditPayload, then batchOutcome: what
 * app/audit-mode/audit-handler.ts answers with), without the rule evaluation that follows it there: the
 * webhook tests exercise the server, and a body is accepted or refused exactly as `lanner serve`
 * would. No events are too large here (maxEventBytes 0).
 */
export function decodeForTest (body: Buffer): HandleBodyResult {
  const decoded = decodeAuditPayload(body, { maxEventBytes: 0 })
  return batchOutcome(decoded.events.length, decoded)
}

export interface Deferred<T> { promise: Promise<T>, resolve(v: T): void, reject(e: unknown): void }

export function deferred<T = void> (): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

export const BASE_OPTIONS: WebhookOptions = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  path: '/k8s-audit',
  maxBodyBytes: 1024 * 1024,
  maxInFlightBatches: 8,
  retryAfterSeconds: 2
})

export interface Started {
  server: WebhookServer
  url: string
  logger: ReturnType<typeof recordingLogger>
  metrics: RecordedMetrics
  bodies: Buffer[]
}

/** A webhook on an ephemeral loopback port with recording fakes; handleBody defaults to decodeForTest. */
export async function startWebhook (
  t: { teardown(fn: () => unknown): void },
  opts: Partial<WebhookOptions> = {},
  deps: Partial<WebhookDeps> & { onAnswer?: (status: number) => void } = {}
): Promise<Started> {
  const logger = recordingLogger()
  const metrics = recordingMetrics(deps.onAnswer)
  const bodies: Buffer[] = []
  const handleBody = deps.handleBody ?? (async (b: Buffer) => decodeForTest(b))
  const server = await createWebhookServer({ ...BASE_OPTIONS, ...opts }, {
    logger,
    metrics,
    ...(deps.onUnusableBatch === undefined ? {} : { onUnusableBatch: deps.onUnusableBatch }),
    async handleBody (body) {
      bodies.push(body)
      return await handleBody(body)
    }
  })
  t.teardown(() => server.close())
  const scheme = opts.tls === undefined ? 'http' : 'https'
  return { server, url: `${scheme}://${opts.tls === undefined ? '127.0.0.1' : 'localhost'}:${server.port}${opts.path ?? BASE_OPTIONS.path}`, logger, metrics, bodies }
}
