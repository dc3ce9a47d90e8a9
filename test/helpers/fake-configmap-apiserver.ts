// A loopback stand-in for kube-apiserver serving one namespaced ConfigMap, on the list/watch
// engine of fake-apiserver.ts (HTTPS verified against the test CA, bearer token required, list
// items without kind/apiVersion, a cluster-wide resourceVersion, watches resumed from a version,
// in-band 410 Expired for a too-old one, bookmarks, timeoutSeconds, fieldSelector). Tests script
// error statuses per list/watch; each answers with the Status body the apiserver writes.
import { once, EventEmitter } from 'node:events'
import type { KubeConfig } from '@kubernetes/client-node'
import { kubeConfigFor, startKubeApi } from './fake-apiserver.ts'

export interface ConfigMapRequest { kind: 'list' | 'watch', query: URLSearchParams, auth: string | undefined }

export interface FakeConfigMapApiServer {
  /** `https://127.0.0.1:<port>` */
  url: string
  /** the bearer token it accepts; any other is answered 401 */
  token: string
  /** the CA that signed its certificate (kubeconfigYaml(url, token) embeds it) */
  caCert: string
  kubeConfig: KubeConfig
  /** every ConfigMap request, in arrival order */
  requests: ConfigMapRequest[]
  /**
   * Statuses the next lists / watches answer with (a Status body), consumed in order. 410 on a
   * watch is answered as the apiserver does: 200 with one ERROR event (Expired), then the end.
   */
  scripted: { list: number[], watch: number[] }
  /**
   * Sets the ConfigMap's data (null: deletes it) with a new resourceVersion, sending the change
   * to open watches; returns the object as the watch event carries it (for DELETED: the last
   * object, with the new version). `unseen`: the change's event is already compacted away (no
   * event; a watch resumed from before it gets 410).
   */
  setData(data: Record<string, string> | null, labels?: Record<string, string>, opts?: { unseen?: boolean }): any
  /** writes one watch event line to every open watch that has not had this object version yet */
  send(type: string, object: unknown): void
  /** ends every open watch cleanly (as the apiserver does after timeoutSeconds) */
  endWatches(): void
  /** history compacted and open watches ended: a watch resumed from before gets the in-band 410 */
  expire(): void
  /** a BOOKMARK at the current revision to watches that asked for bookmarks */
  bookmark(): void
  openWatches(): number
  /** resolves with the next request of that kind */
  nextRequest(kind: ConfigMapRequest['kind']): Promise<ConfigMapRequest>
  /** resolves once at least one watch is open */
  watching(): Promise<void>
  /** resolves once the next open watch closes (at once if none is open) */
  watchClosed(): Promise<void>
}

interface Teardown { teardown(fn: () => unknown): void }

export async function startFakeConfigMapApiServer (t: Teardown, opts: { namespace?: string, name?: string, token?: string } = {}): Promise<FakeConfigMapApiServer> {
  const namespace = opts.namespace ?? 'lanner'
  const name = opts.name ?? 'rules'
  const token = opts.token ?? 'secret-token'
  const requests: ConfigMapRequest[] = []
  const events = new EventEmitter()
  const scripted: { list: number[], watch: number[] } = { list: [], watch: [] }
  let exists = false
  let last: any = null

  const api = await startKubeApi(t, {
    tokens: { [token]: `system:serviceaccount:${namespace}:lanner` },
    onRequest (r) {
      if (r.resource !== 'configmaps') return
      const req: ConfigMapRequest = { kind: r.verb, query: r.query, auth: r.auth }
      requests.push(req)
      // after the answer has been decided (intercept runs next), so listeners see it in order
      queueMicrotask(() => events.emit('request', req))
    },
    intercept (r) { return r.resource === 'configmaps' ? (r.verb === 'watch' ? scripted.watch : scripted.list).shift() : undefined },
    onWatchOpened () { events.emit('watch-opened') },
    onWatchClosed () { events.emit('watch-closed') }
  })

  function setData (data: Record<string, string> | null, labels: Record<string, string> = {}, how: { unseen?: boolean } = {}): any {
    if (data === null) {
      if (!exists) return last === null ? null : structuredClone(last)
      exists = false
      last = api.apply('configmaps', 'DELETED', last, how)
      return structuredClone(last)
    }
    const cm = {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name, namespace, uid: last?.metadata?.uid ?? '6f1c2a4e-0b7d-4c1e-9a52-3d8e5f7a9b10', creationTimestamp: '2026-03-01T11:30:00Z', ...(Object.keys(labels).length > 0 ? { labels } : {}) },
      data
    }
    last = api.apply('configmaps', exists ? 'MODIFIED' : 'ADDED', cm, how)
    exists = true
    return structuredClone(last)
  }

  return {
    url: api.url,
    token,
    caCert: api.caCert,
    kubeConfig: kubeConfigFor(api.url, token, api.caCert),
    requests,
    scripted,
    setData,
    send (type, object) { api.sendRaw('configmaps', type, object) },
    endWatches () { api.endWatches('configmaps') },
    expire () { api.compact(); api.endWatches('configmaps') },
    bookmark () { api.bookmark('configmaps') },
    openWatches: () => api.openWatches('configmaps'),
    async nextRequest (kind) {
      for (;;) {
        const [r] = await once(events, 'request') as [ConfigMapRequest]
        if (r.kind === kind) return r
      }
    },
    async watching () { if (api.openWatches('configmaps') === 0) await once(events, 'watch-opened') },
    async watchClosed () { if (api.openWatches('configmaps') > 0) await once(events, 'watch-closed') }
  }
}

/**
 * A `lanner serve` config for tests of API-watched rules: JSON alerts to alerts.jsonl beside it,
 * loopback ephemeral ports, `rulesFile` as the only rules file, and the ConfigMap `cm` read
 * through kube.yaml (a kubeconfig the test writes next to the config).
 */
export function configMapServeConfig (rulesFile: string, cm: { namespace: string, name: string }): string {
  return `
json_output: true
rules_files: [${rulesFile}]
watch_config_files: false
stdout_output: {enabled: false}
file_output: {enabled: true, keep_alive: true, filename: alerts.jsonl}
webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0}
lanner:
  webhook: {listen: "127.0.0.1:0"}
  k8s:
    kubeconfig: kube.yaml
    rules_configmaps: [{namespace: ${cm.namespace}, name: ${cm.name}}]
`
}
