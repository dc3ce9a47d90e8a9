// A loopback stand-in for kube-apiserver speaking list + chunked watch for pods and namespaces,
// and a KubeConfig pointing at it the way a user's kubeconfig would; lists can be made to fail or
// hang and watches to expire, for the client's retry paths. Closed in teardown.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'

export type WatchedKind = 'pods' | 'namespaces'

export interface SeenRequest { path: string, query: URLSearchParams, auth: string | undefined }

export interface FakeApiServer {
  kubeConfig: KubeConfig
  /** every request, in arrival order */
  seen: SeenRequest[]
  /** what the next list answers (mutable) */
  lists: Record<WatchedKind, unknown[]>
  openWatches(): number
  /** resolves once the requests the server has seen satisfy `cond` */
  untilSeen(cond: () => boolean): Promise<void>
  /** resolves once no watch stream is open any more */
  allWatchesClosed(): Promise<void>
  /** the next `n` lists answer 500 */
  failLists(n: number): void
  /** the next `n` lists (Infinity: all) are accepted and never answered */
  hangLists(n: number): void
  /** how many never-answered lists the client has given up on (closed) so far */
  hungListsClosed(): number
  /** one watch event to every open watch of `kind` */
  push(kind: WatchedKind, type: string, object: unknown): void
  /** a 410 Gone ERROR event (resource version too old) to every open watch of `kind` */
  expire(kind: WatchedKind): void
  /** resolves once both a pod and a namespace watch are open */
  bothWatching: Promise<void>
}

interface Teardown { teardown(fn: () => void | Promise<void>): void }

/** A KubeConfig for a loopback server, as a user's kubeconfig would describe it. */
export function kubeConfigFor (server: string, token = 'secret'): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'lanner', token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'lanner' }],
    currentContext: 'fake'
  })
  return kc
}

/**
 * The same connection as a kubeconfig FILE's text (what `kubectl config view --raw` prints), for
 * child processes that find the API through `$KUBECONFIG` or a configured kubeconfig path.
 */
export function kubeconfigYaml (server: string, token = 'secret'): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster: {server: "${server}", insecure-skip-tls-verify: true}
users:
  - name: lanner
    user: {token: "${token}"}
contexts:
  - name: fake
    context: {cluster: fake, user: lanner}
current-context: fake
`
}

/** A pod as the API server returns it: one container `app` whose status carries `containerd://<id>`. */
export function podObject (opts: { name: string, namespace: string, containerId: string, labels?: Record<string, string>, image?: string, nodeName?: string, startedAt?: string }): Record<string, unknown> {
  const image = opts.image ?? `registry.local/${opts.name}:v1`
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: opts.name, namespace: opts.namespace, uid: `uid-${opts.name}`, labels: opts.labels ?? {}, resourceVersion: '1' },
    spec: { nodeName: opts.nodeName ?? 'node-1', containers: [{ name: 'app', image }] },
    status: {
      containerStatuses: [{
        name: 'app', containerID: `containerd://${opts.containerId}`, image, imageID: '', ready: true, restartCount: 0,
        state: { running: { startedAt: opts.startedAt ?? '2026-03-01T12:00:00Z' } }
      }]
    }
  }
}

export function namespaceObject (name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, resourceVersion: '1' } }
}

export async function startFakeApiServer (t: Teardown, initial: Partial<Record<WatchedKind, unknown[]>> = {}): Promise<FakeApiServer> {
  const watchers: Record<WatchedKind, ServerResponse[]> = { pods: [], namespaces: [] }
  let open = 0
  const seenHooks: Array<() => void> = []
  let closedWaiters: Array<() => void> = []
  let bothResolve: () => void = () => {}
  const bothWatching = new Promise<void>((resolve) => { bothResolve = resolve })
  const seen: SeenRequest[] = []
  let failNextList = 0
  let hangNextList = 0
  let hungClosed = 0
  const lists: Record<WatchedKind, unknown[]> = { pods: initial.pods ?? [], namespaces: initial.namespaces ?? [] }
  const server = createServer(function api (req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x')
    seen.push({ path: url.pathname, query: url.searchParams, auth: req.headers.authorization })
    for (const f of seenHooks.splice(0)) f()
    const kind: WatchedKind | undefined = url.pathname === '/api/v1/pods' ? 'pods' : url.pathname === '/api/v1/namespaces' ? 'namespaces' : undefined
    if (kind === undefined) { res.writeHead(404).end(); return }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
      res.flushHeaders()
      watchers[kind].push(res)
      open++
      req.on('close', function watchClosed () {
        open--
        watchers[kind].splice(watchers[kind].indexOf(res), 1)
        if (open === 0) { const w = closedWaiters; closedWaiters = []; for (const f of w) f() }
      })
      if (watchers.pods.length > 0 && watchers.namespaces.length > 0) bothResolve()
      return
    }
    if (hangNextList > 0) {
      hangNextList--
      req.on('close', function hungListClosed () { hungClosed++ })
      return
    }
    if (failNextList > 0) { failNextList--; res.writeHead(500, { 'content-type': 'application/json' }).end('{"kind":"Status","code":500}'); return }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ apiVersion: 'v1', kind: kind === 'pods' ? 'PodList' : 'NamespaceList', metadata: { resourceVersion: '10' }, items: lists[kind] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  const port = (server.address() as AddressInfo).port
  function push (kind: WatchedKind, type: string, object: unknown): void {
    for (const w of watchers[kind]) w.write(JSON.stringify({ type, object }) + '\n')
  }
  return {
    kubeConfig: kubeConfigFor(`http://127.0.0.1:${port}`),
    seen,
    lists,
    openWatches: () => open,
    async untilSeen (cond) {
      while (!cond()) await new Promise<void>((resolve) => { seenHooks.push(resolve) })
    },
    allWatchesClosed: () => new Promise<void>((resolve) => { if (open === 0) resolve(); else closedWaiters.push(resolve) }),
    failLists (n) { failNextList = n },
    hangLists (n) { hangNextList = n },
    hungListsClosed: () => hungClosed,
    push,
    expire (kind) {
      push(kind, 'ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' })
    },
    bothWatching
  }
}
