// kube-apiserver's audit webhook backend, as a test double. Reproduces, from
// ../shared/reference/kube-apiserver-webhook.md and the upstream source it cites:
// - k8s.io/apiserver plugin/pkg/audit/webhook: one POST per batch of an audit.k8s.io/v1 EventList
//   written by the legacy JSON codec (apimachinery serializer/json: encoding/json's Encoder, so
//   compact, HTML-escaped, U+2028/2029 escaped, a trailing newline), items WITHOUT kind/apiVersion,
//   MicroTime timestamps (RFC 3339, 6 fractional digits, UTC); the outer retry loop of
//   pkg/util/webhook with the audit plugin's retryOnError (ANY error or non-2xx, 4xx included;
//   5 attempts; backoff --audit-webhook-initial-backoff (10 s) × 1.5, jitter 0.2).
// - k8s.io/client-go rest (request.go transformResponse, with_retry.go checkWait): 200–206 is
//   success; within one attempt a 429 or 5xx carrying an integer Retry-After is re-sent after that
//   many seconds, up to 10 times; a POST is not re-sent on a connection error. Headers as Go's
//   transport writes them (Host, User-Agent kube-apiserver/…, Content-Length, Accept,
//   Authorization, Content-Type, Accept-Encoding: gzip; no Connection header), keep-alive
//   connections, ALPN h2/http1.1 over TLS, SAN-only hostname check, 30 s per request.
// - plugin/pkg/audit/buffered (--audit-webhook-mode=batch): a bounded buffer (events dropped when
//   full), batches of at most batch-max-size collected for at most batch-max-wait (an empty batch
//   is never sent), a token bucket of throttle-qps/burst batches, each batch sent concurrently.
//   blocking / blocking-strict: the events of one processEvents call (the audit filter passes one)
//   are one list sent synchronously; blocking-strict reports the failure to the caller.
// - plugin/pkg/audit/truncate (--audit-webhook-truncate-enabled): an event over 100 KiB (size as
//   a standalone Event) at level Request/RequestResponse loses requestObject/responseObject and
//   gains the annotation audit.k8s.io/truncated: "true"; still too big, it is dropped; the events
//   of one call are split into batches of at most 10 MiB. It wraps the buffered backend.
// - users[].user of the webhook kubeconfig: certificate-authority, client certificate/key, token
//   (Bearer) or username/password (Basic).
// Known difference: events are JavaScript values, so a number inside requestObject/responseObject
// is written as JavaScript writes it (1.0 becomes 1), where Go copies the object's raw bytes.
// Time scales are parameters (initialBackoffMs, retryAfterSecondMs, batchMaxWaitMs) so tests stay
// fast; every default is the real value. Nothing here is a convenience the real client lacks:
// `idle()` and the recorded exchanges only observe.
import { readdirSync, readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { join } from 'node:path'
import tls from 'node:tls'
import { gunzipSync } from 'node:zlib'

/** What `kube-apiserver` puts in User-Agent (rest.DefaultKubernetesUserAgent of the apiserver binary). */
export const KUBE_APISERVER_USER_AGENT = 'kube-apiserver/v1.33.1 (linux/amd64) kubernetes/8adc0f0'

// ---------------------------------------------------------------------------------------------
// The body, byte for byte

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b', // Go ≥ 1.22 writes \b and \f short
  '\f': '\\f',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029'
}

// control characters, the HTML-sensitive three, U+2028/9, and lone surrogates (invalid UTF-8 in Go)
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

function escapeChar (c: string): string {
  const short = ESCAPES[c]
  if (short !== undefined) return short
  const code = c.charCodeAt(0)
  if (code >= 0xd800 && code <= 0xdfff) return '\\ufffd'
  return '\\u00' + code.toString(16).padStart(2, '0')
}

/** A JSON string as Go's encoding/json writes it (escapeHTML on, as json.Encoder defaults). */
export function goString (s: string): string {
  return '"' + s.replace(NEEDS_ESCAPE, escapeChar) + '"'
}

/**
 * Compact JSON as Go's encoding/json writes it. Object keys keep the order given (struct field
 * order, or the raw object's own order for requestObject/responseObject) unless `sortedMaps` names
 * the object: Go sorts map keys.
 */
export function goJson (value: unknown, sortedMaps: ReadonlySet<unknown> = new Set()): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return goString(value)
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (Array.isArray(value)) return '[' + value.map((v) => goJson(v, sortedMaps)).join(',') + ']'
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    if (sortedMaps.has(value)) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return '{' + entries.map(([k, v]) => goString(k) + ':' + goJson(v, sortedMaps)).join(',') + '}'
  }
  return 'null'
}

// struct field order of audit/v1 Event and the types it embeds
const EVENT_FIELDS = ['kind', 'apiVersion', 'level', 'auditID', 'stage', 'requestURI', 'verb', 'user', 'impersonatedUser',
  'sourceIPs', 'userAgent', 'objectRef', 'responseStatus', 'requestObject', 'responseObject', 'requestReceivedTimestamp',
  'stageTimestamp', 'annotations']
const USER_FIELDS = ['username', 'uid', 'groups', 'extra']
const OBJECT_REF_FIELDS = ['resource', 'namespace', 'name', 'uid', 'apiGroup', 'apiVersion', 'resourceVersion', 'subresource']
const STATUS_FIELDS = ['kind', 'apiVersion', 'metadata', 'status', 'message', 'reason', 'details', 'code']

type Obj = Record<string, unknown>

function isObj (v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function ordered (o: Obj, fields: readonly string[]): Obj {
  const out: Obj = {}
  for (const f of fields) if (o[f] !== undefined) out[f] = o[f]
  for (const [k, v] of Object.entries(o)) if (!(k in out) && v !== undefined) out[k] = v
  return out
}

/** metav1.MicroTime's JSON: UTC, exactly six fractional digits (Go's Format truncates). */
export function microTime (ts: string | Date): string {
  if (ts instanceof Date) return ts.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts)
  if (m === null) return ts
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6)
  if (m[3] === 'Z') return `${m[1] ?? ''}.${frac}Z`
  const utc = new Date(`${m[1] ?? ''}${m[3] ?? ''}`)
  return utc.toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`)
}

interface GoEvent { event: Obj, maps: Set<unknown> }

/**
 * An event as the apiserver holds it before writing: TypeMeta removed (`withTypeMeta` keeps it, as
 * a standalone Event is written), fields in struct order, timestamps as MicroTime, maps marked
 * for key sorting.
 */
function toGoEvent (ev: Obj, withTypeMeta: boolean): GoEvent {
  const maps = new Set<unknown>()
  const e: Obj = { ...ev }
  delete e.kind
  delete e.apiVersion
  if (withTypeMeta) { e.kind = 'Event'; e.apiVersion = 'audit.k8s.io/v1' }
  for (const k of ['user', 'impersonatedUser']) {
    const u = e[k]
    if (isObj(u)) {
      const user = ordered(u, USER_FIELDS)
      if (isObj(user.extra)) maps.add(user.extra)
      e[k] = user
    }
  }
  if (isObj(e.objectRef)) e.objectRef = ordered(e.objectRef, OBJECT_REF_FIELDS)
  if (isObj(e.responseStatus)) e.responseStatus = ordered(e.responseStatus, STATUS_FIELDS)
  for (const k of ['requestReceivedTimestamp', 'stageTimestamp']) {
    if (typeof e[k] === 'string') e[k] = microTime(e[k])
  }
  if (isObj(e.annotations)) maps.add(e.annotations)
  return { event: ordered(e, EVENT_FIELDS), maps }
}

/** The bytes of one webhook POST body for these events: what the legacy codec writes, newline included. */
export function encodeEventList (events: readonly unknown[]): string {
  const items = events.map((ev) => {
    const g = toGoEvent(isObj(ev) ? ev : {}, false)
    return goJson(g.event, g.maps)
  })
  return '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[' + items.join(',') + ']}\n'
}

/** One line of the apiserver's log backend: a standalone Event, TypeMeta included (what `lanner replay` reads, and the single-object form Falco accepts). */
export function logLine (event: unknown): string {
  const g = toGoEvent(isObj(event) ? event : {}, true)
  return goJson(g.event, g.maps) + '\n'
}

/** Size of an event written alone (with its TypeMeta, newline included), as the truncating backend measures it. */
export function standaloneEventSize (event: unknown): number {
  const g = toGoEvent(isObj(event) ? event : {}, true)
  return Buffer.byteLength(goJson(g.event, g.maps)) + 1
}

// ---------------------------------------------------------------------------------------------
// Events

/**
 * A minimal audit.k8s.io/v1 Event as a webhook item carries it (no kind/apiVersion); `i` makes
 * auditID unique. Overrides win; a value of undefined removes the field.
 */
export function auditEvent (i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const ts = microTime(new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i % 1000)))
  const ev: Record<string, unknown> = {
    level: 'Metadata',
    auditID: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods',
    verb: 'create',
    user: { username: 'system:serviceaccount:default:test', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.1'],
    userAgent: 'kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0',
    objectRef: { resource: 'pods', namespace: 'default', name: `pod-${i}`, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestReceivedTimestamp: ts,
    stageTimestamp: ts,
    ...overrides
  }
  for (const [k, v] of Object.entries(ev)) if (v === undefined) delete ev[k]
  return ev
}

/** The sample directory, read at test time through the repo-relative path (never copied). */
export const AUDIT_SAMPLES_DIR = join('..', 'shared', 'reference', 'audit-samples')

export interface SampleEvent { file: string, event: Record<string, unknown> }

/**
 * Every event of ../shared/reference/audit-samples: log-backend lines (one Event each, with its
 * TypeMeta) or a whole JSON document. The webhook strips the TypeMeta when it sends them.
 */
export function loadAuditSamples (dir = AUDIT_SAMPLES_DIR): SampleEvent[] {
  const out: SampleEvent[] = []
  for (const file of readdirSync(dir).filter((f) => /\.jsonl?$/.test(f)).sort()) {
    const text = readFileSync(join(dir, file), 'utf8')
    const docs: unknown[] = file.endsWith('.jsonl')
      ? text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l))
      : [JSON.parse(text)]
    for (const d of docs) {
      const items = isObj(d) && d.kind === 'EventList' && Array.isArray(d.items) ? d.items : [d]
      for (const ev of items) if (isObj(ev)) out.push({ file, event: ev })
    }
  }
  return out
}

/** The samples' events as the webhook backend sends them, EventList items without their TypeMeta. */
export function auditSampleItems (dir = AUDIT_SAMPLES_DIR): Array<Record<string, unknown>> {
  return loadAuditSamples(dir).map(function withoutTypeMeta ({ event }) {
    const { kind: _k, apiVersion: _a, ...item } = event
    return item
  })
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP for the tests' own requests (malformed bodies, probes): not the apiserver.

export interface HttpAnswer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

export interface RequestOptions {
  method?: string
  headers?: Record<string, string>
  body?: string | Buffer
  ca?: string
  cert?: string
  key?: string
  agent?: http.Agent
}

/** One HTTP(S) request; rejects only on a connection/TLS error. */
export function request (url: string, opts: RequestOptions = {}): Promise<HttpAnswer> {
  const u = new URL(url)
  const mod = u.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const req = mod.request(u, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      // a fresh connection per call unless told otherwise: tests then never reuse a socket the server closed
      agent: opts.agent ?? false
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

// ---------------------------------------------------------------------------------------------
// The webhook backend

/** The parts of the webhook kubeconfig the backend uses (clusters[].cluster, users[].user). */
export interface WebhookKubeconfig {
  /** clusters[].cluster.server: the full URL, path included */
  server: string
  /** certificate-authority(-data) */
  certificateAuthority?: string | Buffer
  /** client-certificate(-data) / client-key(-data): mTLS */
  clientCertificate?: string | Buffer
  clientKey?: string | Buffer
  /** token: Authorization: Bearer */
  token?: string
  /** username/password: Authorization: Basic */
  username?: string
  password?: string
}

export type WebhookMode = 'batch' | 'blocking' | 'blocking-strict'

export interface WebhookBackendOptions {
  kubeconfig: WebhookKubeconfig
  /** --audit-webhook-mode (default batch) */
  mode?: WebhookMode
  /** --audit-webhook-batch-max-size (400) */
  batchMaxSize?: number
  /** --audit-webhook-batch-max-wait (30 s) */
  batchMaxWaitMs?: number
  /** --audit-webhook-batch-buffer-size (10000) */
  bufferSize?: number
  /** --audit-webhook-batch-throttle-qps / -burst (10 / 15); qps 0 disables the throttle */
  throttleQps?: number
  throttleBurst?: number
  /** --audit-webhook-initial-backoff (10 s) */
  initialBackoffMs?: number
  /** how long one Retry-After second lasts (1000): a scaled clock for client-go's inner loop */
  retryAfterSecondMs?: number
  /** per-request timeout of the webhook's rest client (30 s) */
  requestTimeoutMs?: number
  /** --audit-webhook-truncate-enabled and its -max-event-size / -max-batch-size */
  truncate?: { enabled: boolean, maxEventSize?: number, maxBatchSize?: number }
  userAgent?: string
  /** jitter source (Math.random) */
  random?: () => number
}

/** One HTTP exchange of a batch. */
export interface Exchange {
  status?: number
  retryAfter?: string
  /** connection/TLS/timeout error */
  error?: string
  body?: string
  headers?: http.IncomingHttpHeaders
}

/** One attempt of the outer loop: client-go's requests within it (more than one only after Retry-After). */
export interface Attempt {
  exchanges: Exchange[]
  /** the last exchange's status, or its error */
  status?: number
  retryAfter?: string
  error?: string
}

export interface BatchOutcome {
  /** events in the list */
  events: number
  auditIDs: string[]
  /** the exact body sent */
  body: string
  delivered: boolean
  attempts: Attempt[]
}

export interface WebhookBackend {
  /**
   * The audit pipeline handing events to the backend (audit.Backend.ProcessEvents). batch: they
   * join the buffer (false when it was full and some were dropped). blocking: one list sent now,
   * true whatever happens; blocking-strict: true only when delivered.
   */
  processEvents(...events: unknown[]): Promise<boolean>
  /** Resolves when the buffer is empty and no batch is being sent (observes; changes nothing). */
  idle(): Promise<void>
  /**
   * Bytes the apiserver never writes itself (a body broken on the way, e.g. by a proxy), through
   * the backend's request and both retry loops: how it treats an answer to them. Resolves with
   * whether it was delivered; the outcome is recorded like any batch.
   */
  deliverBody(body: string): Promise<boolean>
  /**
   * One HTTP exchange exactly as the backend makes it (headers, body of these events), without
   * its retries: for tests that observe a single answer. The real backend would go on retrying
   * anything but a 2xx.
   */
  postOnce(events: readonly unknown[]): Promise<Exchange>
  /** The apiserver stopping: the buffer is sent as it stops, then every batch finishes. */
  shutdown(): Promise<void>
  /** every batch sent, in the order it was started */
  readonly outcomes: BatchOutcome[]
  /** events lost: buffer full, too large after truncation, or their batch given up (apiserver_audit_error_total) */
  readonly errors: { bufferFull: number, tooLarge: number, batchGivenUp: number }
  /** connections opened (keep-alive reuses them) */
  readonly connections: number
  close(): void
}

const SUCCESS_MIN = 200
const SUCCESS_MAX = 206 // client-go: 200–206 is success, anything else is an error
const OUTER_STEPS = 5
const BACKOFF_FACTOR = 1.5
const BACKOFF_JITTER = 0.2
const INNER_MAX_RETRIES = 10
const TRUNCATED_ANNOTATION = 'audit.k8s.io/truncated'

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** strconv.Atoi on the Retry-After header, as client-go's retryAfterSeconds. */
function retryAfterSeconds (h: string | undefined): number | undefined {
  if (h === undefined || !/^[+-]?\d+$/.test(h)) return undefined
  return Number(h)
}

function basicAuth (user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64')
}

/** Go's crypto/tls checks names against SANs only (no CommonName fallback since Go 1.15). */
function checkSanOnly (host: string, cert: tls.PeerCertificate): Error | undefined {
  if (cert.subjectaltname === undefined || cert.subjectaltname === '') {
    return new Error('x509: certificate relies on legacy Common Name field, use SANs instead')
  }
  return tls.checkServerIdentity(host, cert)
}

export function createWebhookBackend (opts: WebhookBackendOptions): WebhookBackend {
  const kc = opts.kubeconfig
  const url = new URL(kc.server.replace(/\/+$/, ''))
  const isHttps = url.protocol === 'https:'
  const mode = opts.mode ?? 'batch'
  const batchMaxSize = opts.batchMaxSize ?? 400
  const batchMaxWaitMs = opts.batchMaxWaitMs ?? 30_000
  const bufferSize = opts.bufferSize ?? 10_000
  const qps = opts.throttleQps ?? 10
  const burst = opts.throttleBurst ?? 15
  const initialBackoffMs = opts.initialBackoffMs ?? 10_000
  const secondMs = opts.retryAfterSecondMs ?? 1000
  const timeoutMs = opts.requestTimeoutMs ?? 30_000
  const random = opts.random ?? Math.random
  const truncate = opts.truncate?.enabled === true
    ? { maxEventSize: opts.truncate.maxEventSize ?? 100 * 1024, maxBatchSize: opts.truncate.maxBatchSize ?? 10 * 1024 * 1024 }
    : undefined

  let connections = 0
  const agent = isHttps
    ? new https.Agent({
      keepAlive: true,
      ca: kc.certificateAuthority,
      cert: kc.clientCertificate,
      key: kc.clientKey,
      ALPNProtocols: ['h2', 'http/1.1'],
      checkServerIdentity: checkSanOnly
    })
    : new http.Agent({ keepAlive: true })
  const createConnection = agent.createConnection.bind(agent)
  agent.createConnection = function countConnection (...args: Parameters<typeof createConnection>) {
    connections++
    return createConnection(...args)
  } as typeof agent.createConnection

  // the request's headers in the order Go's transport writes them; Content-Length is set per body
  let authorization: string | undefined
  if (kc.token !== undefined) authorization = `Bearer ${kc.token}`
  else if (kc.username !== undefined || kc.password !== undefined) authorization = basicAuth(kc.username ?? '', kc.password ?? '')
  const path = url.pathname + url.search

  function post (body: string): Promise<Exchange> {
    const headers: Record<string, string> = {
      Host: url.host,
      'User-Agent': opts.userAgent ?? KUBE_APISERVER_USER_AGENT,
      'Content-Length': String(Buffer.byteLength(body)),
      Accept: 'application/json, */*'
    }
    if (authorization !== undefined) headers.Authorization = authorization
    headers['Content-Type'] = 'application/json'
    headers['Accept-Encoding'] = 'gzip'
    const mod = isHttps ? https : http
    return new Promise((resolve) => {
      let settled = false
      function settle (x: Exchange): void {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(x)
      }
      const req = mod.request({ protocol: url.protocol, hostname: url.hostname, port: url.port, path, method: 'POST', headers, agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', (err) => settle({ error: (err as NodeJS.ErrnoException).code ?? err.message }))
        res.on('end', () => {
          let raw = Buffer.concat(chunks)
          // Go's transport asked for gzip, so it decodes it transparently
          if (res.headers['content-encoding'] === 'gzip') {
            try { raw = gunzipSync(raw) } catch (err) { settle({ error: `gzip: ${(err as Error).message}` }); return }
          }
          const ra = res.headers['retry-after']
          settle({ status: res.statusCode ?? 0, body: raw.toString('utf8'), headers: res.headers, ...(typeof ra === 'string' ? { retryAfter: ra } : {}) })
        })
      })
      // Go's HTTP/1.1 client sends no Connection header; keep-alive is the HTTP/1.1 default
      req.removeHeader('connection')
      req.on('socket', (s) => {
        if (s instanceof tls.TLSSocket) {
          s.once('secureConnect', () => {
            if (s.alpnProtocol === 'h2') req.destroy(new Error('the server chose h2, which this double does not speak'))
          })
        }
      })
      req.on('error', (err) => settle({ error: (err as NodeJS.ErrnoException).code ?? err.message }))
      const timer = setTimeout(() => {
        req.destroy(new Error('Client.Timeout exceeded while awaiting headers'))
        settle({ error: 'Client.Timeout exceeded' })
      }, timeoutMs)
      req.end(body)
    })
  }

  /** One outer attempt: client-go's Do(), with its Retry-After loop. */
  async function attempt (body: string): Promise<Attempt> {
    const exchanges: Exchange[] = []
    for (let retries = 0; ; retries++) {
      const x = await post(body)
      exchanges.push(x)
      const last: Attempt = { exchanges, ...(x.status !== undefined ? { status: x.status } : {}), ...(x.retryAfter !== undefined ? { retryAfter: x.retryAfter } : {}), ...(x.error !== undefined ? { error: x.error } : {}) }
      if (x.status === undefined) return last // a POST is not re-sent on a connection error
      if (x.status >= SUCCESS_MIN && x.status <= SUCCESS_MAX) return last
      const seconds = retryAfterSeconds(x.retryAfter)
      const waits = x.status === 429 || x.status >= 500
      if (!waits || seconds === undefined || retries >= INNER_MAX_RETRIES) return last
      await sleep(Math.max(0, seconds) * secondMs)
    }
  }

  const outcomes: BatchOutcome[] = []
  const errors = { bufferFull: 0, tooLarge: 0, batchGivenUp: 0 }

  /** The webhook backend's processEvents: one list, the outer retry loop. */
  async function sendList (events: readonly unknown[]): Promise<boolean> {
    return await sendBody(encodeEventList(events), events)
  }

  async function sendBody (body: string, events: readonly unknown[]): Promise<boolean> {
    const outcome: BatchOutcome = {
      events: events.length,
      auditIDs: events.map((e) => String((e as Obj).auditID)),
      body,
      delivered: false,
      attempts: []
    }
    outcomes.push(outcome)
    let backoff = initialBackoffMs
    for (let n = 1; ; n++) {
      const a = await attempt(body)
      outcome.attempts.push(a)
      if (a.status !== undefined && a.status >= SUCCESS_MIN && a.status <= SUCCESS_MAX) {
        outcome.delivered = true
        return true
      }
      if (n >= OUTER_STEPS) break
      await sleep(backoff * (1 + random() * BACKOFF_JITTER))
      backoff *= BACKOFF_FACTOR
    }
    errors.batchGivenUp += events.length
    return false
  }

  // ---- buffered (batch mode)
  const buffer: unknown[] = []
  /** batches taken from the buffer and not yet handed to a sender (waiting for the throttle) */
  let held = 0
  let sending = 0
  let stopping = false
  let wakeCollector: (() => void) | undefined
  const idleWaiters: Array<() => void> = []
  let tokens = burst
  let tokensAt = Date.now()

  function notify (): void {
    if (buffer.length === 0 && held === 0 && sending === 0) {
      for (const w of idleWaiters.splice(0)) w()
    }
  }

  async function throttle (): Promise<void> {
    if (qps <= 0) return
    for (;;) {
      const now = Date.now()
      tokens = Math.min(burst, tokens + (now - tokensAt) * qps / 1000)
      tokensAt = now
      if (tokens >= 1) { tokens -= 1; return }
      await sleep(Math.ceil((1 - tokens) * 1000 / qps))
    }
  }

  /** One batch: up to batchMaxSize events, or what arrived within batchMaxWait of starting to collect. */
  async function collect (): Promise<unknown[]> {
    const deadline = Date.now() + batchMaxWaitMs
    while (buffer.length < batchMaxSize && !stopping) {
      const left = deadline - Date.now()
      if (left <= 0) break
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        // an idle backend must not keep a finished test's process alive
        if (buffer.length === 0) timer.unref()
        wakeCollector = () => { clearTimeout(timer); resolve() }
      })
      wakeCollector = undefined
    }
    const events = buffer.splice(0, batchMaxSize)
    // held from the step that empties the buffer: between collect() returning and its caller
    // resuming, idle() would otherwise find the events in neither place and resolve too early
    if (events.length > 0) held++
    return events
  }

  function dispatch (events: unknown[]): void {
    sending++
    void sendList(events).finally(() => { sending--; notify() })
  }

  let loopDone: Promise<void> = Promise.resolve()
  if (mode === 'batch') {
    loopDone = (async function processIncomingEvents () {
      while (!stopping) {
        const events = await collect()
        if (events.length === 0) continue
        await throttle()
        held--
        dispatch(events)
      }
      // stopping: what is left in the buffer goes out too
      while (buffer.length > 0) dispatch(buffer.splice(0, batchMaxSize))
      notify()
    })()
  }

  /** Truncating backend in front: per-event truncation, then lists of at most maxBatchSize bytes. */
  function truncated (events: unknown[]): unknown[][] {
    if (truncate === undefined) return [events]
    const lists: unknown[][] = []
    let list: unknown[] = []
    let bytes = 0
    for (let ev of events) {
      let size = standaloneEventSize(ev)
      const level = isObj(ev) ? ev.level : undefined
      if (size > truncate.maxEventSize && (level === 'Request' || level === 'RequestResponse') && isObj(ev)) {
        const { requestObject: _req, responseObject: _res, ...rest } = ev
        ev = { ...rest, annotations: { ...(isObj(ev.annotations) ? ev.annotations : {}), [TRUNCATED_ANNOTATION]: 'true' } }
        size = standaloneEventSize(ev)
      }
      if (size > truncate.maxEventSize) { errors.tooLarge++; continue }
      if (list.length > 0 && bytes + size > truncate.maxBatchSize) { lists.push(list); list = []; bytes = 0 }
      bytes += size
      list.push(ev)
    }
    if (list.length > 0) lists.push(list)
    return lists
  }

  async function processEvents (...events: unknown[]): Promise<boolean> {
    let ok = true
    for (const list of truncated(events)) {
      if (mode === 'batch') {
        for (const ev of list) {
          if (stopping || buffer.length >= bufferSize) { errors.bufferFull++; ok = false; continue }
          buffer.push(ev)
        }
        wakeCollector?.()
        continue
      }
      const delivered = await sendList(list)
      if (!delivered && mode === 'blocking-strict') ok = false
    }
    return ok
  }

  return {
    processEvents,
    async postOnce (events) { return await post(encodeEventList(events)) },
    async deliverBody (body) { return await sendBody(body, []) },
    idle () {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve)
        notify()
      })
    },
    async shutdown () {
      stopping = true
      wakeCollector?.()
      await loopDone
      if (sending > 0) await new Promise<void>((resolve) => { idleWaiters.push(resolve) })
    },
    outcomes,
    errors,
    get connections () { return connections },
    close () { agent.destroy() }
  }
}

/**
 * One batch as kube-apiserver posts it (its headers, its body for these events, a keep-alive
 * connection of its own), and the answer to that first attempt. For tests that assert the answer;
 * the real backend would go on retrying anything but a 2xx (createWebhookBackend does).
 */
export async function postAsApiserver (server: string, events: readonly unknown[], kubeconfig: Omit<WebhookKubeconfig, 'server'> = {}): Promise<Exchange & { status: number, body: string }> {
  const backend = createWebhookBackend({ kubeconfig: { ...kubeconfig, server }, mode: 'blocking' })
  try {
    const x = await backend.postOnce(events)
    if (x.status === undefined) throw new Error(`POST ${server}: ${x.error ?? 'no answer'}`)
    return { ...x, status: x.status, body: x.body ?? '' }
  } finally {
    await backend.shutdown()
    backend.close()
  }
}

// ---------------------------------------------------------------------------------------------
// The short form most webhook tests need

export interface ApiserverClientOptions {
  /** full URL, path included, as in the webhook kubeconfig's `server` */
  url: string
  ca?: string
  cert?: string
  key?: string
  token?: string
  username?: string
  password?: string
  /** --audit-webhook-batch-max-size */
  batchMaxSize?: number
  /** --audit-webhook-initial-backoff in ms (tests: a few ms; default the real 10 s) */
  initialBackoffMs?: number
  retryAfterSecondMs?: number
  mode?: WebhookMode
  truncate?: WebhookBackendOptions['truncate']
}

export interface ApiserverClient {
  /** Hands `events` to a batch-mode backend at once and resolves when each of their batches was delivered or given up. */
  send(events: unknown[]): Promise<BatchOutcome[]>
  readonly backend: WebhookBackend
  close(): void
}

/**
 * A batch-mode backend over a kubeconfig built from the short options. `send` hands the events to
 * the buffer in one go, so they leave in lists of batchMaxSize (the last one when the short
 * batch-max-wait of 10 ms expires), several in flight at once as upstream.
 */
export function createApiserverClient (opts: ApiserverClientOptions): ApiserverClient {
  const kubeconfig: WebhookKubeconfig = { server: opts.url }
  if (opts.ca !== undefined) kubeconfig.certificateAuthority = opts.ca
  if (opts.cert !== undefined) kubeconfig.clientCertificate = opts.cert
  if (opts.key !== undefined) kubeconfig.clientKey = opts.key
  if (opts.token !== undefined) kubeconfig.token = opts.token
  if (opts.username !== undefined) kubeconfig.username = opts.username
  if (opts.password !== undefined) kubeconfig.password = opts.password
  const backend = createWebhookBackend({
    kubeconfig,
    mode: opts.mode ?? 'batch',
    batchMaxWaitMs: 10,
    ...(opts.batchMaxSize !== undefined ? { batchMaxSize: opts.batchMaxSize } : {}),
    initialBackoffMs: opts.initialBackoffMs ?? 10_000,
    ...(opts.retryAfterSecondMs !== undefined ? { retryAfterSecondMs: opts.retryAfterSecondMs } : {}),
    ...(opts.truncate !== undefined ? { truncate: opts.truncate } : {})
  })
  return {
    backend,
    async send (events) {
      const before = backend.outcomes.length
      if ((opts.mode ?? 'batch') === 'batch') {
        await backend.processEvents(...events)
        await backend.idle()
      } else {
        for (const ev of events) await backend.processEvents(ev)
      }
      return backend.outcomes.slice(before)
    },
    close () { void backend.shutdown().finally(() => backend.close()) }
  }
}

// ---------------------------------------------------------------------------------------------
// Raw sockets, for what higher-level clients hide (pipelining, half-sent headers): not the apiserver.

/** A raw TCP connection for what higher-level clients hide: pipelined requests, half-sent headers. */
export interface RawConnection {
  write(text: string): void
  /** the next complete response on the connection (Content-Length framed) */
  readResponse(): Promise<HttpAnswer>
  /** resolves when the server has closed the connection */
  closed: Promise<void>
  destroy(): void
}

export function openRawConnection (port: number, host = '127.0.0.1'): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host)
    let buf = Buffer.alloc(0)
    let wake: (() => void) | undefined
    let ended = false
    const closed = new Promise<void>((resolveClosed) => socket.once('close', () => resolveClosed()))
    socket.on('data', (c: Buffer) => { buf = Buffer.concat([buf, c]); wake?.() })
    socket.on('close', () => { ended = true; wake?.() })
    socket.on('error', () => {})

    function tryParse (): HttpAnswer | undefined {
      const end = buf.indexOf('\r\n\r\n')
      if (end === -1) return undefined
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n')
      const status = Number((lines[0] ?? '').split(' ')[1])
      const headers: http.IncomingHttpHeaders = {}
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      const length = Number(headers['content-length'] ?? 0)
      if (buf.length < end + 4 + length) return undefined
      const body = buf.subarray(end + 4, end + 4 + length).toString('utf8')
      buf = buf.subarray(end + 4 + length)
      return { status, headers, body }
    }

    async function readResponse (): Promise<HttpAnswer> {
      for (;;) {
        const res = tryParse()
        if (res !== undefined) return res
        if (ended) throw new Error('connection closed before a complete response')
        await new Promise<void>((w) => { wake = w })
        wake = undefined
      }
    }

    socket.once('connect', () => resolve({
      write (text) { socket.write(text) },
      readResponse,
      closed,
      destroy () { socket.destroy() }
    }))
    socket.once('error', reject)
  })
}

/** The bytes of a POST with a JSON body, for RawConnection.write. */
export function rawPost (path: string, body: string, extraHeaders = ''): string {
  return `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`
}
