// A client that behaves like kube-apiserver's batching audit webhook backend: EventLists of at most
// 400 events, several batches in flight, Content-Type application/json, optional CA/client
// certificate/bearer token, and a retry of ANY failure (non-2xx or connection error) with backoff
// (10 s × 1.5 upstream; milliseconds here), after which the batch is given up.
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'

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

/** A minimal audit.k8s.io/v1 Event; `i` makes auditID unique. */
export function auditEvent (i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const ts = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i % 1000)).toISOString()
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods',
    verb: 'create',
    user: { username: 'system:serviceaccount:default:test', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.1'],
    objectRef: { resource: 'pods', namespace: 'default', name: `pod-${i}`, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestReceivedTimestamp: ts,
    stageTimestamp: ts,
    ...overrides
  }
}

export function eventList (items: unknown[]): Record<string, unknown> {
  return { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items }
}

export interface ApiserverClientOptions {
  /** full URL, path included, as in the webhook kubeconfig's `server` */
  url: string
  ca?: string
  cert?: string
  key?: string
  token?: string
  /** --audit-webhook-batch-max-size */
  batchMaxSize?: number
  /** batches sent at once */
  concurrency?: number
  /** attempts per batch, the first included (upstream: 5) */
  maxAttempts?: number
  /** first backoff in ms, then × 1.5 (upstream: 10 s) */
  initialBackoffMs?: number
}

export interface Attempt {
  status?: number
  retryAfter?: string
  error?: string
}

export interface BatchOutcome {
  events: number
  delivered: boolean
  attempts: Attempt[]
}

export interface ApiserverClient {
  /** Splits events into EventLists and sends them like the apiserver would; resolves when each is delivered or given up. */
  send(events: unknown[]): Promise<BatchOutcome[]>
  close(): void
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function createApiserverClient (opts: ApiserverClientOptions): ApiserverClient {
  const isHttps = new URL(opts.url).protocol === 'https:'
  // keep-alive, like Go's transport
  const agent = isHttps ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true })
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`
  const batchMax = opts.batchMaxSize ?? 400
  const maxAttempts = opts.maxAttempts ?? 5

  async function sendBatch (items: unknown[]): Promise<BatchOutcome> {
    const body = JSON.stringify(eventList(items))
    const attempts: Attempt[] = []
    let backoff = opts.initialBackoffMs ?? 5
    for (let n = 0; n < maxAttempts; n++) {
      if (n > 0) {
        await sleep(backoff)
        backoff *= 1.5
      }
      try {
        const res = await request(opts.url, { method: 'POST', headers, body, ca: opts.ca, cert: opts.cert, key: opts.key, agent })
        const retryAfter = res.headers['retry-after']
        attempts.push(retryAfter === undefined ? { status: res.status } : { status: res.status, retryAfter })
        if (res.status >= 200 && res.status < 300) return { events: items.length, delivered: true, attempts }
      } catch (err) {
        attempts.push({ error: (err as NodeJS.ErrnoException).code ?? String(err) })
      }
    }
    return { events: items.length, delivered: false, attempts }
  }

  async function send (events: unknown[]): Promise<BatchOutcome[]> {
    const batches: unknown[][] = []
    for (let i = 0; i < events.length; i += batchMax) batches.push(events.slice(i, i + batchMax))
    const outcomes: BatchOutcome[] = new Array(batches.length)
    let next = 0
    async function worker (): Promise<void> {
      while (next < batches.length) {
        const i = next++
        outcomes[i] = await sendBatch(batches[i] as unknown[])
      }
    }
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 3, batches.length) }, worker))
    return outcomes
  }

  return { send, close () { agent.destroy() } }
}

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
