// The HTTP channel: one POST per alert in Falco's format, as falcosidekick and other webhook
// receivers expect (application/json for JSON alerts, text/plain otherwise). TLS: CA file, bundle
// or directory, mTLS client certificate, `insecure`. Retries network errors, timeouts, 429 and 5xx
// with exponential backoff; other statuses fail at once (retrying cannot fix them).
import http from 'node:http'
import https from 'node:https'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { ConfigError } from '../errors/index.ts'
import type { HttpOutputOptions } from '../config/index.ts'
import { PartialDeliveryError } from './program.ts'
import type { OutputChannel } from './types.ts'

export interface HttpChannelOptions extends Pick<HttpOutputOptions, 'url' | 'userAgent' | 'insecure' | 'caCert' | 'caBundle' | 'caPath' | 'mtls' | 'clientCert' | 'clientKey' | 'compressUploads' | 'keepAlive' | 'maxConsecutiveTimeouts' | 'timeoutMs' | 'retries'> {
  contentType: 'application/json' | 'text/plain'
  /** POSTs in flight at once (default 4): with a remote receiver, latency not bandwidth bounds a sequential sender */
  concurrency?: number
  /** first backoff delay; doubles per attempt */
  backoffMs?: number
  maxBackoffMs?: number
}

class HttpStatusError extends Error {
  readonly status: number
  constructor (status: number) { super(`HTTP ${status}`); this.status = status }
}
class HttpTimeoutError extends Error {}

function readPem (file: string, key: string): Buffer {
  try { return readFileSync(file) } catch (err) {
    throw new ConfigError('ERR_CONFIG_INVALID', `${key}: cannot read '${file}' (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err, location: { itemType: 'config', itemName: key } })
  }
}

/** CA certificates from ca_cert, ca_bundle and every file of ca_path; undefined = system CAs. */
function loadCas (o: HttpChannelOptions): Buffer[] | undefined {
  const cas: Buffer[] = []
  if (o.caCert !== undefined) cas.push(readPem(o.caCert, 'http_output.ca_cert'))
  if (o.caBundle !== undefined) cas.push(readPem(o.caBundle, 'http_output.ca_bundle'))
  if (o.caPath !== undefined) {
    let names: string[] = []
    try { names = readdirSync(o.caPath) } catch { /* Falco's default /etc/ssl/certs may be absent */ }
    for (const n of names) if (/\.(pem|crt)$/.test(n)) cas.push(readPem(path.join(o.caPath, n), 'http_output.ca_path'))
  }
  return cas.length > 0 ? cas : undefined
}

function buildAgent (o: HttpChannelOptions, url: URL): http.Agent {
  if (url.protocol === 'http:') return new http.Agent({ keepAlive: o.keepAlive })
  const ca = loadCas(o)
  const tls: https.AgentOptions = { keepAlive: o.keepAlive, rejectUnauthorized: !o.insecure }
  if (ca !== undefined) tls.ca = ca
  if (o.mtls) {
    if (o.clientCert === undefined || o.clientKey === undefined) {
      throw new ConfigError('ERR_CONFIG_INVALID', 'http_output: mtls needs client_cert and client_key', { location: { itemType: 'config', itemName: 'http_output.mtls' } })
    }
    tls.cert = readPem(o.clientCert, 'http_output.client_cert')
    tls.key = readPem(o.clientKey, 'http_output.client_key')
  }
  return new https.Agent(tls)
}

function post (url: URL, agent: http.Agent, headers: http.OutgoingHttpHeaders, body: Buffer, timeoutMs: number, active: Set<http.ClientRequest>): Promise<void> {
  const mod = url.protocol === 'https:' ? https : http
  return new Promise<void>((resolve, reject) => {
    const req = mod.request(url, { method: 'POST', agent, headers: { ...headers, 'Content-Length': body.length } }, function httpOutputResponse (res) {
      res.resume()
      res.on('end', () => {
        const s = res.statusCode ?? 0
        if (s >= 200 && s < 300) resolve(); else reject(new HttpStatusError(s))
      })
      res.on('error', reject)
    })
    req.setTimeout(timeoutMs, () => { req.destroy(new HttpTimeoutError(`no answer within ${timeoutMs} ms`)) })
    req.on('error', reject)
    req.on('close', () => { active.delete(req) })
    active.add(req)
    req.end(body)
  })
}

function retryable (err: unknown): boolean {
  if (err instanceof HttpStatusError) return err.status === 429 || err.status === 408 || err.status >= 500
  return true
}

// unref'd: a pending backoff never keeps a stopping process alive
const sleep = (ms: number): Promise<void> => new Promise((resolve) => { setTimeout(resolve, ms).unref() })

export function createHttpChannel (opts: HttpChannelOptions): OutputChannel {
  let url: URL
  try { url = new URL(opts.url) } catch (err) {
    throw new ConfigError('ERR_CONFIG_INVALID', `http_output.url: expected an http(s) URL, got '${opts.url}'`, { cause: err, location: { itemType: 'config', itemName: 'http_output.url' } })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('ERR_CONFIG_INVALID', `http_output.url: expected an http(s) URL, got '${opts.url}'`, { location: { itemType: 'config', itemName: 'http_output.url' } })
  }
  const agent = buildAgent(opts, url)
  const headers: http.OutgoingHttpHeaders = { 'Content-Type': opts.contentType, 'User-Agent': opts.userAgent }
  if (opts.compressUploads) headers['Content-Encoding'] = 'gzip'
  const backoff = opts.backoffMs ?? 200
  const maxBackoff = opts.maxBackoffMs ?? 5000
  const maxTimeouts = opts.maxConsecutiveTimeouts ?? Infinity
  // close() aborts what is in flight and stops retries: shutdown must not wait on a dead receiver
  const active = new Set<http.ClientRequest>()
  let closed = false
  const closedError = (): Error => new Error('http output closed')

  async function deliver (line: string): Promise<void> {
    const raw = Buffer.from(line)
    const body = opts.compressUploads ? gzipSync(raw) : raw
    let timeouts = 0
    for (let attempt = 0; ; attempt++) {
      if (closed) throw closedError()
      try {
        await post(url, agent, headers, body, opts.timeoutMs, active)
        return
      } catch (err) {
        // the timeout budget (Falco's max_consecutive_timeouts) bounds timeouts only, not other retries
        const timedOut = err instanceof HttpTimeoutError
        if (timedOut) timeouts++
        if (closed || attempt >= opts.retries || !retryable(err) || (timedOut && timeouts >= maxTimeouts)) throw err
        await sleep(Math.min(maxBackoff, backoff * 2 ** attempt))
      }
    }
  }

  return {
    name: 'http',
    async send (lines) {
      let failed = 0
      let lastErr: unknown
      let next = 0
      async function sender (): Promise<void> {
        while (next < lines.length) {
          const line = lines[next++] as string
          try { await deliver(line) } catch (err) { failed++; lastErr = err }
        }
      }
      const n = Math.max(1, Math.min(opts.concurrency ?? 4, lines.length))
      await Promise.all(Array.from({ length: n }, sender))
      if (failed > 0) throw new PartialDeliveryError(`${failed} of ${lines.length} POSTs to ${url.host} failed: ${(lastErr as Error).message}`, failed, lastErr)
    },
    async close () {
      closed = true
      for (const req of active) req.destroy(closedError())
      agent.destroy()
    }
  }
}
