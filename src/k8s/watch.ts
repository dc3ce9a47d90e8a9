// Keeps a K8sIndex current from the API server: this node's pods (field selector
// spec.nodeName=<node>) and all namespaces. Failures are reported as ERR_K8S_WATCH and retried
// with backoff; without a cluster the index stays empty and k8s.* fields read as absent.
import { AppError } from '../errors/index.ts'
import { inClusterConnection, ListWatcher, type ApiConnection } from './list-watch.ts'
import { K8sIndex, type NamespaceObject, type PodObject } from './metadata.ts'

export interface K8sWatchOptions {
  /** default: the pod's service account (in-cluster); none → no metadata */
  connection?: ApiConnection
  /** default: $NODE_NAME; without it every pod of the cluster is watched */
  nodeName?: string
  /** watch failures (each retried); default: ignored */
  onError?: (err: AppError) => void
  /** called after each change applied to the index (tests, metrics) */
  onChange?: () => void
  /** first retry delay after a failure (default 1000 ms, doubling up to 30 s) */
  retryDelayMs?: number
}

export interface K8sWatch {
  readonly index: K8sIndex
  /** whether a cluster connection is configured at all */
  readonly enabled: boolean
  /** Start both watches; resolves once the initial lists were attempted. */
  start(): Promise<void>
  stop(): void
}

export function createK8sWatch (opts: K8sWatchOptions = {}): K8sWatch {
  const index = new K8sIndex()
  const conn = opts.connection ?? inClusterConnection()
  const nodeName = opts.nodeName ?? process.env.NODE_NAME
  const report = opts.onError ?? (() => {})
  const changed = opts.onChange ?? (() => {})
  const watchers: Array<{ stop(): void }> = []

  function failed (what: string) {
    return function onWatchError (err: Error): void {
      report(new AppError('ERR_K8S_WATCH', `${what} watch failed: ${err.message}`, { cause: err }))
    }
  }

  return {
    index,
    enabled: conn !== undefined,
    async start () {
      if (conn === undefined) return
      const fieldSelector = nodeName !== undefined && nodeName !== '' ? `spec.nodeName=${nodeName}` : undefined
      const pods = new ListWatcher<PodObject & { metadata?: { resourceVersion?: string } }>(conn, '/api/v1/pods', {
        reset (items) { index.resetPods(items); changed() },
        upsert (o) { index.upsertPod(o); changed() },
        remove (o) { index.deletePod(o); changed() },
        error: failed('pod')
      }, { fieldSelector, retryDelayMs: opts.retryDelayMs })
      const namespaces = new ListWatcher<NamespaceObject & { metadata?: { resourceVersion?: string } }>(conn, '/api/v1/namespaces', {
        reset (items) { index.resetNamespaces(items); changed() },
        upsert (o) { index.upsertNamespace(o); changed() },
        remove (o) { index.deleteNamespace(o); changed() },
        error: failed('namespace')
      }, { retryDelayMs: opts.retryDelayMs })
      watchers.push(pods, namespaces)
      await Promise.all([pods.start(), namespaces.start()])
    },
    stop () {
      for (const w of watchers) w.stop()
      watchers.length = 0
    }
  }
}
