// Where rules_configmaps start without their ConfigMaps (app/rules/configmap-rules.ts): no Kubernetes
// API to read them from is a warning and a start with the rules files; a kubeconfig named in
// lanner.k8s that cannot be used is a config error naming the key and the file.
import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { k8sOptionsOf, startConfigMapRules } from '../../src/app/rules/configmap-rules.ts'
import { createRule } from './fixtures.ts'

async function appWith (t: Test, k8s: string) {
  const dir = t.testdir({ 'rules.yaml': createRule('File Rule') })
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, `rules_files: [rules.yaml]\nlanner:\n  k8s: ${k8s}\n`)
  const config = loadConfig({ file })
  const logOut = new PassThrough()
  const logs: Array<Record<string, unknown>> = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app = await buildApp(config, { stdout: new PassThrough(), logger: createLogger(config.log, logOut), defaultMetrics: false })
  t.teardown(async () => { await app.dispatcher.close(1000) })
  return { dir, file, app, logs }
}

t.test('no kubeconfig, no service account: a warning, and the rules files load alone', async (t) => {
  // nothing to find: no $KUBECONFIG, no in-cluster variables, a HOME without .kube/config
  const saved = { KUBECONFIG: process.env.KUBECONFIG, KUBERNETES_SERVICE_HOST: process.env.KUBERNETES_SERVICE_HOST, HOME: process.env.HOME }
  t.teardown(() => { for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v } })
  delete process.env.KUBECONFIG
  delete process.env.KUBERNETES_SERVICE_HOST
  process.env.HOME = t.testdir({})
  const s = await appWith(t, '{rules_configmaps: [{namespace: lanner, name: custom-rules}]}')
  const cm = await startConfigMapRules(s.app, k8sOptionsOf(s.app))
  t.teardown(() => { cm.close() })
  t.match(s.logs.find((l) => l.module === 'configmap-rules'), { level: 40, configmaps: 1, msg: /^rules_configmaps set but no Kubernetes API to read them from/ })
  t.equal((await s.app.rules.load()).ok, true)
  t.same(s.app.rules.current()?.rules.map((r) => r.name), ['File Rule'])
})

t.test('a kubeconfig that cannot be used: ERR_CONFIG_READ naming lanner.k8s.kubeconfig and the file', async (t) => {
  const s = await appWith(t, '{kubeconfig: missing/kube.yaml, rules_configmaps: [{namespace: lanner, name: custom-rules}]}')
  const expected = path.join(s.dir, 'missing', 'kube.yaml')
  await t.rejects(startConfigMapRules(s.app, k8sOptionsOf(s.app)), {
    code: 'ERR_CONFIG_READ',
    message: new RegExp(`^cannot use kubeconfig ${expected.replace(/[.]/g, '\\.')}: `),
    location: { file: s.file, itemName: 'lanner.k8s.kubeconfig' }
  })
})

t.test('a $KUBECONFIG that cannot be used: ERR_CONFIG_READ saying where kubeconfigs are looked for', async (t) => {
  const saved = process.env.KUBECONFIG
  t.teardown(() => { if (saved === undefined) delete process.env.KUBECONFIG; else process.env.KUBECONFIG = saved })
  const s = await appWith(t, '{rules_configmaps: [{namespace: lanner, name: custom-rules}]}')
  const broken = path.join(s.dir, 'broken-kubeconfig')
  writeFileSync(broken, 'clusters: [this is not: a kubeconfig\n')
  process.env.KUBECONFIG = broken
  const err = await startConfigMapRules(s.app, k8sOptionsOf(s.app)).then(() => undefined, (e: unknown) => e)
  t.match(err, { code: 'ERR_CONFIG_READ', message: /^cannot use the kubeconfig \(\$KUBECONFIG, ~\/\.kube\/config or the service account\): / })
  t.equal((err as { location?: unknown }).location, undefined, 'no config key to point at: the file came from the environment')
})
