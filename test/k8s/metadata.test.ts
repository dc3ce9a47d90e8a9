// The pod index fed with pods as the apiserver returns them (test/helpers/fake-apiserver.ts):
// through the list (client-node's typed objects, dates as Date) and through the watch (raw JSON,
// dates as strings). Controller owners, init and ephemeral containers, containers not created
// yet, the three runtimes' containerID schemes, pods in every phase, namespace deletion.
import t from 'tap'
import { createK8sWatch, type K8sWatch } from '../../src/k8s/watch.ts'
import { K8sIndex, containerOfStatusId, podOwners } from '../../src/k8s/metadata.ts'
import { namespaceObject, podObject, podTemplateHash, startFakeApiServer, uidFor, type FakeApiServer } from '../helpers/fake-apiserver.ts'

const id = (c: string): string => c.repeat(64)
const STARTED = '2026-03-01T12:00:00Z'
const STARTED_NS = BigInt(Date.parse(STARTED)) * 1_000_000n

const PODS = [
  podObject({ name: 'web-7d9c-x1', namespace: 'shop', containerId: id('a'), owner: { deployment: 'web' }, labels: { app: 'web' }, image: 'nginx:1.25' }),
  podObject({ name: 'agent-q2', namespace: 'shop', containerId: id('b'), owner: { daemonSet: 'agent' }, runtime: 'cri-o' }),
  podObject({ name: 'legacy-r1', namespace: 'shop', containerId: id('c'), owner: { replicationController: 'legacy' }, runtime: 'docker' }),
  podObject({
    name: 'db-0', namespace: 'shop', containerId: id('d'), owner: { replicaSet: 'standalone-rs' },
    initContainers: [{ name: 'migrate', containerId: id('e') }, { name: 'seed' }],
    ephemeralContainers: [{ name: 'debugger', containerId: id('f'), image: 'busybox:1.36' }]
  }),
  podObject({ name: 'starting', namespace: 'shop', containerId: id('1'), phase: 'Pending' }),
  podObject({ name: 'job-done', namespace: 'shop', containerId: id('2'), phase: 'Succeeded' })
]

async function watched (t: { teardown(fn: () => void | Promise<void>): void }): Promise<{ w: K8sWatch, api: FakeApiServer, changed: () => Promise<void> }> {
  const api = await startFakeApiServer(t, { pods: PODS, namespaces: [namespaceObject('shop', { team: 'a' })] })
  let waiters: Array<() => void> = []
  const w = createK8sWatch({ kubeConfig: api.kubeConfig, nodeName: 'node-1', onChange () { const f = waiters; waiters = []; for (const g of f) g() } })
  t.teardown(() => { w.stop() })
  await w.start()
  await api.bothWatching
  return { w, api, changed: () => new Promise<void>((resolve) => { waiters.push(resolve) }) }
}

t.test('controller owners: a Deployment through its ReplicaSet, a bare ReplicaSet, a ReplicationController, a DaemonSet', async (t) => {
  const { w } = await watched(t)
  const web = w.index.container(id('a'))
  t.equal(web?.pod.owners.replicaSet?.name, `web-${podTemplateHash('web')}`)
  t.equal(web?.pod.owners.replicaSet?.uid, uidFor(`ReplicaSet/shop/web-${podTemplateHash('web')}`))
  t.equal(web?.pod.owners.deployment?.name, 'web', 'the ReplicaSet name minus the pod-template-hash')
  t.same(web?.pod.labels, { app: 'web', 'pod-template-hash': podTemplateHash('web') })
  t.same(w.index.container(id('b'))?.pod.owners, {}, 'a DaemonSet is neither rs nor rc nor deployment')
  t.equal(w.index.container(id('c'))?.pod.owners.replicationController?.name, 'legacy')
  t.equal(w.index.container(id('d'))?.pod.owners.replicaSet?.name, 'standalone-rs')
  t.equal(w.index.container(id('d'))?.pod.owners.deployment, undefined, 'no pod-template-hash: no Deployment invented')
})

t.test('runtimes from the containerID scheme; images as the spec names them; uid and IP of the pod', async (t) => {
  const { w } = await watched(t)
  t.equal(w.index.container(id('a'))?.runtime, 'containerd')
  t.equal(w.index.container(id('b'))?.runtime, 'cri-o')
  t.equal(w.index.container(id('c'))?.runtime, 'docker')
  t.equal(w.index.container(id('a'))?.image, 'nginx:1.25')
  t.match(w.index.container(id('a'))?.imageId, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/)
  t.equal(w.index.container(id('a'))?.pod.uid, uidFor('shop/web-7d9c-x1'))
  t.equal(w.index.container(id('a'))?.pod.ip, '10.244.1.7')
  t.equal(w.index.container(id('a'))?.startTs, STARTED_NS)
})

t.test('init and ephemeral containers are indexed; a container not created yet (no containerID) is not', async (t) => {
  const { w } = await watched(t)
  const migrate = w.index.container(id('e'))
  t.equal(migrate?.name, 'migrate')
  t.equal(migrate?.pod.name, 'db-0')
  t.equal(migrate?.image, 'registry.local/db-0-migrate:v1')
  t.equal(migrate?.startTs, STARTED_NS, 'a terminated init container keeps its start time')
  const dbg = w.index.container(id('f'))
  t.equal(dbg?.name, 'debugger')
  t.equal(dbg?.image, 'busybox:1.36')
  t.equal(w.index.container(id('1')), undefined, 'Pending: the app container is still being created')
  t.equal(w.index.podCount, PODS.length, 'every pod is known, with or without containers')
})

t.test('a Succeeded pod\'s exited containers are still attributed (late events of the exit)', async (t) => {
  const { w } = await watched(t)
  const done = w.index.container(id('2'))
  t.equal(done?.pod.name, 'job-done')
  t.equal(done?.startTs, STARTED_NS, 'start time from the terminated state')
})

t.test('watch events: a pending pod\'s container appears when its status gets the containerID', async (t) => {
  const { w, api, changed } = await watched(t)
  const next = changed()
  api.push('pods', 'MODIFIED', podObject({ name: 'starting', namespace: 'shop', containerId: id('1'), phase: 'Running' }))
  await next
  t.equal(w.index.container(id('1'))?.pod.name, 'starting')
  t.equal(w.index.container(id('1'))?.startTs, STARTED_NS, 'dates as strings in raw watch objects')
})

t.test('namespace deletion removes its labels and uid; another namespace is untouched', async (t) => {
  const { w, api, changed } = await watched(t)
  api.push('namespaces', 'ADDED', namespaceObject('other', { team: 'b' }))
  for (;;) { await changed(); if (w.index.namespaceLabels('other') !== undefined) break }
  t.equal(w.index.namespaceUid('shop'), uidFor('ns/shop'))
  api.deleteNamespace('shop')
  while (w.index.namespaceLabels('shop') !== undefined || w.index.podCount > 0) await changed()
  t.equal(w.index.namespaceUid('shop'), undefined)
  t.same(w.index.namespaceLabels('other'), { team: 'b', 'kubernetes.io/metadata.name': 'other' })
})

t.test('podOwners and the index without a uid: keyed by namespace/name', async (t) => {
  t.same(podOwners({ ownerReferences: [{ kind: 'ReplicaSet' }, { kind: 'Job', name: 'j' }] }), {}, 'nameless and unknown kinds ignored')
  const index = new K8sIndex()
  const raw = podObject({ name: 'p', namespace: 'n', containerId: id('9') }) as any
  delete raw.metadata.uid
  index.upsertPod(raw)
  t.equal(index.container(id('9'))?.pod.name, 'p')
  index.deletePod({ metadata: { name: 'p', namespace: 'n' } })
  t.equal(index.container(id('9')), undefined)
  index.upsertNamespace({ metadata: {} })
  index.deleteNamespace({ metadata: {} })
  index.upsertNamespace({ metadata: { name: 'x' } })
  t.same(index.namespaceLabels('x'), {})
  t.equal(index.namespaceUid('x'), undefined)
  const badId = podObject({ name: 'q', namespace: 'n', containerId: id('8') }) as any
  badId.status.containerStatuses[0].containerID = 'containerd://not-hex'
  index.upsertPod(badId)
  t.equal(index.container(id('8')), undefined, 'a containerID that is not 64 hex is ignored')
})

t.test('containerOfStatusId: the kubelet\'s <runtime>://<64 hex>, nothing else', async (t) => {
  t.same(containerOfStatusId(`containerd://${id('a')}`), { fullId: id('a'), runtime: 'containerd' })
  t.equal(containerOfStatusId(`cri-o://${id('a')}`)?.runtime, 'cri-o')
  t.equal(containerOfStatusId(`docker://${id('a')}`)?.runtime, 'docker')
  t.same(containerOfStatusId(`other://${id('a')}`), { fullId: id('a'), runtime: undefined }, 'an unknown runtime keeps the id')
  t.equal(containerOfStatusId(id('a')), undefined, 'no scheme')
  t.equal(containerOfStatusId('containerd://abc'), undefined, 'not a full id')
  t.equal(containerOfStatusId(`containerd://${id('A')}`), undefined, 'upper case is not what runtimes write')
})

t.test('hostPath mounts, privileged and hostNetwork as the spec says (the docker socket DaemonSet)', async (t) => {
  const api = await startFakeApiServer(t, {
    pods: [podObject({
      name: 'logger-x1', namespace: 'ops', containerId: id('7'), owner: { daemonSet: 'logger' }, privileged: true, hostNetwork: true,
      volumes: [{ name: 'sock', hostPath: '/var/run/docker.sock' }, { name: 'scratch' }, { name: 'logs', hostPath: '/var/log' }],
      appMounts: [{ name: 'sock', mountPath: '/var/run/docker.sock' }, { name: 'scratch', mountPath: '/tmp' }, { name: 'logs', mountPath: '/host/logs', readOnly: true }]
    })]
  })
  const w = createK8sWatch({ kubeConfig: api.kubeConfig, nodeName: 'node-1' })
  t.teardown(() => { w.stop() })
  await w.start()
  const c = w.index.container(id('7'))
  t.equal(c?.privileged, true)
  t.equal(c?.pod.hostNetwork, true)
  t.equal(c?.pod.hostPid, false)
  t.same(c?.mounts, [{ source: '/var/run/docker.sock', dest: '/var/run/docker.sock', readOnly: false }, { source: '/var/log', dest: '/host/logs', readOnly: true }], 'hostPath volumes only, emptyDir left out')
})

t.test('objects missing what the apiserver always sends still index without throwing', async (t) => {
  const index = new K8sIndex()
  index.upsertPod({})
  t.equal(index.podCount, 1, 'a pod with no metadata is keyed by "/"')
  index.deletePod({})
  t.equal(index.podCount, 0)
  // a status for a container the spec does not name (a race between spec and status updates):
  // the runtime's image from the status, no mounts
  index.upsertPod({
    metadata: { name: 'p', namespace: 'n', uid: 'u' },
    status: { containerStatuses: [{ name: 'ghost', containerID: `cri-o://${id('6')}`, image: 'docker.io/library/busybox:1.36', state: { running: { startedAt: 'not a date' } } }, { name: 'never-started', containerID: `containerd://${id('5')}` }] }
  })
  const ghost = index.container(id('6'))
  t.equal(ghost?.image, 'docker.io/library/busybox:1.36')
  t.equal(ghost?.startTs, undefined, 'an unparsable startedAt is no start time')
  t.same(ghost?.mounts, [])
  t.equal(ghost?.pod.ip, undefined)
  t.same(ghost?.pod.labels, {})
  t.equal(index.container(id('5'))?.startTs, undefined, 'no state at all')
  t.equal(index.container(id('5'))?.image, '')
  index.upsertPod({ metadata: { name: 'q' }, spec: {}, status: {} })
  t.equal(index.podCount, 2)
})
