// `lanner serve --source syscall` and the Kubernetes API behind its pod metadata: the connection
// named by lanner.k8s.kubeconfig is the one used, and the health endpoint answers while the first
// pod list is still waiting for the apiserver (a liveness probe must not kill a pod for that).
// Neither needs the probe: both happen before it starts.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { kubeconfigYaml, startFakeApiServer } from '../helpers/fake-apiserver.ts'
import { adminPort, request, startServe, untilServing } from '../helpers/serve-child.ts'

/** a kubeconfig for the fake server, named by the config file (or by $KUBECONFIG); no other way to find a cluster */
function setup (server: string, via: 'config' | 'env' = 'config'): { config: string, env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-serve-k8s-'))
  writeFileSync(join(dir, 'kubeconfig'), kubeconfigYaml(server))
  writeFileSync(join(dir, 'rules.yaml'), '- rule: Nothing\n  desc: never\n  condition: evt.type = openat and fd.name = "/nonexistent/lanner"\n  output: x\n  priority: NOTICE\n  source: syscall\n')
  const config = join(dir, 'lanner.yaml')
  writeFileSync(config, [
    'rules_files: [rules.yaml]',
    'stdout_output: {enabled: false}',
    'webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0}',
    ...(via === 'config' ? ['lanner:', '  k8s:', '    kubeconfig: kubeconfig'] : []), // relative: next to the config file
    ''
  ].join('\n'))
  // no service account, no $KUBECONFIG, no ~/.kube/config
  const env: NodeJS.ProcessEnv = { KUBECONFIG: join(dir, via === 'env' ? 'kubeconfig' : 'absent'), HOME: dir, KUBERNETES_SERVICE_HOST: '', NODE_NAME: 'node-1' }
  return { config, env }
}

function serverOf (api: { kubeConfig: { getCurrentCluster(): { server: string } | null } }): string {
  return api.kubeConfig.getCurrentCluster()?.server ?? ''
}

t.test('the pod metadata watch uses lanner.k8s.kubeconfig', async (t) => {
  const api = await startFakeApiServer(t)
  const { config, env } = setup(serverOf(api))
  const serve = startServe(t, ['serve', '--source', 'syscall', '-c', config], { env })
  const list = await untilServing(serve, () => api.seen.find((r) => r.path === '/api/v1/pods'), 'a pod list at the configured apiserver', 90_000)
  t.equal(list.query.get('fieldSelector'), 'spec.nodeName=node-1', 'this node\'s pods')
  t.equal(list.auth, 'Bearer secret', 'with the kubeconfig\'s credentials')
})

t.test('health answers while the first pod list hangs', async (t) => {
  const api = await startFakeApiServer(t)
  api.hangLists(Infinity)
  const { config, env } = setup(serverOf(api), 'env')
  const serve = startServe(t, ['serve', '--source', 'syscall', '-c', config], { env })
  await untilServing(serve, () => api.seen.some((r) => r.path === '/api/v1/pods'), 'the pod list to be sent', 90_000)
  const port = await adminPort(serve, 90_000)
  const health = await request(`http://127.0.0.1:${port}/healthz`)
  t.equal(health.status, 200)
  t.equal(api.hungListsClosed(), 0, 'answered while the list was still waiting')
})
