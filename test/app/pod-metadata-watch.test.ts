// Syscall mode's pod metadata watch (src/app/syscall-mode/pod-metadata-watch.ts): a kubeconfig that points at a
// cluster starts the watch and says so; an unusable one is one ERR_K8S_WATCH line and the fields
// stay absent; no cluster at all is one info line; a bad lanner.k8s section is left to the
// ConfigMap rules to report. Over the loopback kube-apiserver stand-in (test/helpers/fake-apiserver.ts),
// with the app's real config loading and pino logger.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { createLogger } from '../../src/app/log/logger.ts'
import { startPodMetadataWatch } from '../../src/app/syscall-mode/pod-metadata-watch.ts'
import { loadConfig } from '../../src/config/index.ts'
import { startFakeApiServer } from '../helpers/fake-apiserver.ts'
import { lineCollector } from './fixtures.ts'

function capture () {
  const { stream, lines } = lineCollector()
  const log = createLogger({ level: 'debug', stderr: true, format: 'json' }, stream)
  return { log, logged: () => lines.filter((l) => l !== '').map((l) => JSON.parse(l) as { level: number, code?: string, msg: string, connection?: string, kubeconfig?: string }) }
}

/** a node with no cluster: no in-cluster service, KUBECONFIG and HOME pointing at nothing */
function standalone (t: { teardown(fn: () => void): void }, dir: string): void {
  const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME, KUBERNETES_SERVICE_HOST: process.env.KUBERNETES_SERVICE_HOST }
  process.env.KUBECONFIG = path.join(dir, 'absent')
  process.env.HOME = dir
  delete process.env.KUBERNETES_SERVICE_HOST
  t.teardown(function restoreEnv () {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v }
  })
}

t.test('lanner.k8s.kubeconfig pointing at a cluster: the watch starts, its pods reach the index, one info line names the connection', async (t) => {
  const api = await startFakeApiServer(t, { pods: [] })
  const dir = t.testdir({})
  const kc = path.join(dir, 'kubeconfig')
  writeFileSync(kc, api.kubeconfigYaml())
  const { log, logged } = capture()
  const watch = await startPodMetadataWatch({ config: loadConfig({ overrides: [`lanner.k8s.kubeconfig=${kc}`] }) }, log)
  t.teardown(() => { watch.stop() })
  t.equal(watch.enabled, true)
  t.match(logged(), [{ level: 30, msg: 'kubernetes metadata watch started' }])
  t.ok(api.seen.some((r) => r.path === '/api/v1/pods'), 'the pods of the node were listed')
})

t.test('a list the apiserver fails is a warn line with its code, and the watch retries', async (t) => {
  const api = await startFakeApiServer(t, { pods: [] })
  api.failLists(1)
  const dir = t.testdir({})
  const kc = path.join(dir, 'kubeconfig')
  writeFileSync(kc, api.kubeconfigYaml())
  const { log, logged } = capture()
  const watch = await startPodMetadataWatch({ config: loadConfig({ overrides: [`lanner.k8s.kubeconfig=${kc}`] }) }, log)
  t.teardown(() => { watch.stop() })
  await api.bothWatching
  const problem = logged().find((l) => l.msg === 'kubernetes metadata watch problem (retrying)')
  t.match(problem, { level: 40, code: /^ERR_K8S_/ })
  t.equal(watch.enabled, true, 'still the cluster\'s watch')
})

t.test('an unusable kubeconfig: one ERR_K8S_WATCH error line naming it, never a throw', async (t) => {
  const dir = t.testdir({ kubeconfig: 'not: [a kubeconfig' })
  const { log, logged } = capture()
  const watch = await startPodMetadataWatch({ config: loadConfig({ overrides: [`lanner.k8s.kubeconfig=${path.join(dir, 'kubeconfig')}`] }) }, log)
  t.teardown(() => { watch.stop() })
  const lines = logged()
  t.equal(lines.length, 1, 'nothing else: no "no Kubernetes API" line after it')
  t.match(lines[0], { level: 50, code: 'ERR_K8S_WATCH', kubeconfig: path.join(dir, 'kubeconfig') })
})

t.test('no cluster anywhere: one info line, the watch stays off', async (t) => {
  const dir = t.testdir({})
  standalone(t, dir)
  const { log, logged } = capture()
  const watch = await startPodMetadataWatch({ config: loadConfig({}) }, log)
  t.equal(watch.enabled, false)
  t.match(logged(), [{ level: 30, msg: 'no Kubernetes API (no service account, no kubeconfig): k8s.* fields stay absent' }])
})

t.test('a bad lanner.k8s section is not this watch\'s to report: it goes on without a kubeconfig', async (t) => {
  const dir = t.testdir({})
  standalone(t, dir)
  const { log, logged } = capture()
  const watch = await startPodMetadataWatch({ config: loadConfig({ overrides: ['lanner.k8s.rules_configmaps=[{namespace: "Bad Name", name: x}]'] }) }, log)
  t.equal(watch.enabled, false)
  t.same(logged().map((l) => [l.level, l.code]), [[30, undefined]], 'no error line here')
})
