// watchConfigMap against a loopback HTTPS stand-in for kube-apiserver (fake-configmap-apiserver.ts):
// a ConfigMapList with a resourceVersion, then a chunked stream of JSON-line watch events.
import t from 'tap'
import { watchConfigMap, configMapRulesInputs, parseK8sOptions } from '../../src/k8s/configmap-watch.ts'
import { AppError, ConfigError } from '../../src/errors/index.ts'
import { startFakeConfigMapApiServer as fakeApiserver } from '../helpers/fake-configmap-apiserver.ts'
import { kubeConfigFor } from '../helpers/fake-apiserver.ts'

/** Collects onData calls; next() resolves with the following one. */
function collector () {
  const calls: Array<Record<string, string>> = []
  let waiters: Array<(d: Record<string, string>) => void> = []
  return {
    calls,
    onData (d: Record<string, string>): void {
      calls.push(d)
      const w = waiters; waiters = []
      for (const f of w) f(d)
    },
    next: async () => await new Promise<Record<string, string>>((resolve) => { waiters.push(resolve) })
  }
}

t.test('list, then watch from the list resourceVersion; data changes are delivered once each', async (t) => {
  const api = await fakeApiserver(t)
  api.setData({ 'custom.yaml': 'v1' })
  const got = collector()
  const deleted: number[] = []
  const firstData = got.next()
  const firstWatch = api.nextRequest('watch')
  const w = watchConfigMap({ kubeConfig: api.kubeConfig, namespace: 'lanner', name: 'rules', onDeleted: () => deleted.push(1) }, got.onData)
  t.teardown(() => w.close())

  t.same(await firstData, { 'custom.yaml': 'v1' }, 'the listed data arrives first')
  await w.ready
  const watchReq = await firstWatch
  t.equal(watchReq.query.get('resourceVersion'), '2', 'watch resumes from the list')
  t.equal(watchReq.query.get('fieldSelector'), 'metadata.name=rules', 'only this ConfigMap is watched')
  t.equal(watchReq.auth, 'Bearer secret-token', 'credentials from the KubeConfig are sent')
  t.equal(api.requests[0]?.kind, 'list')

  let p = got.next()
  api.send('MODIFIED', api.setData({ 'custom.yaml': 'v2' }))
  t.same(await p, { 'custom.yaml': 'v2' })

  // metadata-only change (labels): not a rules change
  api.send('MODIFIED', api.setData({ 'custom.yaml': 'v2' }, { touched: 'yes' }))
  p = got.next()
  api.send('MODIFIED', api.setData({ 'custom.yaml': 'v3', 'more.yaml': 'x' }))
  t.same(await p, { 'custom.yaml': 'v3', 'more.yaml': 'x' })
  t.equal(got.calls.length, 3, 'the label-only update was not delivered')

  // DELETED keeps the old rules (no onData) and says so; ADDED brings new data
  api.send('DELETED', api.setData(null))
  p = got.next()
  api.send('ADDED', api.setData({ 'custom.yaml': 'v4' }))
  t.same(await p, { 'custom.yaml': 'v4' })
  t.equal(got.calls.length, 4, 'DELETED did not produce data')
  t.equal(deleted.length, 1, 'onDeleted was told')

  w.close()
  await api.watchClosed()
  t.equal(api.openWatches(), 0, 'close() ends the watch connection')
})

t.test('410 Gone in the watch stream makes it re-list, then watch from the new version', async (t) => {
  const api = await fakeApiserver(t)
  api.setData({ 'a.yaml': '1' })
  const got = collector()
  const first = got.next()
  const firstWatch = api.nextRequest('watch')
  const w = watchConfigMap({ kubeConfig: api.kubeConfig, namespace: 'lanner', name: 'rules' }, got.onData)
  t.teardown(() => w.close())
  await first
  await firstWatch

  // changed while our watch was too old to see it: the event is compacted away, and the stream
  // gets the in-band ERROR etcd's watcher sends on compaction (a 410 Expired Status)
  api.setData({ 'a.yaml': '2' }, {}, { unseen: true })
  const relist = api.nextRequest('list')
  const rewatch = api.nextRequest('watch')
  const p = got.next()
  api.send('ERROR', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'The resourceVersion for the provided watch is too old.', reason: 'Expired', code: 410 })
  await relist
  t.same(await p, { 'a.yaml': '2' }, 'the re-list delivers what changed meanwhile')
  t.equal((await rewatch).query.get('resourceVersion'), '3')
})

t.test('a resumed watch answered 410 Expired re-lists; a clean end of the stream re-watches from the last version', async (t) => {
  const api = await fakeApiserver(t)
  api.setData({ 'a.yaml': '1' })
  const got = collector()
  const first = got.next()
  const w0 = api.nextRequest('watch')
  const w = watchConfigMap({ kubeConfig: api.kubeConfig, namespace: 'lanner', name: 'rules', backoff: { initialMs: 5, maxMs: 20 } }, got.onData)
  t.teardown(() => w.close())
  await first
  await w0

  const p = got.next()
  api.send('MODIFIED', api.setData({ 'a.yaml': '2' }))
  await p
  const again = api.nextRequest('watch')
  api.endWatches()
  t.equal((await again).query.get('resourceVersion'), '3', 'resumes after the last event it saw')

  // history compacted past our version: the resumed watch gets 200 and a single ERROR event
  const listsBefore = api.requests.filter((r) => r.kind === 'list').length
  const relisted = api.nextRequest('list')
  api.expire()
  await relisted
  t.equal(api.requests.filter((r) => r.kind === 'list').length, listsBefore + 1)
  t.equal(got.calls.length, 2, 'a re-list with unchanged data delivers nothing new')
})

t.test('errors are reported with ERR_K8S_WATCH and retried with backoff', async (t) => {
  const api = await fakeApiserver(t)
  api.setData({ 'a.yaml': '1' })
  api.scripted.list.push(500, 403)
  const errors: AppError[] = []
  const got = collector()
  const first = got.next()
  const w = watchConfigMap({
    kubeConfig: api.kubeConfig, namespace: 'lanner', name: 'rules', backoff: { initialMs: 5, maxMs: 20 }, onError: (e) => errors.push(e)
  }, got.onData)
  t.teardown(() => w.close())
  t.same(await first, { 'a.yaml': '1' }, 'data arrives once the apiserver recovers')
  t.equal(errors.length, 2)
  for (const e of errors) {
    t.ok(e instanceof AppError)
    t.equal(e.code, 'ERR_K8S_WATCH')
  }
  t.match(errors[1]?.message, /403/, 'the status is in the message')
  t.equal(api.requests.filter((r) => r.kind === 'list').length, 3)
})

t.test('an absent ConfigMap is not an error: onDeleted says so once, the data comes when it is created', async (t) => {
  const api = await fakeApiserver(t)
  const got = collector()
  const errors: unknown[] = []
  let deleted = 0
  const firstWatch = api.nextRequest('watch')
  const w = watchConfigMap({
    kubeConfig: api.kubeConfig, namespace: 'lanner', name: 'rules', backoff: { initialMs: 5, maxMs: 20 }, onError: (e) => errors.push(e), onDeleted: () => { deleted++ }
  }, got.onData)
  t.teardown(() => w.close())
  await w.ready
  await firstWatch
  t.equal(got.calls.length, 0)
  t.equal(deleted, 1, 'absent at the first list: reported')

  // still absent after a re-list (410): not reported again
  const relisted = api.nextRequest('list')
  const rewatch = api.nextRequest('watch')
  api.send('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' })
  await relisted
  await rewatch
  t.equal(deleted, 1, 'a re-list that still finds nothing is quiet')

  const p = got.next()
  api.send('ADDED', api.setData({ 'late.yaml': 'x' }))
  t.same(await p, { 'late.yaml': 'x' })
  t.same(errors, [])
})

t.test('a throwing data handler is reported, the watch continues', async (t) => {
  const api = await fakeApiserver(t)
  api.setData({ 'a.yaml': '1' })
  const errors: AppError[] = []
  let calls = 0
  let resolveSecond: () => void = () => {}
  const second = new Promise<void>((resolve) => { resolveSecond = resolve })
  const firstWatch = api.nextRequest('watch')
  const w = watchConfigMap({ kubeConfig: api.kubeConfig, namespace: 'lanner', name: 'rules', onError: (e) => errors.push(e) }, () => {
    calls++
    if (calls === 2) resolveSecond()
    throw new Error('bad rules')
  })
  t.teardown(() => w.close())
  await firstWatch
  api.send('MODIFIED', api.setData({ 'a.yaml': '2' }))
  await second
  t.equal(errors.length >= 1, true)
  t.equal(errors[0]?.code, 'ERR_K8S_WATCH')
})

t.test('configMapRulesInputs: yaml keys in lexical order, named after their origin', async (t) => {
  const inputs = configMapRulesInputs({ namespace: 'lanner', name: 'custom' }, { 'b.yaml': 'B', 'README': 'r', 'a.yml': 'A' })
  t.same(inputs, [
    { name: 'configmap:lanner/custom/a.yml', content: 'A' },
    { name: 'configmap:lanner/custom/b.yaml', content: 'B' }
  ])
})

t.test('parseK8sOptions validates the lanner.k8s section with key paths', async (t) => {
  t.same(parseK8sOptions({}), { rulesConfigMaps: [] })
  t.same(parseK8sOptions({ rules_configmaps: [{ namespace: 'lanner', name: 'lanner-custom-rules' }], kubeconfig: '/k' }),
    { rulesConfigMaps: [{ namespace: 'lanner', name: 'lanner-custom-rules' }], kubeconfig: '/k' })
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ rules_configmaps: 'x' }, 'lanner.k8s.rules_configmaps'],
    [{ rules_configmaps: [{ namespace: 'lanner' }] }, 'lanner.k8s.rules_configmaps[0].name'],
    [{ rules_configmaps: [{ namespace: 'Bad_NS', name: 'x' }] }, 'lanner.k8s.rules_configmaps[0].namespace'],
    [{ configmap: 'x' }, 'lanner.k8s.configmap'],
    [{ kubeconfig: 3 }, 'lanner.k8s.kubeconfig']
  ]
  for (const [section, keyPath] of cases) {
    let caught: unknown
    try { parseK8sOptions(section) } catch (err) { caught = err }
    t.ok(caught instanceof ConfigError, `${keyPath}: a ConfigError`)
    t.match(caught, { code: 'ERR_CONFIG_INVALID', location: { itemName: keyPath } }, keyPath)
  }
})

t.test('a request without the expected token is answered 401 and reported', async (t) => {
  const api = await fakeApiserver(t, { token: 'right' })
  const errors: AppError[] = []
  let reported: () => void = () => {}
  const first = new Promise<void>((resolve) => { reported = resolve })
  const w = watchConfigMap({ kubeConfig: kubeConfigFor(api.url, 'wrong', api.caCert), namespace: 'lanner', name: 'rules', backoff: { initialMs: 5, maxMs: 20 }, onError: (e) => { errors.push(e); reported() } }, () => {})
  t.teardown(() => w.close())
  await first
  t.match(errors[0]?.message, 'configmap lanner/rules: HTTP 401: Unauthorized')
})
