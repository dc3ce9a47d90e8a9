import t from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createK8sWatch } from '../../src/k8s/watch.ts'
import type { AppError } from '../../src/errors/index.ts'

const ID1 = '1'.repeat(64)
const ID2 = '2'.repeat(64)

function pod (name: string, id: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, labels, resourceVersion: '1' },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: `registry.local/${name}:v1` }] },
    status: { containerStatuses: [{ name: 'app', containerID: `containerd://${id}`, image: `registry.local/${name}:v1`, imageID: '', ready: true, restartCount: 0 }] }
  }
}

/** A loopback API server speaking list + chunked watch for pods and namespaces. */
async function fakeApi (t: { teardown(fn: () => void | Promise<void>): void }) {
  const watchers: Record<string, ServerResponse[]> = { pods: [], namespaces: [] }
  let bothResolve: () => void = () => {}
  const bothWatching = new Promise<void>((resolve) => { bothResolve = resolve })
  const seen: Array<{ path: string, query: URLSearchParams, auth: string | undefined }> = []
  let failNextList = 0
  const lists: Record<string, unknown[]> = {
    pods: [pod('cart', ID1, { app: 'cart' })],
    namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { network: 'green' }, resourceVersion: '1' } }]
  }
  const server = createServer(function api (req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x')
    seen.push({ path: url.pathname, query: url.searchParams, auth: req.headers.authorization })
    const kind = url.pathname === '/api/v1/pods' ? 'pods' : url.pathname === '/api/v1/namespaces' ? 'namespaces' : undefined
    if (kind === undefined) { res.writeHead(404).end(); return }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
      res.flushHeaders()
      watchers[kind]!.push(res)
      if (watchers.pods!.length > 0 && watchers.namespaces!.length > 0) bothResolve()
      return
    }
    if (failNextList > 0) { failNextList--; res.writeHead(500, { 'content-type': 'application/json' }).end('{"kind":"Status","code":500}'); return }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ apiVersion: 'v1', kind: kind === 'pods' ? 'PodList' : 'NamespaceList', metadata: { resourceVersion: '10' }, items: lists[kind] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  const port = (server.address() as AddressInfo).port
  return {
    connection: { server: `http://127.0.0.1:${port}`, token: 'secret' },
    seen,
    failLists (n: number) { failNextList = n },
    push (kind: 'pods' | 'namespaces', type: string, object: unknown) {
      for (const w of watchers[kind]!) w.write(JSON.stringify({ type, object }) + '\n')
    },
    bothWatching
  }
}

/** Resolve when `cond` holds, re-checked after every change the watch applies. */
function until (cond: () => boolean, hook: { fn: () => void }): Promise<void> {
  return new Promise((resolve) => {
    if (cond()) { resolve(); return }
    const prev = hook.fn
    hook.fn = () => { prev(); if (cond()) { hook.fn = prev; resolve() } }
  })
}

t.test('lists then watches this node\'s pods and all namespaces', async (t) => {
  const api = await fakeApi(t)
  const hook = { fn: () => {} }
  const w = createK8sWatch({ connection: api.connection, nodeName: 'node-1', onChange: () => hook.fn() })
  t.teardown(() => { w.stop() })
  await w.start()
  t.equal(w.index.container(ID1)?.pod.name, 'cart', 'pod from the initial list')
  t.same(w.index.container(ID1)?.pod.labels, { app: 'cart' })
  t.equal(w.index.container(ID1)?.image, 'registry.local/cart:v1')
  t.same(w.index.namespaceLabels('shop'), { network: 'green' })
  const podList = api.seen.find((s) => s.path === '/api/v1/pods' && s.query.get('watch') !== 'true')
  t.equal(podList?.query.get('fieldSelector'), 'spec.nodeName=node-1', 'pods are filtered to this node')
  t.equal(podList?.auth, 'Bearer secret')

  // the watches connect right after the lists: wait for the server to hold both streams
  await api.bothWatching
  const podWatch = api.seen.find((s) => s.path === '/api/v1/pods' && s.query.get('watch') === 'true')
  t.equal(podWatch?.query.get('resourceVersion'), '10', 'watch resumes from the list version')
  t.equal(podWatch?.query.get('fieldSelector'), 'spec.nodeName=node-1')

  api.push('pods', 'ADDED', pod('pay', ID2, { app: 'pay' }))
  await until(() => w.index.container(ID2) !== undefined, hook)
  t.equal(w.index.container(ID2)?.pod.name, 'pay')

  api.push('namespaces', 'MODIFIED', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { network: 'blue' }, resourceVersion: '12' } })
  await until(() => w.index.namespaceLabels('shop')?.network === 'blue', hook)
  t.pass('namespace labels follow MODIFIED events')

  api.push('pods', 'DELETED', pod('cart', ID1))
  await until(() => w.index.container(ID1) === undefined, hook)
  t.equal(w.index.container(ID2)?.pod.name, 'pay', 'other pods stay')
})

t.test('a failing list is reported as ERR_K8S_WATCH and retried', async (t) => {
  const api = await fakeApi(t)
  api.failLists(2)
  const hook = { fn: () => {} }
  const errors: AppError[] = []
  const w = createK8sWatch({ connection: api.connection, nodeName: 'node-1', retryDelayMs: 5, onError: (e) => errors.push(e), onChange: () => hook.fn() })
  t.teardown(() => { w.stop() })
  await w.start()
  await until(() => w.index.container(ID1) !== undefined && w.index.namespaceLabels('shop') !== undefined, hook)
  t.ok(errors.length >= 1)
  t.equal(errors[0]?.code, 'ERR_K8S_WATCH')
})

t.test('a list that never answers times out, is reported and retried', async (t) => {
  const { createServer } = await import('node:http')
  const { ListWatcher } = await import('../../src/k8s/list-watch.ts')
  let calls = 0
  const server = createServer(function silent () { calls++ /* never answers */ })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const port = (server.address() as AddressInfo).port
  const errors: Error[] = []
  let seenTwo: () => void = () => {}
  const twoErrors = new Promise<void>((resolve) => { seenTwo = resolve })
  const w = new ListWatcher({ server: `http://127.0.0.1:${port}` }, '/api/v1/pods', {
    reset () {}, upsert () {}, remove () {},
    error (e) { errors.push(e); if (errors.length === 2) seenTwo() }
  }, { listTimeoutMs: 50, retryDelayMs: 5 })
  await w.start()
  t.teardown(() => w.stop())
  await twoErrors
  t.match(errors[0]?.message, /no data for 50 ms/)
  t.ok(calls >= 2, 'retried')
})

t.test('outside a cluster (no service account env) the watch is inert and the index empty', async (t) => {
  const saved = process.env.KUBERNETES_SERVICE_HOST
  delete process.env.KUBERNETES_SERVICE_HOST
  t.teardown(() => { if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved })
  const w = createK8sWatch({ nodeName: 'n' })
  t.equal(w.enabled, false)
  await w.start()
  w.stop()
  t.equal(w.index.container(ID1), undefined)
  t.equal(w.index.namespaceLabels('x'), undefined)
})

t.test('inClusterConnection reads the service account files', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { inClusterConnection } = await import('../../src/k8s/list-watch.ts')
  const dir = mkdtempSync(join(tmpdir(), 'lanner-sa-'))
  writeFileSync(join(dir, 'ca.crt'), 'PEM')
  writeFileSync(join(dir, 'token'), 'tok\n')
  const c = inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir)
  t.equal(c?.server, 'https://10.96.0.1:443')
  t.equal(c?.tokenFile, join(dir, 'token'))
  t.equal(String(c?.ca), 'PEM')
  t.equal(inClusterConnection({}, dir), undefined)
})
