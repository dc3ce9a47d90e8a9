// Syscall mode's pod metadata: pods of this node and all namespaces, for container.* / k8s.*
// fields, through the same connection as the rules ConfigMaps (lanner.k8s.kubeconfig, else the
// service account or the user's kubeconfig). Without a cluster the index stays empty and those
// fields read as absent; a broken kubeconfig is logged, never fatal.
import type { Logger } from '../../events/index.ts'
import { createK8sWatch } from '../../k8s/index.ts'
import type { App } from '../build.ts'
import { k8sOptionsOf } from '../rules/configmap-rules.ts'

export type PodMetadataWatch = ReturnType<typeof createK8sWatch>

/** Starts the watch (its first list may wait up to the list timeout) and logs what it connected to. */
export async function startPodMetadataWatch (app: Pick<App, 'config'>, log: Pick<Logger, 'info' | 'warn' | 'error'>): Promise<PodMetadataWatch> {
  let kubeconfig: string | undefined
  try { kubeconfig = k8sOptionsOf(app).kubeconfig } catch { /* a bad lanner.k8s section is the ConfigMap rules' error to report */ }
  const k8s = createK8sWatch({
    resolve: { file: kubeconfig },
    onError: function k8sWatchError (err) { log.warn({ code: err.code, err: err.message }, 'kubernetes metadata watch problem (retrying)') }
  })
  try {
    await k8s.start()
  } catch (err) {
    log.error({ code: 'ERR_K8S_WATCH', err: (err as Error).message, kubeconfig }, 'cannot use the kubeconfig: k8s.* fields stay absent')
    return k8s
  }
  if (k8s.enabled) log.info({ node: process.env.NODE_NAME, connection: k8s.source }, 'kubernetes metadata watch started')
  else log.info({}, 'no Kubernetes API (no service account, no kubeconfig): k8s.* fields stay absent')
  return k8s
}
