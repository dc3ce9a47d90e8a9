// The DaemonSet gives each pod its node through the downward API (env NODE_NAME from
// spec.nodeName, deploy/): without an explicit nodeName, the watch reads it from there and asks
// the apiserver for this node's pods only.
import t from 'tap'
import { createK8sWatch } from '../../src/k8s/watch.ts'
import { podObject, startFakeApiServer } from '../helpers/fake-apiserver.ts'

const ID = (n: string): string => n.repeat(64).slice(0, 64)

t.test('NODE_NAME from the environment selects this node\'s pods', async (t) => {
  const api = await startFakeApiServer(t, {
    pods: [
      podObject({ name: 'here', namespace: 'n', containerId: ID('a'), nodeName: 'node-7' }),
      podObject({ name: 'elsewhere', namespace: 'n', containerId: ID('b'), nodeName: 'node-8' })
    ]
  })
  const saved = process.env.NODE_NAME
  process.env.NODE_NAME = 'node-7'
  t.teardown(() => { if (saved === undefined) delete process.env.NODE_NAME; else process.env.NODE_NAME = saved })
  const watch = createK8sWatch({ kubeConfig: api.kubeConfig })
  t.teardown(() => { watch.stop() })
  await watch.start()
  t.equal(api.seen.find((s) => s.path === '/api/v1/pods')?.query.get('fieldSelector'), 'spec.nodeName=node-7')
  t.equal(watch.index.container(ID('a'))?.pod.name, 'here')
  t.equal(watch.index.container(ID('b')), undefined, 'another node\'s pod is not listed')
})
