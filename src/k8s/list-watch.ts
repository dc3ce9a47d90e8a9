// A minimal Kubernetes list+watch client on node:http(s). @kubernetes/client-node 2 cannot be
// loaded on Node 20 (its undici needs Node >= 22.19), so the watch speaks the protocol itself:
// GET list → resourceVersion → GET ?watch=true streaming one JSON {type, object} per line;
// resume from the last version, re-list on 410 Gone, back off on failures.
import { readFileSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { createInterface } from 'node:readline'

export interface ApiConnection {
  /** https://host:port (http:// for tests on loopback) */
  server: string
  /** bearer token, or a file to re-read on every request (projected tokens rotate) */
  token?: string
  tokenFile?: string
  /** PEM CA bundle */
  ca?: string | Buffer
  skipTLSVerify?: boolean
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

/** The pod's own service account connection, or undefined outside a cluster. */
export function inClusterConnection (env: NodeJS.ProcessEnv = process.env, dir = SA_DIR): ApiConnection | undefined {
  const host = env.KUBERNETES_SERVICE_HOST
  const port = env.KUBERNETES_SERVICE_PORT
  if (host === undefined || host === '' || port === undefined) return undefined
  let ca: Buffer | undefined
  try { ca = readFileSync(`${dir}/ca.crt`) } catch { return undefined }
  const h = host.includes(':') ? `[${host}]` : host
  return { server: `https://${h}:${port}`, tokenFile: `${dir}/token`, ca }
}

function bearer (c: ApiConnection): string | undefined {
  if (c.tokenFile !== undefined) {
    try { return readFileSync(c.tokenFile, 'utf8').trim() } catch { return c.token }
  }
  return c.token
}

export class ApiError extends Error {
  constructor (message: string, readonly status: number | undefined) { super(message) }
}

/** One GET; resolves with the response once headers arrived with status 200. */
export function apiGet (c: ApiConnection, path: string, query: Record<string, string>, signal: AbortSignal, idleTimeoutMs = 30_000): Promise<IncomingMessage> {
  const url = new URL(path, c.server)
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
  const headers: Record<string, string> = { accept: 'application/json' }
  const token = bearer(c)
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  const https = url.protocol === 'https:'
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(url, {
      method: 'GET', headers, signal, ...(https ? { ca: c.ca, rejectUnauthorized: c.skipTLSVerify !== true } : {})
    }, function onResponse (res) {
      if (res.statusCode === 200) { resolve(res); return }
      res.resume()
      reject(new ApiError(`GET ${url.pathname}: HTTP ${res.statusCode ?? '?'}`, res.statusCode))
    })
    req.on('error', reject)
    // a silent connection (partition, stuck proxy) is dropped: the loop then re-lists
    req.setTimeout(idleTimeoutMs, function idle () { req.destroy(new ApiError(`GET ${url.pathname}: no data for ${idleTimeoutMs} ms`, undefined)) })
    req.end()
  })
}

async function readJson (res: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const c of res) chunks.push(c as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

interface KObject { metadata?: { resourceVersion?: string } }
interface KList<T> { metadata?: { resourceVersion?: string }, items?: T[] }

export interface WatchHandlers<T> {
  /** the full set after a (re-)list */
  reset(items: T[]): void
  upsert(o: T): void
  remove(o: T): void
  error(err: Error): void
}

export interface ListWatchOptions {
  fieldSelector?: string
  retryDelayMs?: number
  maxRetryDelayMs?: number
  /** server-side watch timeout; the watch is then resumed (default 300 s) */
  timeoutSeconds?: number
  /** a list that sends nothing for this long fails and is retried (default 30 s) */
  listTimeoutMs?: number
}

/**
 * Runs list+watch until stopped. `start()` resolves after the first list attempt (success or
 * not) so callers can start serving with whatever is known.
 */
export class ListWatcher<T extends KObject> {
  private readonly ac = new AbortController()
  private rv = ''
  private delay: number
  private firstList: (() => void) | undefined
  private timer: NodeJS.Timeout | undefined

  constructor (
    private readonly conn: ApiConnection,
    private readonly path: string,
    private readonly h: WatchHandlers<T>,
    private readonly opts: ListWatchOptions = {}
  ) {
    this.delay = opts.retryDelayMs ?? 1000
  }

  start (): Promise<void> {
    const ready = new Promise<void>((resolve) => { this.firstList = resolve })
    void this.loop()
    return ready
  }

  stop (): void {
    this.ac.abort()
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.firstList?.()
  }

  private selector (): Record<string, string> {
    return this.opts.fieldSelector === undefined ? {} : { fieldSelector: this.opts.fieldSelector }
  }

  private async list (): Promise<void> {
    const res = await apiGet(this.conn, this.path, this.selector(), this.ac.signal, this.opts.listTimeoutMs)
    const body = await readJson(res) as KList<T>
    this.h.reset(body.items ?? [])
    this.rv = body.metadata?.resourceVersion ?? ''
  }

  /** Stream one watch until the server closes it; returns false when a re-list is needed. */
  private async watchOnce (): Promise<boolean> {
    const res = await apiGet(this.conn, this.path, {
      ...this.selector(), watch: 'true', resourceVersion: this.rv, allowWatchBookmarks: 'true',
      timeoutSeconds: String(this.opts.timeoutSeconds ?? 300)
    }, this.ac.signal, ((this.opts.timeoutSeconds ?? 300) + 60) * 1000)
    this.delay = this.opts.retryDelayMs ?? 1000
    const lines = createInterface({ input: res, crlfDelay: Infinity })
    for await (const line of lines) {
      if (line.trim() === '') continue
      let ev: { type?: string, object?: T & { code?: number } }
      try { ev = JSON.parse(line) } catch { continue }
      const o = ev.object
      if (o === undefined) continue
      const v = o.metadata?.resourceVersion
      switch (ev.type) {
        case 'ADDED': case 'MODIFIED': this.h.upsert(o); break
        case 'DELETED': this.h.remove(o); break
        case 'BOOKMARK': break
        case 'ERROR':
          if (o.code === 410) return false
          this.h.error(new ApiError(`watch ${this.path}: ${JSON.stringify(o).slice(0, 200)}`, o.code))
          return false
      }
      if (v !== undefined) this.rv = v
    }
    return true
  }

  private async loop (): Promise<void> {
    let needList = true
    while (!this.ac.signal.aborted) {
      try {
        if (needList) {
          try {
            await this.list()
          } finally {
            this.firstList?.()
            this.firstList = undefined
          }
        }
        needList = !(await this.watchOnce())
      } catch (err) {
        if (this.ac.signal.aborted) return
        this.h.error(err instanceof Error ? err : new Error(String(err)))
        needList = true
        await new Promise<void>((resolve) => {
          this.timer = setTimeout(resolve, this.delay)
          this.timer.unref()
        })
        this.delay = Math.min(this.delay * 2, this.opts.maxRetryDelayMs ?? 30_000)
      }
    }
  }
}
