// A loopback stand-in for kube-apiserver serving one namespaced ConfigMap: list (ConfigMapList with
// a resourceVersion) and chunked JSON-line watch, a resourceVersion bumped per change, and scripted
// error statuses per list/watch. Not fake-apiserver.ts: that one serves cluster-wide pods/namespaces.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { once, EventEmitter } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { KubeConfig } from '@kubernetes/client-node'
import { kubeConfigFor } from './fake-apiserver.ts'

export interface ConfigMapRequest { kind: 'list' | 'watch', query: URLSearchParams, auth: string | undefined }

export interface FakeConfigMapApiServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** bearer token it expects callers to send (not enforced; see `requests[].auth`) */
  token: string
  kubeConfig: KubeConfig
  /** every ConfigMap request, in arrival order */
  requests: ConfigMapRequest[]
  /** statuses the next lists / watches answer with (a Status body), consumed in order */
  scripted: { list: number[], watch: number[] }
  /**
   * Sets the ConfigMap's data (null: it does not exist) with a new resourceVersion; returns the
   * object as a watch event carries it (for DELETED: the last object, with the new version).
   */
  setData(data: Record<string, string> | null, labels?: Record<string, string>): any
  /** writes one watch event line to every open watch */
  send(type: string, object: unknown): void
  /** ends every open watch cleanly (as the apiserver does after timeoutSeconds) */
  endWatches(): void
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
  const collection = `/api/v1/namespaces/${namespace}/configmaps`
  let rv = 1
  let cm: any = null
  let last: any = null
  const watches = new Set<ServerResponse>()
  const requests: ConfigMapRequest[] = []
  const events = new EventEmitter()
  const scripted: { list: number[], watch: number[] } = { list: [], watch: [] }

  function setData (data: Record<string, string> | null, labels: Record<string, string> = {}): any {
    rv++
    if (data === null) {
      cm = null
      if (last === null) return null
      last = { ...last, metadata: { ...last.metadata, resourceVersion: String(rv) } }
      return structuredClone(last)
    }
    cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, resourceVersion: String(rv), labels }, data }
    last = cm
    return structuredClone(cm)
  }

  function handle (req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname !== collection) { res.writeHead(404).end(); return }
    const isWatch = url.searchParams.get('watch') === 'true'
    const r: ConfigMapRequest = { kind: isWatch ? 'watch' : 'list', query: url.searchParams, auth: req.headers.authorization }
    requests.push(r)
    const status = (isWatch ? scripted.watch : scripted.list).shift()
    if (status !== undefined) {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status, message: `scripted ${status}` }))
      events.emit('request', r)
      return
    }
    if (!isWatch) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items: cm === null ? [] : [cm] }))
    } else {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
      res.flushHeaders()
      watches.add(res)
      req.on('close', () => { watches.delete(res); events.emit('watch-closed') })
      events.emit('watch-opened')
    }
    events.emit('request', r)
  }

  const server = createServer(handle)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(async () => {
    for (const w of watches) w.destroy()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  return {
    url,
    token,
    kubeConfig: kubeConfigFor(url, token),
    requests,
    scripted,
    setData,
    send (type, object) {
      for (const w of watches) w.write(JSON.stringify({ type, object }) + '\n')
    },
    endWatches () { for (const w of watches) w.end() },
    openWatches: () => watches.size,
    async nextRequest (kind) {
      for (;;) {
        const [r] = await once(events, 'request') as [ConfigMapRequest]
        if (r.kind === kind) return r
      }
    },
    async watching () { if (watches.size === 0) await once(events, 'watch-opened') },
    async watchClosed () { if (watches.size > 0) await once(events, 'watch-closed') }
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
