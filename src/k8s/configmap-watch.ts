// Rules from a named ConfigMap through the Kubernetes API: list, then watch from the list's
// resourceVersion, re-list when the apiserver says the version is gone (410), back off on errors.
// Unlike the mounted-volume path this sees an edit within a second, not after the kubelet's sync.
// @kubernetes/client-node is loaded on first use, not at import: it is heavy, and a runtime that
// cannot load it (e.g. a Node older than its undici supports) must get a reported
// ERR_K8S_WATCH from the watch, not a crash of every module that imports this one.
import type { KubeConfig, V1ConfigMap, CoreV1Api, Watch } from '@kubernetes/client-node'
import { AppError, ConfigError } from '../errors/index.ts'
import type { RulesInput } from '../rules/api.ts'

export interface ConfigMapRef { namespace: string, name: string }

export interface WatchConfigMapOptions extends ConfigMapRef {
  kubeConfig: KubeConfig
  /** list/watch failures (ERR_K8S_WATCH) and callback exceptions; the watch keeps retrying */
  onError?: (err: AppError) => void
  /**
   * The ConfigMap disappeared (or is absent at start). Rules are NOT cleared: deleting and
   * re-creating a ConfigMap during an upgrade must not leave a window without rules.
   */
  onDeleted?: () => void
  backoff?: { initialMs?: number, maxMs?: number }
  /** asked of the apiserver so that it ends quiet watches before the client's 30 s idle timeout */
  watchTimeoutSeconds?: number
}

export interface ConfigMapWatcher {
  /** settles after the first successful list (found or not), or on close */
  readonly ready: Promise<void>
  close(): void
}

const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 }
const DEFAULT_WATCH_TIMEOUT_S = 20

/**
 * Calls `onData(data)` with the ConfigMap's `data` now and after every change of it (changes of
 * metadata alone, and repeats after a re-list, are not passed on). Never throws after returning:
 * every failure goes to `onError` and is retried with exponential backoff.
 */
export function watchConfigMap (opts: WatchConfigMapOptions, onData: (data: Record<string, string>) => void): ConfigMapWatcher {
  const { kubeConfig, namespace, name } = opts
  const initialMs = opts.backoff?.initialMs ?? DEFAULT_BACKOFF.initialMs
  const maxMs = opts.backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs
  let api: CoreV1Api | undefined
  let watcher: Watch | undefined
  const fieldSelector = `metadata.name=${name}`
  const watchPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`
  const what = `configmap ${namespace}/${name}`

  let closed = false
  let resourceVersion: string | undefined
  let lastDataKey: string | undefined
  let present = false
  let attempt = 0
  let goneStreak = 0
  let abortCurrent: (() => void) | undefined
  let wake: (() => void) | undefined
  let markReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => { markReady = resolve })

  function report (err: AppError): void {
    try { opts.onError?.(err) } catch { /* a failing reporter must not stop the watch */ }
  }

  function deliver (cm: V1ConfigMap): void {
    present = true
    const data = cm.data ?? {}
    const key = stableKey(data)
    if (key === lastDataKey) return
    lastDataKey = key
    try { onData({ ...data }) } catch (err) {
      report(new AppError('ERR_K8S_WATCH', `${what}: the data handler failed: ${(err as Error).message}`, { cause: err }))
    }
  }

  function gone (): void {
    if (!present) return
    present = false
    try { opts.onDeleted?.() } catch { /* see report() */ }
  }

  async function sleep (ms: number): Promise<void> {
    if (closed) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      wake = () => { clearTimeout(timer); resolve() }
    })
    wake = undefined
  }

  function backoffMs (): number {
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 20))
    attempt++
    // jitter keeps a fleet of DaemonSet pods from hammering a recovering apiserver in step
    return Math.round(base * (0.8 + Math.random() * 0.4))
  }

  async function connect (): Promise<void> {
    if (api !== undefined) return
    const k8s = await import('@kubernetes/client-node')
    api = kubeConfig.makeApiClient(k8s.CoreV1Api)
    watcher = new k8s.Watch(kubeConfig)
  }

  async function list (): Promise<void> {
    await connect()
    const res = await (api as CoreV1Api).listNamespacedConfigMap({ namespace, fieldSelector })
    resourceVersion = res.metadata?.resourceVersion
    const cm = res.items.find((i) => i.metadata?.name === name)
    if (cm === undefined) gone()
    else deliver(cm)
    markReady()
  }

  /** One watch request: 'events' or 'quiet' when it ended normally, 'expired' on 410 Gone. */
  async function watchOnce (): Promise<'events' | 'quiet' | 'expired'> {
    return await new Promise((resolve, reject) => {
      let sawEvent = false
      let expired = false
      let failure: AppError | undefined
      let controller: AbortController | undefined
      let stop = false
      const abort = (): void => { stop = true; controller?.abort() }
      abortCurrent = abort
      function onEvent (type: string, obj: any): void {
        if (stop) return
        if (type === 'ERROR') {
          if (obj?.code === 410) expired = true
          else failure = new AppError('ERR_K8S_WATCH', `${what}: watch error ${String(obj?.code ?? '')} ${String(obj?.message ?? '')}`.trim())
          abort()
          return
        }
        sawEvent = true
        goneStreak = 0
        const rv = obj?.metadata?.resourceVersion
        if (typeof rv === 'string' && rv !== '') resourceVersion = rv
        if (type === 'ADDED' || type === 'MODIFIED') {
          if (obj?.metadata?.name === name) deliver(obj as V1ConfigMap)
        } else if (type === 'DELETED') {
          if (obj?.metadata?.name === name) gone()
        }
      }
      function onDone (err: any): void {
        abortCurrent = undefined
        if (expired || err?.statusCode === 410) resolve('expired')
        else if (failure !== undefined) reject(failure)
        else if (err !== null && err !== undefined && !(stop && closed) && !isIdleTimeout(err)) reject(err)
        else resolve(sawEvent ? 'events' : 'quiet')
      }
      const query = { fieldSelector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: opts.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_S }
      ;(watcher as Watch).watch(watchPath, query, onEvent, onDone).then((c) => {
        controller = c
        if (stop) c.abort()
      }, reject)
    })
  }

  async function loop (): Promise<void> {
    while (!closed) {
      try {
        if (resourceVersion === undefined) await list()
        if (closed) break
        const outcome = await watchOnce()
        if (closed) break
        if (outcome === 'expired') {
          resourceVersion = undefined
          // re-list at once the first time; a server that keeps answering 410 gets backoff
          if (goneStreak++ > 0) await sleep(backoffMs())
        } else if (outcome === 'events') {
          attempt = 0
        } else {
          // A watch that ended without a single event is normal for a quiet ConfigMap (the
          // apiserver ends it after timeoutSeconds): pause briefly so a server that closes at once
          // cannot make us spin, but do not escalate, or edits would wait for the maximum backoff.
          await sleep(Math.round(initialMs * (0.8 + Math.random() * 0.4)))
        }
      } catch (err) {
        if (closed) break
        if ((err as { statusCode?: number, code?: number }).statusCode === 410 || (err as { code?: number }).code === 410) {
          resourceVersion = undefined
          continue
        }
        report(err instanceof AppError ? err : new AppError('ERR_K8S_WATCH', `${what}: ${describe(err)}`, { cause: err }))
        await sleep(backoffMs())
      }
    }
    markReady()
  }

  void loop()

  return {
    ready,
    close () {
      if (closed) return
      closed = true
      abortCurrent?.()
      wake?.()
      markReady()
    }
  }
}

function isIdleTimeout (err: unknown): boolean {
  return (err as { name?: string }).name === 'TimeoutError'
}

function describe (err: unknown): string {
  const e = err as { code?: unknown, statusCode?: unknown, message?: unknown }
  const status = typeof e.code === 'number' ? `HTTP ${e.code}: ` : typeof e.statusCode === 'number' ? `HTTP ${e.statusCode}: ` : ''
  const msg = typeof e.message === 'string' ? e.message.split('\n')[0] : String(err)
  return status + msg
}

function stableKey (data: Record<string, string>): string {
  return JSON.stringify(Object.keys(data).sort().map((k) => [k, data[k]]))
}

/**
 * A ConfigMap's data as rules files, rules.d style: keys ending in .yaml/.yml, in lexical order,
 * each named `configmap:<ns>/<name>/<key>` so load errors say where the text came from.
 */
export function configMapRulesInputs (ref: ConfigMapRef, data: Record<string, string>): RulesInput[] {
  return Object.keys(data)
    .filter((k) => /\.ya?ml$/.test(k))
    .sort()
    .map((k) => ({ name: `configmap:${ref.namespace}/${ref.name}/${k}`, content: data[k] as string }))
}

export interface K8sOptions {
  /** ConfigMaps whose rules are loaded after the rules files, in this order */
  rulesConfigMaps: ConfigMapRef[]
  /** kubeconfig file; absent: in-cluster service account, then $KUBECONFIG / ~/.kube/config */
  kubeconfig?: string
}

/**
 * Validates the `lanner.k8s` config section (the config schema passes it through to us):
 *
 *   lanner:
 *     k8s:
 *       kubeconfig: /path/optional
 *       rules_configmaps:
 *         - { namespace: lanner, name: lanner-custom-rules }
 */
export function parseK8sOptions (section: Record<string, unknown>, keyPath = 'lanner.k8s'): K8sOptions {
  const bad = (path: string, msg: string): ConfigError =>
    new ConfigError('ERR_CONFIG_INVALID', `${path}: ${msg}`, { location: { itemType: 'config', itemName: path } })
  for (const k of Object.keys(section)) {
    if (k !== 'rules_configmaps' && k !== 'kubeconfig') throw bad(`${keyPath}.${k}`, 'unknown key (expected rules_configmaps or kubeconfig)')
  }
  const out: K8sOptions = { rulesConfigMaps: [] }
  const kc = section.kubeconfig
  if (kc !== undefined) {
    if (typeof kc !== 'string' || kc === '') throw bad(`${keyPath}.kubeconfig`, 'expected a file path')
    out.kubeconfig = kc
  }
  const list = section.rules_configmaps ?? []
  if (!Array.isArray(list)) throw bad(`${keyPath}.rules_configmaps`, 'expected a list of {namespace, name}')
  list.forEach((item: unknown, i) => {
    const p = `${keyPath}.rules_configmaps[${i}]`
    const o = item as Record<string, unknown> | null
    if (typeof o !== 'object' || o === null) throw bad(p, 'expected {namespace, name}')
    for (const f of ['namespace', 'name'] as const) {
      const v = o[f]
      if (typeof v !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v) || v.length > 253) {
        throw bad(`${p}.${f}`, 'expected a Kubernetes object name (lowercase letters, digits, - and .)')
      }
    }
    out.rulesConfigMaps.push({ namespace: o.namespace as string, name: o.name as string })
  })
  return out
}

/** The KubeConfig to watch with: the given file, else in-cluster, else the usual default chain. */
export async function loadKubeConfig (file?: string): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node')
  const kc = new KubeConfig()
  if (file !== undefined) kc.loadFromFile(file)
  else kc.loadFromDefault()
  return kc
}
