// required_plugin_versions as Falco checks it (falco_engine.cpp check_plugin_requirements +
// libsinsp sinsp_version::compatible_with): the entry's plugin, then its alternatives, in order;
// the first one provided decides; compatible = same major and provided >= required.
import t from 'tap'
import { load } from '../../fixtures/rules/test-source.ts'
import { BUILTIN_PLUGINS, loadRules } from '../../../src/rules/index.ts'
import { syscallSource } from '../../../src/syscall/fields/index.ts'

const req = (name: string, version: string, alts: Array<[string, string]> = []): string =>
  `- required_plugin_versions:\n  - name: ${name}\n    version: ${version}\n` +
  (alts.length === 0 ? '' : '    alternatives:\n' + alts.map(([n, v]) => `      - name: ${n}\n        version: ${v}\n`).join(''))

const firstError = (text: string, plugins: Record<string, string>): { code?: string, message?: string } => {
  const e = load(text, { pluginVersions: plugins }).errors[0]
  return { code: e?.code, message: e?.message }
}

t.test('the syscall source provides the container plugin at 0.6.1 (the chart default); k8s_audit keeps k8saudit and json', async (t) => {
  t.same(BUILTIN_PLUGINS.syscall, { container: '0.6.1' })
  t.same(BUILTIN_PLUGINS.k8s_audit, { k8saudit: '0.18.0', json: '0.7.4' })
  const ok = (v: string): boolean => loadRules([{ name: 'a.yaml', content: req('container', v) }], { sources: [syscallSource] }).ok
  t.equal(ok('0.4.0'), true, 'what upstream rules ask')
  t.equal(ok('0.1.0'), true)
  t.equal(ok('0.6.1'), true, 'equal')
  t.equal(ok('0.6.2'), false, 'newer patch than provided')
  t.equal(ok('0.7.0'), false, 'newer minor than provided')
  t.equal(ok('1.0.0'), false, 'another major')
})

t.test('semver rule: same major, provided >= required (minor, then patch)', async (t) => {
  const p = { k8saudit: '0.18.2' }
  t.equal(load(req('k8saudit', '0.18.2'), { pluginVersions: p }).ok, true)
  t.equal(load(req('k8saudit', '0.18.1'), { pluginVersions: p }).ok, true)
  t.equal(load(req('k8saudit', '0.2.9'), { pluginVersions: p }).ok, true, '18 > 2 numerically, not as text')
  t.equal(load(req('k8saudit', '0.18.3'), { pluginVersions: p }).ok, false)
  t.equal(load(req('k8saudit', '0.19.0'), { pluginVersions: p }).ok, false)
  t.equal(load(req('k8saudit', '1.0.0'), { pluginVersions: { k8saudit: '2.0.0' } }).ok, false, 'a newer major is not compatible')
  t.same(firstError(req('k8saudit', '0.19.0'), p), {
    code: 'LOAD_ERR_EXTENSION',
    message: "Plugin 'k8saudit' version '0.18.2' is not compatible with required plugin version '0.19.0' (Lanner provides k8saudit 0.18.2)"
  })
})

t.test('alternatives: the first provided candidate decides, as Falco does', async (t) => {
  const p = { k8saudit: '0.18.0', json: '0.7.4' }
  t.equal(load(req('k8saudit-eks', '0.4.0', [['k8saudit', '0.7.0']]), { pluginVersions: p }).ok, true, 'an alternative satisfies the entry')
  t.equal(load(req('k8saudit', '0.7.0', [['k8saudit-gke', '0.1.0']]), { pluginVersions: p }).ok, true, 'the entry itself')
  // k8saudit is provided but too old for the entry; json (later) would pass, yet Falco stops at the first provided
  const r = firstError(req('k8saudit', '0.19.0', [['json', '0.1.0']]), p)
  t.equal(r.code, 'LOAD_ERR_EXTENSION')
  t.match(r.message, /^Plugin 'k8saudit' version '0\.18\.0' is not compatible/)
})

t.test('a plugin Lanner does not provide stays an error that says so', async (t) => {
  const r = firstError(req('k8smeta', '0.1.0', [['cloudtrail', '0.2.0']]), { container: '0.6.0' })
  t.equal(r.code, 'LOAD_ERR_EXTENSION')
  t.match(r.message, /^Plugin requirement not satisfied, must load one of: k8smeta \(>= 0\.1\.0\), cloudtrail \(>= 0\.2\.0\)\. /)
  t.match(r.message, /Lanner does not provide plugin 'k8smeta' or 'cloudtrail'/)
  t.match(r.message, /supplies the fields of container 0\.6\.0 itself/)
})

t.test('two entries: each must be satisfied', async (t) => {
  const two = '- required_plugin_versions:\n  - name: k8saudit\n    version: 0.7.0\n  - name: json\n    version: 0.7.0\n'
  t.equal(load(two, { pluginVersions: { k8saudit: '0.18.0', json: '0.7.4' } }).ok, true)
  const missing = load(two, { pluginVersions: { k8saudit: '0.18.0' } })
  t.equal(missing.errors[0]?.location?.pos?.line, 4, 'the json entry')
  t.match(missing.errors[0]?.message, /must load one of: json \(>= 0\.7\.0\)/)
})
