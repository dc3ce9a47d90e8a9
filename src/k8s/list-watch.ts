// The one Kubernetes list-then-watch loop of Lanner (pods, namespaces, rules ConfigMaps), over
// @kubernetes/client-node: list, watch from the list's resourceVersion, resume after a clean end,
// re-list on 410 Gone, back off with jitter on failures. Never throws once started.
// The loop's pieces: RetryDelay (waits), watchOnce (one watch request), api-errors (what failed).
import type { ConfigurationOptions, KubeConfig, Watch } from '@kubernetes/client-node'
import { AppError } from '../errors/index.ts'
import { describeApiError, statusOf } from './api-errors.ts'
import { RetryDelay } from './retry-delay.ts'
import { newWatch, watchOnce, type WatchOutcome } from './watch-once.ts'

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
  const loop = new ListWatchLoop(opts)
  void loop.run()
  return {
    synced: loop.synced.promise,
    attempted: loop.attempted.promise,
    close () { loop.close() }
  }
}

/** A promise settled once, from outside. */
class Latch {
  readonly promise: Promise<void>
  readonly open: () => void

  constructor () {
    let open!: () => void
    this.promise = new Promise<void>(function latch (resolve) { open = resolve })
    this.open = open
  }
}

/**
 * The loop's states: no version (list) → watching from a version → after the watch ends: resume
 * (events), pause and resume (quiet), re-list (expired: at once the first time, with backoff when
 * it repeats), or back off and retry after a failure (410 from anywhere: re-list at once).
 */
class ListWatchLoop<T extends KubeObject> {
  readonly synced = new Latch()
  readonly attempted = new Latch()
  readonly #opts: ListWatchOptions<T>
  readonly #what: string
  readonly #watchTimeoutSeconds: number
  readonly #listTimeoutMs: number
  readonly #delay: RetryDelay
  readonly #closing = new AbortController()
  #watcher: Watch | undefined
  /** undefined: list next; '' a list without a version */
  #resourceVersion: string | undefined
  /** 410s in a row without an event between them */
  #goneStreak = 0
  #abortWatch: (() => void) | undefined
  #wake: (() => void) | undefined

  constructor (opts: ListWatchOptions<T>) {
    this.#opts = opts
    this.#what = opts.what ?? opts.path
    this.#watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300
    this.#listTimeoutMs = opts.listTimeoutMs ?? 30_000
    this.#delay = new RetryDelay(opts.backoff?.initialMs ?? 1000, opts.backoff?.maxMs ?? 30_000)
  }

  get #closed (): boolean {
    return this.#closing.signal.aborted
  }

  async run (): Promise<void> {
    while (!this.#closed) {
      try {
        if (this.#resourceVersion === undefined) {
          try { await this.#list() } finally { this.attempted.open() }
        }
        if (this.#closed) break
        const outcome = await this.#watch()
        if (this.#closed) break
        await this.#after(outcome)
      } catch (err) {
        if (this.#closed) break
        await this.#afterFailure(err)
      }
    }
    this.synced.open()
    this.attempted.open()
  }

  close (): void {
    if (this.#closed) return
    this.#closing.abort()
    this.#abortWatch?.()
    this.#wake?.()
    this.synced.open()
    this.attempted.open()
  }

  async #list (): Promise<void> {
    const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#listTimeoutMs)])
    let res: KubeList<T>
    try {
      res = await this.#opts.listFn(signal)
    } catch (err) {
      if (signal.aborted && !this.#closed) throw new AppError('ERR_K8S_WATCH', `${this.#what}: list timed out after ${this.#listTimeoutMs} ms`, { cause: err })
      throw err
    }
    if (this.#closed) return
    this.#resourceVersion = res.metadata?.resourceVersion ?? ''
    try { this.#opts.onSync(res.items ?? []) } catch (err) { this.#handlerFailed(err) }
    this.synced.open()
  }

  async #watch (): Promise<WatchOutcome> {
    this.#watcher ??= await newWatch(this.#opts.kubeConfig, this.#opts.idleTimeoutMs ?? (this.#watchTimeoutSeconds + 30) * 1000)
    // closed while client-node was being imported: no watch would be there for close() to abort
    if (this.#closed) return 'quiet'
    const running = watchOnce(this.#watcher, {
      path: this.#opts.path,
      query: this.#query(),
      what: this.#what,
      onEvent: (type, obj) => { this.#onEvent(type, obj) }
    })
    this.#abortWatch = running.abort
    try {
      return await running.outcome
    } finally {
      this.#abortWatch = undefined
    }
  }

  #query (): Record<string, string | number | boolean> {
    const query: Record<string, string | number | boolean> = { allowWatchBookmarks: true, timeoutSeconds: this.#watchTimeoutSeconds }
    if (this.#opts.fieldSelector !== undefined) query.fieldSelector = this.#opts.fieldSelector
    if (this.#opts.labelSelector !== undefined) query.labelSelector = this.#opts.labelSelector
    if (this.#resourceVersion !== undefined && this.#resourceVersion !== '') query.resourceVersion = this.#resourceVersion
    return query
  }

  #onEvent (type: string, obj: any): void {
    this.#goneStreak = 0
    const rv = obj?.metadata?.resourceVersion
    if (typeof rv === 'string' && rv !== '') this.#resourceVersion = rv
    if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
      try { this.#opts.onEvent(type, obj as T) } catch (err) { this.#handlerFailed(err) }
    }
  }

  async #after (outcome: WatchOutcome): Promise<void> {
    if (outcome === 'expired') {
      this.#resourceVersion = undefined
      // re-list at once the first time; a server that keeps answering 410 gets backoff
      if (this.#goneStreak++ > 0) await this.#sleep(this.#delay.afterFailure())
    } else if (outcome === 'events') {
      this.#delay.reset()
    } else {
      // A watch that ended without a single event is normal for a quiet collection (the
      // apiserver ends it after timeoutSeconds): pause briefly so that a server closing at once
      // cannot make us spin, but do not escalate, or changes would wait for the maximum backoff.
      await this.#sleep(this.#delay.pause())
    }
  }

  async #afterFailure (err: unknown): Promise<void> {
    if (statusOf(err) === 410) { this.#resourceVersion = undefined; return }
    this.#report(err instanceof AppError ? err : new AppError('ERR_K8S_WATCH', `${this.#what}: ${describeApiError(err)}`, { cause: err }))
    await this.#sleep(this.#delay.afterFailure())
  }

  async #sleep (ms: number): Promise<void> {
    if (this.#closed) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.#wake = function wake () { clearTimeout(timer); resolve() }
    })
    this.#wake = undefined
  }

  #report (err: AppError): void {
    try { this.#opts.onError?.(err) } catch { /* a failing reporter must not stop the watch */ }
  }

  #handlerFailed (err: unknown): void {
    this.#report(new AppError('ERR_K8S_WATCH', `${this.#what}: a watch handler failed: ${(err as Error)?.message ?? String(err)}`, { cause: err }))
  }
}
