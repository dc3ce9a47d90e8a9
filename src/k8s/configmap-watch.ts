// Rules from a named ConfigMap through the Kubernetes API, on the shared list+watch loop
// (list-watch.ts): an edit is seen within a second, not after the kubelet's volume sync.
// @kubernetes/client-node is loaded on first use, not at import: it is heavy.
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node'
import { ConfigError, type AppError } from '../errors/index.ts'
import { listWatch, requestOptions } from './list-watch.ts'

export interface ConfigMapRef { namespace: string, name: string }

export interface WatchConfigMapOptions extends ConfigMapRef {
  kubeConfig: KubeConfig
  /** list/watch failures (ERR_K8S_WATCH) and callback exceptions; the watch keeps retrying */
  onError?: (err: AppError) => void
  /**
   * The ConfigMap disappeared, or is absent at the first list; once per absence (re-lists while
   * it stays absent are quiet). Rules are NOT cleared: deleting and re-creating a ConfigMap
   * during an upgrade must not leave a window without rules.
   */
  onDeleted?: () => void
  backoff?: { initialMs?: number, maxMs?: number }
  /** asked of the apiserver so that quiet watches are renewed well before the idle timeout */
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
  const fieldSelector = `metadata.name=${name}`
  const what = `configmap ${namespace}/${name}`
  let lastDataKey: string | undefined
  // 'unknown' until the first list, so that an absence at start is reported too
  let state: 'unknown' | 'present' | 'absent' = 'unknown'

  function deliver (cm: V1ConfigMap): void {
    state = 'present'
    const data = cm.data ?? {}
    const key = stableKey(data)
    if (key === lastDataKey) return
    lastDataKey = key
    onData({ ...data })
  }

  function gone (): void {
    if (state === 'absent') return
    state = 'absent'
    opts.onDeleted?.()
  }

  const handle = listWatch<V1ConfigMap>({
    kubeConfig,
    what,
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
    fieldSelector,
    backoff: { initialMs: opts.backoff?.initialMs ?? DEFAULT_BACKOFF.initialMs, maxMs: opts.backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs },
    watchTimeoutSeconds: opts.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_S,
    async listFn (signal) {
      const { CoreV1Api } = await import('@kubernetes/client-node')
      return await kubeConfig.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace, fieldSelector }, await requestOptions(signal))
    },
    onSync (items) {
      const cm = items.find((i) => i.metadata?.name === name)
      if (cm === undefined) gone()
      else deliver(cm)
    },
    onEvent (type, cm) {
      if (cm.metadata?.name !== name) return
      if (type === 'DELETED') gone()
      else deliver(cm)
    },
    onError: opts.onError
  })

  return { ready: handle.synced, close: handle.close }
}

function stableKey (data: Record<string, string>): string {
  return JSON.stringify(Object.keys(data).sort().map((k) => [k, data[k]]))
}

/** One rules file's text and the name load errors show (the shape rules/ loads; k8s/ does not import rules/). */
export interface RulesText { name: string, content: string }

/**
 * A ConfigMap's data as rules files, rules.d style: keys ending in .yaml/.yml, in lexical order,
 * each named `configmap:<ns>/<name>/<key>` so load errors say where the text came from.
 */
export function configMapRulesInputs (ref: ConfigMapRef, data: Record<string, string>): RulesText[] {
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
