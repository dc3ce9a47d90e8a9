// Public shapes of the webhook and admin servers: options, injected dependencies and the metrics
// hooks (the Logger they take is events/logger.ts). Types only; src/app wires real implementations
// (pino, prom-client).
import type { Logger } from '../events/index.ts'

/** PEM contents (not paths). A combined cert+key PEM (Falco's `sslCertificate`) may be given as `cert` alone. */
export interface WebhookTlsOptions {
  cert: string | Buffer
  /** defaults to the private key found inside `cert` */
  key?: string | Buffer
  /** CA bundle that client certificates must chain to; required unless clientAuth is 'none' */
  ca?: string | Buffer
  /**
   * 'none': no client certificate asked for.
   * 'request': asked for; a client without one is accepted, one whose certificate does not verify against `ca` gets 401.
   * 'require': the TLS handshake fails without a certificate signed by `ca` (mTLS).
   */
  clientAuth: 'none' | 'request' | 'require'
}

export interface WebhookOptions {
  /** '' or '0.0.0.0' = all interfaces */
  host: string
  port: number
  /** exact path, e.g. '/k8s-audit' */
  path: string
  /** bodies above this get 413, rejected on Content-Length or while streaming */
  maxBodyBytes: number
  /** batches being received or evaluated at once; above it, 429 at once */
  maxInFlightBatches: number
  /**
   * body bytes of the batches in flight (default 4 × maxBodyBytes). A request whose Content-Length
   * would cross it gets 429 before its body is read; a chunked body, when it crosses it while
   * arriving (429, Connection: close). A batch is still admitted alone, whatever its size up to
   * maxBodyBytes.
   */
  maxInFlightBytes?: number
  /**
   * JSON values (commas and opening brackets, counted before parsing) a body may hold; above it,
   * 413 ERR_WEBHOOK_TOO_COMPLEX without parsing. Bounds the time one request blocks the event
   * loop (default DEFAULT_MAX_BODY_VALUES)
   */
  maxBodyValues?: number
  /**
   * slowest accepted upload, bytes per second, after the first UPLOAD_GRACE_MS: a body arriving
   * slower is answered 408 and its connection closed (default DEFAULT_MIN_UPLOAD_RATE)
   */
  minUploadBytesPerSecond?: number
  /** time before the minimum upload rate applies (default UPLOAD_GRACE_MS, 5 s) */
  uploadGraceMs?: number
  /** Retry-After on 429 and 503 */
  retryAfterSeconds: number
  tls?: WebhookTlsOptions
  /** when set, requests need `Authorization: Bearer <token>` (401 otherwise) */
  bearerToken?: string
  /** when set, `Authorization: Basic` with these credentials is accepted too (401 otherwise) */
  basicAuth?: { username: string, password: string }
  /** close() stops waiting for in-flight batches after this long (default 30 s, the apiserver's own timeout) */
  closeTimeoutMs?: number
  /**
   * after close(), how long idle keep-alive connections stay open answering 503 + Retry-After
   * (so a request already on its way gets an answer, not a reset); default 1 s, never past closeTimeoutMs
   */
  closeLingerMs?: number
}

/** A batch lost for its content, reported once (the apiserver's retries of it are not). */
export interface UnusableBatch {
  /** ERR_AUDIT_BAD_JSON, ERR_AUDIT_NOT_RECOGNIZED, ERR_AUDIT_NOT_OBJECT or ERR_WEBHOOK_TOO_LARGE */
  reason: string
  message: string
  /** body bytes (Content-Length for a body not read) */
  bytes: number
  remote: string
  /** the HTTP status answered */
  status: number
}

/** One problem found while decoding a body; `index` is the event's position in the batch. */
export interface BodyIssue {
  code: string
  message: string
  index?: number
}

export interface HandleBodyResult {
  accepted: number
  rejected: number
  /** a few examples per code (at least one for each code in issueCounts) */
  issues: BodyIssue[]
  /** every issue counted by code; absent: count `issues` */
  issueCounts?: Record<string, number>
}

/**
 * Counters the webhook reports to; src/app implements it over prom-client. Every method must be
 * cheap and must not throw.
 */
export interface WebhookMetrics {
  /** a POST reached the webhook path (before any check) */
  batchReceived(): void
  /** a request to the webhook path was answered: HTTP status, and seconds from arrival to answer */
  batchAnswered(statusCode: number, seconds: number): void
  /** events of an evaluated batch: decoded and handed to the engine, and refused by the decoder */
  events(accepted: number, rejected: number): void
  /** `count` decode issues (ERR_AUDIT_* code) of one batch: called once per code and batch */
  issue(code: string, count: number): void
  /** batches currently admitted (receiving their body or being evaluated) */
  inFlight(count: number): void
  /** body bytes those requests hold: received so far (a Content-Length reserves nothing) */
  inFlightBytes(bytes: number): void
}

export interface WebhookDeps {
  logger: Logger
  /** Called with the raw body; resolves once the batch is evaluated and its alerts handed to outputs. */
  handleBody(body: Buffer): Promise<HandleBodyResult>
  metrics?: WebhookMetrics
  /**
   * A body that can never become audit events (not JSON, not audit data, over max_body_bytes),
   * once per batch: retries of the same oversize batch are not reported again (unusable-batches.ts)
   */
  onUnusableBatch?: (batch: UnusableBatch) => void
}

export interface AdminOptions {
  host: string
  port: number
  /** liveness, e.g. '/healthz' (Falco's webserver.k8s_healthz_endpoint) */
  healthzPath: string
  /** readiness (rules loaded), e.g. '/readyz' */
  readyzPath: string
  /** Prometheus text, e.g. '/metrics'; undefined serves no metrics (404), as with prometheus_metrics_enabled: false */
  metricsPath: string | undefined
  tls?: WebhookTlsOptions
}

export interface AdminDeps {
  /** true once rules are loaded */
  isReady(): boolean
  /** defaults to always live */
  isLive?(): boolean
  metricsText(): Promise<string>
  metricsContentType: string
  logger?: Logger
  /** served as JSON at /version when given */
  version?: Record<string, string>
}
