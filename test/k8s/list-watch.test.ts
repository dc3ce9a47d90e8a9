// The list+watch loop's failure paths against the fake apiserver (test/helpers/fake-apiserver.ts):
// throwing handlers and reporters, an in-band ERROR that is not 410, a server that keeps expiring,
// a 410 from the list itself, close() during a list, label selectors, error texts from Status bodies.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, delimiter } from 'node:path'
import { CoreV1Api } from '@kubernetes/client-node'
import { listWatch, requestOptions } from '../../src/k8s/list-watch.ts'
import { createK8sWatch } from '../../src/k8s/watch.ts'
import { resolveKubeConfig } from '../../src/k8s/kube-config.ts'
import { watchConfigMap } from '../../src/k8s/configmap-watch.ts'
import type { AppError } from '../../src/errors/index.ts'
import { namespaceObject, podObject, startFakeApiServer, statusObject, type FakeApiServer } from '../helpers/fake-apiserver.ts'
import { startFakeConfigMapApiServer } from '../helpers/fake-configmap-apiserver.ts'

const ID = (c: string): string => c.repeat(64)

/** resolves on the n-th call of the returned callback */
function nth<T> (n: number): { fn: (v: T) => void, done: Promise<T[]> } {
  const seen: T[] = []
  let resolve: (v: T[]) => void = () => {}
  const done = new Promise<T[]>((r) => { resolve = r })
  return { fn (v) { seen.push(v); if (seen.length === n) resolve(seen) }, done }
}

type ListWatchOptions = Parameters<typeof listWatch<any>>[0]

/** A listWatch of the fake's namespaces (all of them, handlers doing nothing, unless `extra` says otherwise), closed at teardown. */
function namespaceListWatch (t: { teardown(fn: () => void): void }, api: FakeApiServer, extra: Partial<ListWatchOptions> = {}) {
  const core = api.kubeConfig.makeApiClient(CoreV1Api)
  const h = listWatch<any>({
    kubeConfig: api.kubeConfig,
    path: '/api/v1/namespaces',
    listFn: async (signal) => await core.listNamespace({}, await requestOptions(signal)),
    onSync () {},
    onEvent () {},
    ...extra
  })
  t.teardown(() => h.close())
  return h
}

t.test('handlers that throw (Errors or not) are reported; a throwing reporter does not stop the loop', async (t) => {
  const api = await startFakeApiServer(t, { pods: [podObject({ name: 'a', namespace: 'n', containerId: ID('1') })] })
  const core = api.kubeConfig.makeApiClient(CoreV1Api)
  const errors = nth<AppError>(2)
  let events = 0
  const h = listWatch<any>({
    kubeConfig: api.kubeConfig,
    path: '/api/v1/pods',
    listFn: async (signal) => await core.listPodForAllNamespaces({}, await requestOptions(signal)),
    onSync () { throw new Error('sync broke') },
    onEvent () { events++; throw 'a string, not an Error' }, // eslint-disable-line no-throw-literal
    onError (e) { errors.fn(e); throw new Error('the reporter broke too') }
  })
  t.teardown(() => h.close())
  await h.synced
  await api.untilSeen(() => api.seen.some((s) => s.query.get('watch') === 'true'))
  api.push('pods', 'ADDED', podObject({ name: 'b', namespace: 'n', containerId: ID('2') }))
  const [first, second] = await errors.done
  t.match(first?.message, '/api/v1/pods: a watch handler failed: sync broke', 'what defaults to the path')
  t.match(second?.message, 'a watch handler failed: a string, not an Error')
  t.equal(events, 1)
})

t.test('an in-band ERROR other than 410 fails the watch (reported, retried from the same version)', async (t) => {
  const api = await startFakeApiServer(t, {})
  const core = api.kubeConfig.makeApiClient(CoreV1Api)
  const errors = nth<AppError>(1)
  namespaceListWatch(t, api, {
    what: 'namespace watch',
    labelSelector: 'team=a',
    listFn: async (signal) => await core.listNamespace({ labelSelector: 'team=a' }, await requestOptions(signal)),
    onError: errors.fn,
    backoff: { initialMs: 5, maxMs: 10 }
  })
  await api.untilSeen(() => api.seen.some((s) => s.query.get('watch') === 'true'))
  t.equal(api.seen.find((s) => s.query.get('watch') === 'true')?.query.get('labelSelector'), 'team=a', 'the label selector is sent')
  api.push('namespaces', 'ERROR', statusObject(500, 'InternalError', 'etcd cluster is unavailable'))
  const [e] = await errors.done
  t.match(e?.message, 'namespace watch: watch error 500 etcd cluster is unavailable')
  await api.untilSeen(() => api.seen.filter((s) => s.query.get('watch') === 'true').length >= 2)
  t.equal(api.seen.filter((s) => s.query.get('watch') !== 'true').length, 1, 'no re-list for a non-410 error')
})

t.test('a server that answers every resumed watch with 410 is re-listed with backoff, not in a tight loop', async (t) => {
  const api = await startFakeApiServer(t, { namespaces: [namespaceObject('x')] })
  let syncs = 0
  namespaceListWatch(t, api, { onSync () { syncs++ }, backoff: { initialMs: 5, maxMs: 10 } })
  for (let i = 0; i < 3; i++) {
    await api.untilSeen(() => api.seen.filter((s) => s.query.get('watch') === 'true').length > i)
    api.expire('namespaces')
  }
  await api.untilSeen(() => api.seen.filter((s) => s.query.get('watch') !== 'true').length >= 3)
  t.ok(syncs >= 2, 're-listed after each 410')
})

t.test('a 410 from the list itself (an expired continue token) re-lists without an error report', async (t) => {
  const api = await startFakeApiServer(t, {})
  const errors: AppError[] = []
  let calls = 0
  const synced = nth<number>(1)
  namespaceListWatch(t, api, {
    async listFn () {
      if (++calls === 1) throw Object.assign(new Error('HTTP-Code: 410\nMessage: Gone\nBody: {}'), { code: 410 })
      return { metadata: { resourceVersion: '10' }, items: [] }
    },
    onSync () { synced.fn(calls) },
    onError (e) { errors.push(e) }
  })
  t.same(await synced.done, [2])
  t.same(errors, [])
})

t.test('close() while a list is outstanding ends the loop; synced and attempted settle', async (t) => {
  const api = await startFakeApiServer(t, {})
  api.hangLists(Infinity)
  let syncs = 0
  const h = namespaceListWatch(t, api, { onSync () { syncs++ } })
  await api.untilSeen(() => api.seen.length > 0)
  h.close()
  h.close()
  await h.synced
  await h.attempted
  t.equal(syncs, 0)
  await api.untilSeen(() => api.hungListsClosed() > 0)
  t.equal(api.hungListsClosed(), 1, 'the outstanding list was aborted')
})

t.test('error texts: Status bodies as objects or JSON strings, reasons optional, other errors by message', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [Object.assign(new Error('HTTP-Code: 403\nMessage: x'), { code: 403, body: JSON.stringify(statusObject(403, 'Forbidden', 'no')) }), /HTTP 403: Forbidden: no$/],
    [Object.assign(new Error('HTTP-Code: 500\nMessage: Unknown API Status Code!'), { code: 500, body: { kind: 'Status', message: 'boom' } }), /HTTP 500: boom$/],
    [Object.assign(new Error('HTTP-Code: 502\nMessage: Bad Gateway\nBody: "<html>"'), { code: 502, body: '<html>' }), /HTTP 502: Bad Gateway$/],
    [new Error('getaddrinfo ENOTFOUND kubernetes.default.svc\nmore'), /: getaddrinfo ENOTFOUND kubernetes\.default\.svc$/],
    ['plain string', /: plain string$/]
  ]
  for (const [thrown, want] of cases) {
    const reported = nth<AppError>(1)
    const h = listWatch<any>({
      kubeConfig: (await startFakeApiServer(t, {})).kubeConfig,
      path: '/x',
      listFn: async () => { throw thrown },
      onSync () {},
      onEvent () {},
      onError: reported.fn,
      backoff: { initialMs: 60_000 }
    })
    const [e] = await reported.done
    h.close()
    t.match(e?.message, want)
  }
})

t.test('createK8sWatch: stop() before the connection is made leaves nothing running; an empty node name watches every pod', async (t) => {
  const api = await startFakeApiServer(t, { pods: [podObject({ name: 'a', namespace: 'n', containerId: ID('1'), nodeName: 'node-9' })] })
  const early = createK8sWatch({ kubeConfig: api.kubeConfig, nodeName: 'node-1' })
  const starting = early.start()
  early.stop()
  await starting
  t.equal(api.seen.length, 0, 'no request after stop()')
  const all = createK8sWatch({ kubeConfig: api.kubeConfig, nodeName: '' })
  t.teardown(() => { all.stop() })
  await all.start()
  t.equal(all.index.container(ID('1'))?.pod.name, 'a', 'the pod of another node is there')
  t.equal(api.seen.find((s) => s.path === '/api/v1/pods')?.query.get('fieldSelector'), null, 'no field selector')
})

t.test('$KUBECONFIG with several files: merged, the first one\'s context current', async (t) => {
  const api = await startFakeApiServer(t, {})
  const dir = mkdtempSync(join(tmpdir(), 'lanner-kc-'))
  writeFileSync(join(dir, 'a.yaml'), api.kubeconfigYaml())
  writeFileSync(join(dir, 'b.yaml'), ['apiVersion: v1', 'kind: Config', 'clusters: [{ name: other, cluster: { server: "https://other:6443" } }]', 'users: [{ name: o, user: { token: t } }]', 'contexts: [{ name: other, context: { cluster: other, user: o } }]', ''].join('\n'))
  const r = await resolveKubeConfig({ env: { KUBECONFIG: [join(dir, 'a.yaml'), join(dir, 'missing.yaml'), join(dir, 'b.yaml')].join(delimiter) }, home: dir })
  t.equal(r?.source, 'kubeconfig')
  t.equal(r?.kubeConfig.getCurrentCluster()?.server, api.url)
  t.same(r?.kubeConfig.getContexts().map((c) => c.name).sort(), ['fake', 'other'])
})

t.test('watchConfigMap: events for another name are ignored; a ConfigMap without data is empty rules', async (t) => {
  const api = await startFakeConfigMapApiServer(t)
  const got = nth<Record<string, string>>(1)
  const w = watchConfigMap({ kubeConfig: api.kubeConfig, namespace: 'lanner', name: 'rules' }, got.fn)
  t.teardown(() => w.close())
  await w.ready
  await api.watching()
  api.send('ADDED', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'other', namespace: 'lanner', resourceVersion: '99' }, data: { 'x.yaml': 'x' } })
  api.send('ADDED', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'rules', namespace: 'lanner', resourceVersion: '100' } })
  t.same(await got.done, [{}], 'only rules/ arrived, with no data')
})
