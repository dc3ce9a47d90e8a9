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
import { namespaceObject, podObject, startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.ts'

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

t.test('lists then watches this node\'s pods and all namespaces', async (t) => {
  const api = await fakeApi(t)
  const hook = { fn: () => {} }
  const w = createK8sWatch({ kubeConfig: api.kubeConfig, nodeName: 'node-1', onChange: () => hook.fn() })
  t.teardown(() => { w.stop() })
  await w.start()
  t.equal(w.index.container(ID1)?.pod.name, 'cart', 'pod from the initial list')
  t.same(w.index.container(ID1)?.pod.labels, { app: 'cart' })
  t.equal(w.index.container(ID1)?.image, 'registry.local/cart:v1')
  t.equal(w.index.container(ID1)?.startTs, BigInt(Date.parse(STARTED)) * 1_000_000n, 'typed list objects (dates as Date) feed the index')
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
  t.equal(w.index.container(ID2)?.startTs, BigInt(Date.parse(STARTED)) * 1_000_000n, 'raw watch objects (dates as strings) too')

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
  const w = createK8sWatch({ kubeConfig: api.kubeConfig, nodeName: 'node-1', retryDelayMs: 5, onError: (e) => errors.push(e), onChange: () => hook.fn() })
  t.teardown(() => { w.stop() })
  await w.start()
  await until(() => w.index.container(ID1) !== undefined && w.index.namespaceLabels('shop') !== undefined, hook)
  t.ok(errors.length >= 1)
  t.equal(errors[0]?.code, 'ERR_K8S_WATCH')
})

t.test('410 Gone on the pod watch re-lists: pods missing from the new list leave the index; stop() closes the watches', async (t) => {
  const api = await fakeApi(t)
  const hook = { fn: () => {} }
  const w = createK8sWatch({ kubeConfig: api.kubeConfig, nodeName: 'node-1', onChange: () => hook.fn() })
  t.teardown(() => { w.stop() })
  await w.start()
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
    listTimeoutMs: 50,
    backoff: { initialMs: 5, maxMs: 10 }
  })
  t.teardown(() => h.close())
  await h.attempted
  t.equal(errors[0]?.code, 'ERR_K8S_WATCH', 'the first attempt ended with a reported error')
  await twoErrors
  t.match(errors[0]?.message, /list timed out after 50 ms/)
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
  const api = await fakeApi(t)
  const home = mkdtempSync(join(tmpdir(), 'lanner-home-'))
  mkdirSync(join(home, '.kube'))
  const server = api.kubeConfig.getCurrentCluster()?.server ?? ''
  writeFileSync(join(home, '.kube', 'config'), [
    'apiVersion: v1', 'kind: Config', 'current-context: dev',
    'clusters: [{ name: dev, cluster: { server: "' + server + '", insecure-skip-tls-verify: true } }]',
    'users: [{ name: me, user: { token: devtoken } }]',
    'contexts: [{ name: dev, context: { cluster: dev, user: me } }]', ''
  ].join('\n'))
  const w = createK8sWatch({ nodeName: 'node-1', resolve: { env: {}, home } })
  t.teardown(() => { w.stop() })
  await w.start()
  t.equal(w.enabled, true)
  t.equal(w.source, 'kubeconfig')
  t.equal(w.index.container(ID1)?.pod.name, 'cart', 'listed through the kubeconfig\'s cluster')
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
