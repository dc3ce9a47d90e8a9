// createK8sWatch and listWatch against a loopback fake apiserver (test/helpers/fake-apiserver.ts):
// list then watch, failing and never-answering lists, 410 re-lists, idle watches; kubeconfig discovery.
import t from 'tap'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CoreV1Api } from '@kubernetes/client-node'
import { createK8sWatch } from '../../src/k8s/watch.ts'
import { listWatch, requestOptions } from '../../src/k8s/list-watch.ts'
import { resolveKubeConfig } from '../../src/k8s/kube-config.ts'
import type { AppError } from '../../src/errors/index.ts'
import { kubeConfigFor, namespaceObject, podObject, startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.ts'
import { createTestPki } from '../helpers/certs.ts'

const ID1 = '1'.repeat(64)
const ID2 = '2'.repeat(64)
const STARTED = '2026-03-01T12:00:00Z'

function pod (name: string, id: string, labels: Record<string, string> = {}) {
  return podObject({ name, namespace: 'shop', containerId: id, labels, startedAt: STARTED })
}

/** The fake apiserver with this file's cluster: pod cart (ID1) in namespace shop (network=green). */
async function fakeApi (t: { teardown(fn: () => void | Promise<void>): void }): Promise<FakeApiServer> {
  return await startFakeApiServer(t, { pods: [pod('cart', ID1, { app: 'cart' })], namespaces: [namespaceObject('shop', { network: 'green' })] })
}

/** Resolve when `cond` holds, re-checked after every change the watch applies. */
function until (cond: () => boolean, hook: { fn: () => void }): Promise<void> {
  return new Promise((resolve) => {
    if (cond()) { resolve(); return }
    const prev = hook.fn
    hook.fn = () => { prev(); if (cond()) { hook.fn = prev; resolve() } }
  })
}

type WatchOptions = Parameters<typeof createK8sWatch>[0]

/** createK8sWatch on the fake for node-1, started, stopped at teardown; `hook` is what `until` waits on. */
async function startedWatch (t: { teardown(fn: () => void): void }, api: FakeApiServer, opts: Partial<WatchOptions> = {}) {
  const hook = { fn: () => {} }
  const w = createK8sWatch({ kubeConfig: api.kubeConfig, nodeName: 'node-1', onChange: () => hook.fn(), ...opts })
  t.teardown(() => { w.stop() })
  await w.start()
  return { w, hook }
}

t.test('lists then watches this node\'s pods and all namespaces', async (t) => {
  const api = await fakeApi(t)
  const { w, hook } = await startedWatch(t, api)
  t.equal(w.index.container(ID1)?.pod.name, 'cart', 'pod from the initial list')
  t.same(w.index.container(ID1)?.pod.labels, { app: 'cart' })
  t.equal(w.index.container(ID1)?.image, 'registry.local/cart:v1')
  t.equal(w.index.container(ID1)?.startTs, BigInt(Date.parse(STARTED)) * 1_000_000n, 'typed list objects (dates as Date) feed the index')
  // the apiserver adds kubernetes.io/metadata.name to every namespace (since 1.21)
  t.same(w.index.namespaceLabels('shop'), { network: 'green', 'kubernetes.io/metadata.name': 'shop' })
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
  t.equal(w.index.container(ID2)?.startTs, BigInt(Date.parse(STARTED)) * 1_000_000n, 'raw watch objects (dates as strings) too')

  api.push('namespaces', 'MODIFIED', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { network: 'blue' }, resourceVersion: '12' } })
  await until(() => w.index.namespaceLabels('shop')?.network === 'blue', hook)
  t.same(w.index.namespaceLabels('shop'), { network: 'blue', 'kubernetes.io/metadata.name': 'shop' }, 'namespace labels follow MODIFIED events (the apiserver keeps its name label)')

  api.push('pods', 'DELETED', pod('cart', ID1))
  await until(() => w.index.container(ID1) === undefined, hook)
  t.equal(w.index.container(ID2)?.pod.name, 'pay', 'other pods stay')
})

t.test('a failing list is reported as ERR_K8S_WATCH and retried', async (t) => {
  const api = await fakeApi(t)
  api.failLists(2)
  const errors: AppError[] = []
  const { w, hook } = await startedWatch(t, api, { retryDelayMs: 5, onError: (e) => errors.push(e) })
  await until(() => w.index.container(ID1) !== undefined && w.index.namespaceLabels('shop') !== undefined, hook)
  t.ok(errors.length >= 1)
  t.equal(errors[0]?.code, 'ERR_K8S_WATCH')
})

t.test('410 Gone on the pod watch re-lists: pods missing from the new list leave the index; stop() closes the watches', async (t) => {
  const api = await fakeApi(t)
  const { w, hook } = await startedWatch(t, api)
  await api.bothWatching
  t.equal(w.index.container(ID1)?.pod.name, 'cart')

  // while the watch was too old, cart went away and pay arrived
  api.lists.pods = [pod('pay', ID2)]
  api.expire('pods')
  await until(() => w.index.container(ID2) !== undefined, hook)
  t.equal(w.index.container(ID1), undefined, 'the re-list replaced the pod set')
  const podLists = api.seen.filter((s) => s.path === '/api/v1/pods' && s.query.get('watch') !== 'true')
  t.equal(podLists.length, 2, 'listed again after 410')

  w.stop()
  await api.allWatchesClosed()
  t.equal(api.openWatches(), 0, 'stop() ends both watch connections')
})

t.test('a list that never answers is aborted after listTimeoutMs, reported and retried', async (t) => {
  const fake = await fakeApi(t)
  fake.hangLists(Infinity)
  const kubeConfig = fake.kubeConfig
  const api = kubeConfig.makeApiClient(CoreV1Api)
  const errors: AppError[] = []
  let seenTwo: () => void = () => {}
  const twoErrors = new Promise<void>((resolve) => { seenTwo = resolve })
  const h = listWatch({
    kubeConfig,
    path: '/api/v1/pods',
    what: 'pod watch',
    listFn: async (signal) => await api.listPodForAllNamespaces({}, await requestOptions(signal)),
    onSync () {},
    onEvent () {},
    onError (e) { errors.push(e); if (errors.length === 2) seenTwo() },
    // long enough for the TLS handshake on a loaded machine: at 50 ms a list could time out before
    // its request reached the server, which then never saw the retry the test looks for
    listTimeoutMs: 1000,
    backoff: { initialMs: 5, maxMs: 10 }
  })
  t.teardown(() => h.close())
  await h.attempted
  t.equal(errors[0]?.code, 'ERR_K8S_WATCH', 'the first attempt ended with a reported error')
  await twoErrors
  // what the server sees trails what the client reports: wait for it (re-checked at each request and each close)
  await fake.untilSeen(() => fake.seen.filter((s) => s.path === '/api/v1/pods').length >= 2 && fake.hungListsClosed() >= 1)
  t.match(errors[0]?.message, /list timed out after 1000 ms/)
  t.ok(fake.seen.filter((s) => s.path === '/api/v1/pods').length >= 2, 'retried')
  t.ok(fake.hungListsClosed() >= 1, 'the timed-out request was aborted, not left open')
})

t.test('outside a cluster (no service account, no kubeconfig) the watch is inert and the index empty', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'lanner-home-'))
  const w = createK8sWatch({ nodeName: 'n', resolve: { env: {}, home } })
  await w.start()
  t.equal(w.enabled, false)
  t.equal(w.source, undefined)
  w.stop()
  t.equal(w.index.container(ID1), undefined)
  t.equal(w.index.namespaceLabels('x'), undefined)
})

t.test('a developer\'s kubeconfig is used when there is no service account', async (t) => {
  const api = await startFakeApiServer(t, { pods: [pod('cart', ID1, { app: 'cart' })] }, { tokens: { devtoken: 'dev@example.com' } })
  const home = mkdtempSync(join(tmpdir(), 'lanner-home-'))
  mkdirSync(join(home, '.kube'))
  writeFileSync(join(home, '.kube', 'config'), api.kubeconfigYaml('devtoken'))
  const w = createK8sWatch({ nodeName: 'node-1', resolve: { env: {}, home } })
  t.teardown(() => { w.stop() })
  await w.start()
  t.equal(w.enabled, true)
  t.equal(w.source, 'kubeconfig')
  t.equal(w.index.container(ID1)?.pod.name, 'cart', 'listed through the kubeconfig\'s cluster, TLS verified against its CA')
  t.equal(api.seen[0]?.auth, 'Bearer devtoken')
})

t.test('resolveKubeConfig: explicit file, then service account, then $KUBECONFIG / ~/.kube/config, else none', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'lanner-kc-'))
  const kubeconfig = join(root, 'kc.yaml')
  writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: c',
    'clusters: [{ name: c, cluster: { server: "https://from-file:6443" } }]',
    'users: [{ name: u, user: { token: t } }]',
    'contexts: [{ name: c, context: { cluster: c, user: u } }]', ''
  ].join('\n'))
  const emptyHome = mkdtempSync(join(tmpdir(), 'lanner-home-'))

  t.equal(await resolveKubeConfig({ env: {}, home: emptyHome }), undefined, 'nothing configured: no connection')
  t.equal(await resolveKubeConfig({ env: { KUBECONFIG: join(root, 'missing') }, home: emptyHome }), undefined,
    'a $KUBECONFIG naming no file is not replaced by a localhost guess')

  const viaEnv = await resolveKubeConfig({ env: { KUBECONFIG: kubeconfig }, home: emptyHome })
  t.equal(viaEnv?.source, 'kubeconfig')
  t.equal(viaEnv?.kubeConfig.getCurrentCluster()?.server, 'https://from-file:6443')

  const explicit = await resolveKubeConfig({ file: kubeconfig, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } })
  t.equal(explicit?.source, 'file', 'an explicit file wins over the service account')

  // in-cluster: client-node reads the host/port from process.env and the files under the prefix
  const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount')
  mkdirSync(sa, { recursive: true })
  writeFileSync(join(sa, 'ca.crt'), 'PEM')
  writeFileSync(join(sa, 'token'), 'sa-token\n')
  writeFileSync(join(sa, 'namespace'), 'lanner')
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT }
  process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1'
  process.env.KUBERNETES_SERVICE_PORT = '443'
  t.teardown(() => {
    for (const [k, v] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
  const inCluster = await resolveKubeConfig({ env: process.env, home: emptyHome, serviceAccountRoot: root })
  t.equal(inCluster?.source, 'in-cluster')
  t.equal(inCluster?.kubeConfig.getCurrentCluster()?.server, 'https://10.96.0.1:443')
  t.equal(inCluster?.kubeConfig.getCurrentCluster()?.caFile, join(sa, 'ca.crt'))
})

t.test('a watch that stays silent past idleTimeoutMs is dropped and resumed from the last version, without a re-list or an error', async (t) => {
  const api = await fakeApi(t)
  const core = api.kubeConfig.makeApiClient(CoreV1Api)
  const errors: AppError[] = []
  const h = listWatch({
    kubeConfig: api.kubeConfig,
    path: '/api/v1/namespaces',
    listFn: async (signal) => await core.listNamespace({}, await requestOptions(signal)),
    onSync () {},
    onEvent () {},
    onError (e) { errors.push(e) },
    idleTimeoutMs: 100,
    backoff: { initialMs: 5 }
  })
  t.teardown(() => h.close())
  await h.synced
  await api.untilSeen(() => api.seen.filter((s) => s.query.get('watch') === 'true').length >= 2)
  const watchReqs = api.seen.filter((s) => s.query.get('watch') === 'true')
  t.equal(watchReqs[1]?.query.get('resourceVersion'), '10', 'resumed from the list version')
  t.equal(api.seen.filter((s) => s.query.get('watch') !== 'true').length, 1, 'no re-list')
  t.same(errors, [], 'an idle timeout is not reported')
})

/** A listWatch of the fake's pods with the options a test varies; errors and events collected. */
function podListWatch (t: { teardown(fn: () => void): void }, api: FakeApiServer, extra: Partial<Parameters<typeof listWatch>[0]> = {}) {
  const core = api.kubeConfig.makeApiClient(CoreV1Api)
  const errors: AppError[] = []
  const events: Array<[string, string | undefined]> = []
  let eventWaiters: Array<() => void> = []
  let syncs = 0
  const h = listWatch<any>({
    kubeConfig: api.kubeConfig,
    path: '/api/v1/pods',
    what: 'pod watch',
    fieldSelector: 'spec.nodeName=node-1',
    listFn: async (signal) => await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-1' }, await requestOptions(signal)),
    onSync () { syncs++ },
    onEvent (type, o) { events.push([type, o.metadata?.name]); const w = eventWaiters; eventWaiters = []; for (const f of w) f() },
    onError (e) { errors.push(e) },
    backoff: { initialMs: 5, maxMs: 20 },
    ...extra
  })
  t.teardown(() => h.close())
  /** resolves once `n` events have arrived */
  async function untilEvents (n: number): Promise<void> {
    while (events.length < n) await new Promise<void>((resolve) => { eventWaiters.push(resolve) })
  }
  return { h, errors, events, untilEvents, syncs: () => syncs }
}

t.test('a token the apiserver does not know: 401 reported as ERR_K8S_WATCH saying Unauthorized, retried', async (t) => {
  const api = await fakeApi(t)
  const kubeConfig = kubeConfigFor(api.url, 'stale-token', api.caCert)
  const w = createK8sWatch({ kubeConfig, nodeName: 'node-1', retryDelayMs: 5, onError: (e) => { errors.push(e) } })
  const errors: AppError[] = []
  t.teardown(() => { w.stop() })
  await w.start()
  t.equal(w.index.container(ID1), undefined, 'nothing was served')
  t.equal(errors[0]?.code, 'ERR_K8S_WATCH')
  t.match(errors[0]?.message, /HTTP 401: Unauthorized/)
  t.equal(api.seen[0]?.auth, 'Bearer stale-token')
})

t.test('RBAC denial (403 Forbidden): the error carries the apiserver\'s reason and message; access granted later is picked up', async (t) => {
  const api = await fakeApi(t)
  api.forbid('pods')
  const errors: AppError[] = []
  const { w, hook } = await startedWatch(t, api, { retryDelayMs: 5, onError: (e) => { errors.push(e); if (errors.length === 2) api.forbid('pods', false) } })
  t.match(errors[0]?.message, 'pod watch: HTTP 403: Forbidden: pods is forbidden: User "system:serviceaccount:lanner:lanner" cannot list resource "pods" in API group "" at the cluster scope')
  await until(() => w.index.container(ID1) !== undefined, hook)
  t.equal(w.index.container(ID1)?.pod.name, 'cart', 'listed once the role binding exists')
})

t.test('a server certificate from a CA the kubeconfig does not trust is refused (TLS is verified)', async (t) => {
  const api = await fakeApi(t)
  const other = await createTestPki()
  t.teardown(() => other.remove())
  const kubeConfig = kubeConfigFor(api.url, 'secret', other.caCert)
  const errors: AppError[] = []
  const w = createK8sWatch({ kubeConfig, nodeName: 'node-1', retryDelayMs: 5, onError: (e) => { errors.push(e) } })
  t.teardown(() => { w.stop() })
  await w.start()
  t.equal(w.index.container(ID1), undefined)
  t.equal(errors[0]?.code, 'ERR_K8S_WATCH')
  t.equal(api.seen.length, 0, 'no request got through the handshake')
})

t.test('a change made between the list and the watch is not lost: the watch replays from the list version', async (t) => {
  const api = await fakeApi(t)
  const core = api.kubeConfig.makeApiClient(CoreV1Api)
  const { h, events, untilEvents } = podListWatch(t, api, {
    async listFn (signal) {
      const list = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-1' }, await requestOptions(signal))
      // the pod starts after the list was read and before the watch is opened
      api.push('pods', 'ADDED', pod('late', ID2))
      return list
    }
  })
  await h.synced
  await untilEvents(1)
  t.same(events, [['ADDED', 'late']], 'ADDED replayed from history')
})

t.test('list items arrive without kind/apiVersion (as the apiserver encodes them) and are indexed all the same', async (t) => {
  const api = await fakeApi(t)
  const core = api.kubeConfig.makeApiClient(CoreV1Api)
  const raw = await core.listPodForAllNamespaces({})
  t.equal(raw.kind, 'PodList')
  t.equal(raw.items[0]?.kind, undefined, 'no kind on the item')
  t.equal(raw.items[0]?.apiVersion, undefined, 'no apiVersion on the item')
  const w = createK8sWatch({ kubeConfig: api.kubeConfig, nodeName: 'node-1' })
  t.teardown(() => { w.stop() })
  await w.start()
  t.equal(w.index.container(ID1)?.pod.name, 'cart')
})

t.test('pods of other nodes are neither listed nor watched (the field selector is honoured by the server)', async (t) => {
  const api = await fakeApi(t)
  const { w, hook } = await startedWatch(t, api)
  await api.bothWatching
  api.push('pods', 'ADDED', podObject({ name: 'elsewhere', namespace: 'shop', containerId: '3'.repeat(64), nodeName: 'node-2' }))
  api.push('pods', 'ADDED', pod('here', ID2))
  await until(() => w.index.container(ID2) !== undefined, hook)
  t.equal(w.index.container('3'.repeat(64)), undefined, 'the other node\'s pod never reached the index')
})

t.test('bookmarks advance the version: a watch resumed after compaction needs no re-list', async (t) => {
  const api = await fakeApi(t)
  const { h, errors } = podListWatch(t, api)
  await h.synced
  await api.untilSeen(() => api.seen.some((s) => s.query.get('watch') === 'true'))
  t.equal(api.seen.find((s) => s.query.get('watch') === 'true')?.query.get('allowWatchBookmarks'), 'true', 'bookmarks asked for')
  // other nodes' pods change: versions move on without an event for this watch
  for (let i = 0; i < 3; i++) api.push('pods', 'ADDED', podObject({ name: `o${i}`, namespace: 'shop', containerId: String(i + 4).repeat(64), nodeName: 'node-2' }))
  const bookmarkRv = api.resourceVersion()
  api.bookmark('pods')
  // history before the bookmark is compacted away, then the watch ends (the stream keeps its order:
  // the bookmark line is read before the end)
  api.compact(bookmarkRv)
  api.endWatches('pods')
  await api.untilSeen(() => api.seen.filter((s) => s.query.get('watch') === 'true').length >= 2)
  const resumed = api.seen.filter((s) => s.query.get('watch') === 'true')[1]
  t.equal(resumed?.query.get('resourceVersion'), bookmarkRv, 'resumed from the bookmark, not from the list version 10')
  t.equal(api.seen.filter((s) => s.query.get('watch') !== 'true').length, 1, 'no re-list')
  t.same(errors, [])
})

t.test('without the bookmark the same compaction costs a re-list (the in-band 410 Expired)', async (t) => {
  const api = await fakeApi(t)
  const { h, errors, syncs } = podListWatch(t, api)
  await h.synced
  await api.untilSeen(() => api.seen.some((s) => s.query.get('watch') === 'true'))
  for (let i = 0; i < 3; i++) api.push('pods', 'ADDED', podObject({ name: `o${i}`, namespace: 'shop', containerId: String(i + 4).repeat(64), nodeName: 'node-2' }))
  api.compact(api.resourceVersion())
  api.endWatches('pods')
  await api.untilSeen(() => api.seen.filter((s) => s.query.get('watch') !== 'true').length >= 2)
  t.equal(api.seen.filter((s) => s.query.get('watch') === 'true')[1]?.query.get('resourceVersion'), '10', 'resumed from the list version')
  t.same(errors, [], '410 is handled, not reported')
  await h.synced
  t.ok(syncs() >= 1)
})

t.test('the apiserver ends a watch after timeoutSeconds; the client resumes from its last version without a re-list', async (t) => {
  const api = await fakeApi(t)
  const { h, errors } = podListWatch(t, api, { watchTimeoutSeconds: 1 })
  await h.synced
  await api.untilSeen(() => api.seen.filter((s) => s.query.get('watch') === 'true').length >= 2)
  const watches = api.seen.filter((s) => s.query.get('watch') === 'true')
  t.equal(watches[0]?.query.get('timeoutSeconds'), '1')
  t.equal(watches[1]?.query.get('resourceVersion'), '10', 'resumed from the last version seen (a 1 s watch gets no bookmark: the cacher sends it 2 s before the deadline)')
  t.equal(api.seen.filter((s) => s.query.get('watch') !== 'true').length, 1, 'no re-list')
  t.same(errors, [])
})

t.test('a namespace deleted: Terminating, its pods DELETED, then the namespace DELETED; the index forgets both', async (t) => {
  const api = await fakeApi(t)
  const { w, hook } = await startedWatch(t, api)
  await api.bothWatching
  api.deleteNamespace('shop')
  // pods and namespaces come over two watch connections, and the apiserver orders events only
  // within one watch: the namespace's DELETED may be read before its pods' (seen on CI)
  await until(() => w.index.namespaceLabels('shop') === undefined && w.index.podCount === 0, hook)
  t.equal(w.index.container(ID1), undefined, 'the pod went with it')
  t.equal(w.index.namespaceUid('shop'), undefined)
  t.equal(w.index.podCount, 0)
})
