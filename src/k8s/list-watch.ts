// The one Kubernetes list-then-watch loop of Lanner (pods, namespaces, rules ConfigMaps), over
// @kubernetes/client-node: list, watch from the list's resourceVersion, resume after a clean end,
// re-list on 410 Gone, back off with jitter on failures. Never throws once started.
import type { ConfigurationOptions, KubeConfig, Watch } from '@kubernetes/client-node'
import { AppError } from '../errors/index.ts'

export interface KubeObject { metadata?: { name?: string, namespace?: string, resourceVersion?: string } }
export interface KubeList<T> { metadata?: { resourceVersion?: string }, items: T[] }
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface ListWatchOptions<T extends KubeObject> {
  kubeConfig: KubeConfig
  /** collection path that is watched, e.g. `/api/v1/pods` */
  path: string
  /** what error messages call it, e.g. `pod` or `configmap lanner/rules` */
  what?: string
  fieldSelector?: string
  labelSelector?: string
  /**
   * One list request with the same selectors. Pass `requestOptions(signal)` to the generated API
   * call so that close() and the list timeout abort it.
   */
  listFn: (signal: AbortSignal) => Promise<KubeList<T>>
  /** the full set after each successful (re-)list */
  onSync: (items: T[]) => void
  onEvent: (type: WatchEventType, obj: T) => void
  /** list/watch failures and handler exceptions, all ERR_K8S_WATCH; the loop keeps retrying */
  onError?: (err: AppError) => void
  /** retry delays: initialMs doubling up to maxMs, ±20 % jitter (default 1000 / 30000) */
  backoff?: { initialMs?: number, maxMs?: number }
  /** server-side end of each watch request, after which it is resumed (default 300 s) */
  watchTimeoutSeconds?: number
  /** a watch that receives nothing for this long is dropped and resumed (default timeout + 30 s) */
  idleTimeoutMs?: number
  /** a list that has not answered after this long fails and is retried (default 30 s) */
  listTimeoutMs?: number
}

export interface ListWatchHandle {
  /** settles after the first successful list, or on close */
  readonly synced: Promise<void>
  /** settles once the first list attempt ended, successful or not, or on close */
  readonly attempted: Promise<void>
  close(): void
}

type Outcome = 'events' | 'quiet' | 'expired'

/** Per-call options for generated API methods that make `signal` abort the request. */
export async function requestOptions (signal: AbortSignal): Promise<ConfigurationOptions> {
  const { Observable } = await import('@kubernetes/client-node')
  return {
    middleware: [{
      pre (ctx) { ctx.setSignal(signal); return new Observable(Promise.resolve(ctx)) },
      post (res) { return new Observable(Promise.resolve(res)) }
    }],
    middlewareMergeStrategy: 'append'
  }
}

/** Starts the loop; it runs until `close()`. */
export function listWatch<T extends KubeObject> (opts: ListWatchOptions<T>): ListWatchHandle {
  const what = opts.what ?? opts.path
  const initialMs = opts.backoff?.initialMs ?? 1000
  const maxMs = opts.backoff?.maxMs ?? 30_000
  const watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300
  const listTimeoutMs = opts.listTimeoutMs ?? 30_000
  const closing = new AbortController()

  let watcher: Watch | undefined
  let resourceVersion: string | undefined
  let attempt = 0
  let goneStreak = 0
  let abortWatch: (() => void) | undefined
  let wake: (() => void) | undefined
  let markSynced: () => void = () => {}
  let markAttempted: () => void = () => {}
  const synced = new Promise<void>((resolve) => { markSynced = resolve })
  const attempted = new Promise<void>((resolve) => { markAttempted = resolve })
  const closed = (): boolean => closing.signal.aborted

  function report (err: AppError): void {
    try { opts.onError?.(err) } catch { /* a failing reporter must not stop the watch */ }
  }

  function handlerFailed (err: unknown): void {
    report(new AppError('ERR_K8S_WATCH', `${what}: a watch handler failed: ${(err as Error)?.message ?? String(err)}`, { cause: err }))
  }

  async function sleep (ms: number): Promise<void> {
    if (closed()) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      wake = () => { clearTimeout(timer); resolve() }
    })
    wake = undefined
  }

  function jitter (ms: number): number {
    // keeps a fleet of DaemonSet pods from hammering a recovering apiserver in step
    return Math.round(ms * (0.8 + Math.random() * 0.4))
  }

  function backoffMs (): number {
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 20))
    attempt++
    return jitter(base)
  }

  async function list (): Promise<void> {
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(listTimeoutMs)])
    let res: KubeList<T>
    try {
      res = await opts.listFn(signal)
    } catch (err) {
      if (signal.aborted && !closed()) throw new AppError('ERR_K8S_WATCH', `${what}: list timed out after ${listTimeoutMs} ms`, { cause: err })
      throw err
    }
    if (closed()) return
    resourceVersion = res.metadata?.resourceVersion ?? ''
    try { opts.onSync(res.items ?? []) } catch (err) { handlerFailed(err) }
    markSynced()
  }

  async function watchOnce (): Promise<Outcome> {
    if (watcher === undefined) {
      const { Watch } = await import('@kubernetes/client-node')
      watcher = new Watch(opts.kubeConfig)
      // Watch's idle timeout is a private field (30 s): raised past the server-side timeout so that
      // a quiet but healthy watch is not dropped; if it ever disappears, quiet watches just resume.
      ;(watcher as unknown as { requestTimeoutMs: number }).requestTimeoutMs = opts.idleTimeoutMs ?? (watchTimeoutSeconds + 30) * 1000
    }
    const w = watcher
    return await new Promise<Outcome>((resolve, reject) => {
      let sawEvent = false
      let expired = false
      let failure: AppError | undefined
      let controller: AbortController | undefined
      let stop = false
      const abort = (): void => { stop = true; controller?.abort() }
      abortWatch = abort

      function onEvent (type: string, obj: any): void {
        if (stop) return
        if (type === 'ERROR') {
          if (obj?.code === 410) expired = true
          else failure = new AppError('ERR_K8S_WATCH', `${what}: watch error ${String(obj?.code ?? '')} ${String(obj?.message ?? '')}`.trim())
          // the server may keep the stream open after an ERROR: do not wait for it
          abort()
          return
        }
        sawEvent = true
        goneStreak = 0
        const rv = obj?.metadata?.resourceVersion
        if (typeof rv === 'string' && rv !== '') resourceVersion = rv
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
          try { opts.onEvent(type, obj as T) } catch (err) { handlerFailed(err) }
        }
      }

      function onDone (err: any): void {
        abortWatch = undefined
        if (expired || err?.statusCode === 410) resolve('expired')
        else if (failure !== undefined) reject(failure)
        // an idle timeout (silent partition, stuck proxy) just resumes from the last version
        else if (err !== null && err !== undefined && !stop && err.name !== 'TimeoutError') reject(err)
        else resolve(sawEvent ? 'events' : 'quiet')
      }

      const query: Record<string, string | number | boolean> = { allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds }
      if (opts.fieldSelector !== undefined) query.fieldSelector = opts.fieldSelector
      if (opts.labelSelector !== undefined) query.labelSelector = opts.labelSelector
      if (resourceVersion !== undefined && resourceVersion !== '') query.resourceVersion = resourceVersion
      w.watch(opts.path, query, onEvent, onDone).then((c) => {
        controller = c
        if (stop) c.abort()
      }, reject)
    })
  }

  async function loop (): Promise<void> {
    while (!closed()) {
      try {
        if (resourceVersion === undefined) {
          try { await list() } finally { markAttempted() }
        }
        if (closed()) break
        const outcome = await watchOnce()
        if (closed()) break
        if (outcome === 'expired') {
          resourceVersion = undefined
          // re-list at once the first time; a server that keeps answering 410 gets backoff
          if (goneStreak++ > 0) await sleep(backoffMs())
        } else if (outcome === 'events') {
          attempt = 0
        } else {
          // A watch that ended without a single event is normal for a quiet collection (the
          // apiserver ends it after timeoutSeconds): pause briefly so that a server closing at once
          // cannot make us spin, but do not escalate, or changes would wait for the maximum backoff.
          await sleep(jitter(initialMs))
        }
      } catch (err) {
        if (closed()) break
        if (statusOf(err) === 410) { resourceVersion = undefined; continue }
        report(err instanceof AppError ? err : new AppError('ERR_K8S_WATCH', `${what}: ${describe(err)}`, { cause: err }))
        await sleep(backoffMs())
      }
    }
    markSynced()
    markAttempted()
  }

  void loop()

  return {
    synced,
    attempted,
    close () {
      if (closed()) return
      closing.abort()
      abortWatch?.()
      wake?.()
      markSynced()
      markAttempted()
    }
  }
}

/** HTTP status of a client-node error: ApiException has `code`, Watch errors `statusCode`. */
function statusOf (err: unknown): number | undefined {
  const e = err as { code?: unknown, statusCode?: unknown } | null
  if (typeof e?.statusCode === 'number') return e.statusCode
  if (typeof e?.code === 'number') return e.code
  return undefined
}

/**
 * One line saying what went wrong. A generated-API error carries the apiserver's Status body
 * (`reason`, and a `message` such as RBAC's `pods is forbidden: User "…" cannot list resource
 * "pods" …`): that is what an operator needs, not client-node's "HTTP-Code: 403" preamble.
 */
function describe (err: unknown): string {
  const status = statusOf(err)
  const fromBody = statusMessage((err as { body?: unknown } | null)?.body)
  const msg = (err as { message?: unknown } | null)?.message
  // client-node's ApiException message is "HTTP-Code: 401\nMessage: Unauthorized\nBody: …"
  const apiMessage = typeof msg === 'string' ? /^HTTP-Code: \d+\nMessage: (.*)$/m.exec(msg)?.[1] : undefined
  const text = fromBody ?? apiMessage ?? (typeof msg === 'string' ? msg.split('\n')[0] : String(err))
  return (status !== undefined ? `HTTP ${status}: ` : '') + text
}

function statusMessage (body: unknown): string | undefined {
  let b = body
  if (typeof b === 'string') {
    try { b = JSON.parse(b) } catch { return undefined }
  }
  const s = b as { kind?: unknown, reason?: unknown, message?: unknown } | null
  if (s === null || typeof s !== 'object' || s.kind !== 'Status' || typeof s.message !== 'string') return undefined
  return typeof s.reason === 'string' && s.reason !== '' ? `${s.reason}: ${s.message}` : s.message
}
