// Keeps a K8sIndex current from the API server: this node's pods (field selector
// spec.nodeName=<node>) and all namespaces. Failures are reported as ERR_K8S_WATCH and retried
// with backoff; without a cluster the index stays empty and k8s.* fields read as absent.
import type { KubeConfig } from '@kubernetes/client-node'
import type { AppError } from '../errors/index.ts'
import { resolveKubeConfig, type KubeConfigSource, type ResolveKubeConfigOptions } from './kube-config.ts'
import { listWatch, requestOptions, type KubeList, type ListWatchHandle } from './list-watch.ts'
import { K8sIndex, type NamespaceObject, type PodObject } from './metadata.ts'

export interface K8sWatchOptions {
  /** the connection; default: resolveKubeConfig() (service account, else a kubeconfig, else none) */
  kubeConfig?: KubeConfig
  /** how the default connection is looked up (tests) */
  resolve?: ResolveKubeConfigOptions
  /** default: $NODE_NAME; without it every pod of the cluster is watched */
  nodeName?: string
  /** watch failures (each retried); default: ignored */
  onError?: (err: AppError) => void
  /** called after each change applied to the index (tests, metrics) */
  onChange?: () => void
  /** first retry delay after a failure (default 1000 ms, doubling up to 30 s) */
  retryDelayMs?: number
  /** a list that has not answered after this long is retried (default 30 s) */
  listTimeoutMs?: number
}

export interface K8sWatch {
  readonly index: K8sIndex
  /** whether there is a cluster connection; known once start() resolved */
  readonly enabled: boolean
  /** where the connection came from, when enabled */
  readonly source: KubeConfigSource | 'given' | undefined
  /** Start both watches; resolves once the initial lists were attempted. */
  start(): Promise<void>
  stop(): void
}

export function createK8sWatch (opts: K8sWatchOptions = {}): K8sWatch {
  const index = new K8sIndex()
  const nodeName = opts.nodeName ?? process.env.NODE_NAME
  const report = opts.onError ?? (() => {})
  const changed = opts.onChange ?? (() => {})
  const handles: ListWatchHandle[] = []
  let source: K8sWatch['source'] = opts.kubeConfig !== undefined ? 'given' : undefined
  let stopped = false

  async function start (): Promise<void> {
    let kubeConfig = opts.kubeConfig
    if (kubeConfig === undefined) {
      const found = await resolveKubeConfig(opts.resolve)
      if (found === undefined) return
      kubeConfig = found.kubeConfig
      source = found.source
    }
    const { CoreV1Api } = await import('@kubernetes/client-node')
    if (stopped) return
    const api = kubeConfig.makeApiClient(CoreV1Api)
    const fieldSelector = nodeName !== undefined && nodeName !== '' ? `spec.nodeName=${nodeName}` : undefined
    const common = { kubeConfig, onError: report, backoff: { initialMs: opts.retryDelayMs }, listTimeoutMs: opts.listTimeoutMs }
    const pods = listWatch<PodObject>({
      ...common,
      what: 'pod watch',
      path: '/api/v1/pods',
      fieldSelector,
      listFn: async (signal) => await api.listPodForAllNamespaces({ fieldSelector }, await requestOptions(signal)) as KubeList<PodObject>,
      onSync (items) { index.resetPods(items); changed() },
      onEvent (type, o) {
        if (type === 'DELETED') index.deletePod(o)
        else index.upsertPod(o)
        changed()
      }
    })
    const namespaces = listWatch<NamespaceObject>({
      ...common,
      what: 'namespace watch',
      path: '/api/v1/namespaces',
      listFn: async (signal) => await api.listNamespace({}, await requestOptions(signal)) as KubeList<NamespaceObject>,
      onSync (items) { index.resetNamespaces(items); changed() },
      onEvent (type, o) {
        if (type === 'DELETED') index.deleteNamespace(o)
        else index.upsertNamespace(o)
        changed()
      }
    })
    handles.push(pods, namespaces)
    await Promise.all([pods.attempted, namespaces.attempted])
  }

  return {
    index,
    get enabled () { return source !== undefined },
    get source () { return source },
    start,
    stop () {
      stopped = true
      for (const h of handles) h.close()
      handles.length = 0
    }
  }
}
