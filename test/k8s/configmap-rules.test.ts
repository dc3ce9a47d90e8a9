// k8sOptionsOf: the `lanner.k8s` section as the app reads it from a real config file, with the
// kubeconfig path resolved like every other path in the file.
import t from 'tap'
import path from 'node:path'
import { loadConfig } from '../../src/config/index.ts'
import { k8sOptionsOf } from '../../src/app/rules/configmap-rules.ts'
import { ConfigError } from '../../src/errors/index.ts'

t.test('a relative kubeconfig resolves against the config file\'s directory, not the working directory', async (t) => {
  const dir = t.testdir({ etc: { 'lanner.yaml': 'lanner:\n  k8s:\n    kubeconfig: kube/config\n    rules_configmaps: [{namespace: lanner, name: rules}]\n' } })
  const config = loadConfig({ file: path.join(dir, 'etc', 'lanner.yaml'), cwd: '/' })
  t.same(k8sOptionsOf({ config }), { kubeconfig: path.join(dir, 'etc', 'kube', 'config'), rulesConfigMaps: [{ namespace: 'lanner', name: 'rules' }] })
})

t.test('an absolute kubeconfig is kept; without a config file a relative one resolves against the working directory', async (t) => {
  const dir = t.testdir({ 'lanner.yaml': 'lanner: {k8s: {kubeconfig: /etc/kube.yaml}}\n' })
  t.equal(k8sOptionsOf({ config: loadConfig({ file: path.join(dir, 'lanner.yaml') }) }).kubeconfig, '/etc/kube.yaml')
  const config = loadConfig({ overrides: ['lanner.k8s.kubeconfig=rel/kube.yaml'] })
  t.equal(k8sOptionsOf({ config }).kubeconfig, path.resolve('rel/kube.yaml'))
  t.same(k8sOptionsOf({ config: loadConfig({}) }), { rulesConfigMaps: [] }, 'no section: no ConfigMaps, no kubeconfig')
})

t.test('a bad section is a ConfigError naming the key', async (t) => {
  const config = loadConfig({ overrides: ['lanner.k8s.rules_configmaps=[{namespace: lanner}]'] })
  t.throws(() => k8sOptionsOf({ config }), ConfigError)
  t.throws(() => k8sOptionsOf({ config }), { code: 'ERR_CONFIG_INVALID', location: { itemName: 'lanner.k8s.rules_configmaps[0].name' } })
})

t.test('a ConfigMap given by name alone (a string, not {namespace, name}) is a ConfigError naming the item', async (t) => {
  const dir = t.testdir({ 'lanner.yaml': 'lanner:\n  k8s:\n    rules_configmaps:\n      - lanner-custom-rules\n' })
  const config = loadConfig({ file: path.join(dir, 'lanner.yaml') })
  t.throws(() => k8sOptionsOf({ config }), { code: 'ERR_CONFIG_INVALID', message: 'lanner.k8s.rules_configmaps[0]: expected {namespace, name}', location: { itemName: 'lanner.k8s.rules_configmaps[0]' } })
})
