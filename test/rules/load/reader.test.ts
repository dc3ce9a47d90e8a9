// Rules files as the reader sees them: document shapes, item kinds, keys, priorities and
// version requirements — each error with its code and the line/column of the offending node.
import t from 'tap'
import { load, rule } from '../../fixtures/rules/test-source.ts'
import type { LoadResult } from '../../../src/rules/index.ts'

function firstError (res: LoadResult): { code: string, line?: number, col?: number, message: string } {
  const e = res.errors[0]
  if (e === undefined) throw new Error('expected an error')
  return { code: e.code, line: e.location?.pos?.line, col: e.location?.pos?.col, message: e.message }
}
const codes = (res: LoadResult): string[] => res.warnings.map((w) => w.code)

t.test('56: a mapping at top level is not a rules file; empty documents are fine', async (t) => {
  const res = load('rule: x\ndesc: y\n')
  t.equal(res.ok, false)
  t.match(firstError(res), { code: 'LOAD_ERR_YAML_VALIDATE', line: 1, col: 1, message: 'Rules content is not yaml array of objects' })
  t.equal(load('').ok, true)
  t.equal(load('---\n').ok, true)
  t.equal(load('---\n---\n- list: a\n  items: []\n').ok, true, 'empty documents are skipped, later documents read')
  t.match(firstError(load('just a scalar\n')), { code: 'LOAD_ERR_YAML_VALIDATE', message: 'Rules content is not yaml' })
})

t.test('YAML syntax errors are LOAD_ERR_YAML_PARSE with their position', async (t) => {
  const res = load('- list: a\n  items: [a, b\n- macro: m\n')
  t.equal(firstError(res).code, 'LOAD_ERR_YAML_PARSE')
  t.ok((firstError(res).line ?? 0) >= 2)
})

t.test('a key given twice in one mapping is LOAD_ERR_YAML_PARSE at the second, naming the first', async (t) => {
  // a botched merge: Falco (yaml-cpp) keeps one condition and silently drops the other
  const doubled = '- rule: R\n  desc: d\n  condition: t.name = a\n  output: x\n  priority: INFO\n  condition: t.name = b\n'
  const res = load(doubled)
  t.equal(res.ok, false)
  t.equal(res.ruleset, undefined, 'no half-loaded ruleset')
  t.match(firstError(res), { code: 'LOAD_ERR_YAML_PARSE', line: 6, col: 3 })
  t.match(firstError(res).message, /'condition'.*line 3, column 3/)
  t.equal(res.errors[0]?.location?.file, 'rules.yaml')
  t.equal(res.errors[0]?.snippet, '  condition: t.name = b\n  ^')

  const flow = load('- list: l\n  items: [a]\n- macro: m\n  condition: t.name = a\n  override: {condition: append, condition: replace}\n')
  t.match(firstError(flow), { code: 'LOAD_ERR_YAML_PARSE', line: 5, col: 33 }, 'flow mappings too')

  const laterDoc = load('- list: ok\n  items: [a]\n---\n- list: l\n  items: [a]\n  items: [b]\n')
  t.match(firstError(laterDoc), { code: 'LOAD_ERR_YAML_PARSE', line: 6, col: 3 }, 'in any document of the file')

  t.equal(load('- rule: R\n  desc: d\n  condition: t.name = a\n  output: x\n  priority: INFO\n- rule: R\n  desc: d\n  condition: t.name = b\n  output: x\n  priority: INFO\n').errors.length, 0,
    'the same key in two different mappings is fine')
})

t.test('sequence entries must be mappings; null entries are skipped', async (t) => {
  t.match(firstError(load('- ~\n- just text\n')), { code: 'LOAD_ERR_YAML_VALIDATE', line: 2, col: 3 })
})

t.test('57: unknown top-level items and unknown keys are warnings', async (t) => {
  const res = load(`- foo: bar\n${rule('R', 't.name = a', '  foo: 1\n')}`)
  t.equal(res.ok, true)
  t.same(codes(res), ['LOAD_UNKNOWN_ITEM', 'LOAD_UNKNOWN_KEY'])
  t.match(res.warnings[0]?.location?.pos, { line: 1, col: 3 })
  t.match(res.warnings[1], { message: "Unknown key 'foo'. The key will be ignored.", location: { pos: { line: 8, col: 3 }, itemName: 'R' } })
})

t.test('58: priorities are case-insensitive, info is Informational, anything else fails', async (t) => {
  for (const p of ['info', 'INFO', 'Informational']) {
    const res = load(rule('R', 't.name = a').replace('WARNING', p))
    t.equal(res.ruleset?.rules[0]?.priority, 6, p)
  }
  const bad = load(rule('R', 't.name = a').replace('WARNING', 'warn'))
  t.match(firstError(bad), { code: 'LOAD_ERR_YAML_VALIDATE', message: 'Invalid priority', line: 5, col: 13 })
})

t.test('59: a full rule needs desc; empty and null values are reported on the key', async (t) => {
  const noDesc = load('- rule: R\n  condition: t.name = a\n  output: x\n  priority: INFO\n')
  t.match(firstError(noDesc), { code: 'LOAD_ERR_YAML_VALIDATE', message: "Item has no mapping for key 'desc'", line: 1, col: 3 })
  const empty = load('- rule: R\n  desc: ""\n  condition: t.name = a\n  output: x\n  priority: INFO\n')
  t.match(firstError(empty), { message: 'Value must be non-empty', line: 2, col: 9 })
  const nul = load('- macro: m\n  condition:\n')
  t.match(firstError(nul), { message: "Mapping for key 'condition' is empty", line: 2, col: 3 })
  const nonScalar = load('- macro: m\n  condition: [a]\n')
  t.match(firstError(nonScalar), { message: 'Value is not a scalar value', line: 2, col: 14 })
})

t.test('bool keys accept YAML and yaml-cpp spellings only', async (t) => {
  t.equal(load(rule('R', 't.name = a', '  enabled: no\n')).ruleset?.rules[0]?.enabled, false)
  t.match(firstError(load(rule('R', 't.name = a', '  enabled: maybe\n'))), { message: "Can't decode YAML scalar value", line: 7, col: 12 })
})

t.test('list items must be scalars; list and macro names are checked', async (t) => {
  t.match(firstError(load('- list: l\n  items: [a, [b]]\n')), { message: 'sequence value is not scalar', line: 2, col: 14 })
  const names = load('- list: my list\n  items: []\n- macro: my-macro\n  condition: t.name = a\n')
  t.equal(names.ok, true, '24: odd names load')
  t.same(codes(names).slice(0, 2), ['LOAD_INVALID_LIST_NAME', 'LOAD_INVALID_MACRO_NAME'])
})

t.test('60: required_engine_version', async (t) => {
  const v = (x: string): LoadResult => load(`- required_engine_version: ${x}\n`, { engineVersion: '0.63.0' })
  t.equal(v('10').ok, true, 'integer N means 0.N.0')
  t.equal(v('"0.63.0"').ok, true)
  t.match(firstError(v('"0.64.0"')), { code: 'LOAD_ERR_EXTENSION', message: 'Rules require engine version 0.64.0, but engine version is 0.63.0', line: 1, col: 28 })
  t.equal(firstError(v('"1.0.0"')).code, 'LOAD_ERR_EXTENSION', 'major mismatch')
  t.equal(firstError(v('abc')).code, 'LOAD_ERR_YAML_VALIDATE', 'not semver')
})

t.test('required_plugin_versions against the plugins the sources provide', async (t) => {
  const req = (name: string, version: string, alt = ''): string =>
    `- required_plugin_versions:\n  - name: ${name}\n    version: ${version}\n${alt}`
  const opts = { pluginVersions: { k8saudit: '0.18.0', json: '0.7.4' } }
  t.equal(load(req('k8saudit', '0.7.0'), opts).ok, true)
  t.equal(load(req('json', '0.7.4'), opts).ok, true)
  t.match(firstError(load(req('k8saudit', '0.19.0'), opts)), { code: 'LOAD_ERR_EXTENSION', line: 2, col: 5 })
  t.equal(firstError(load(req('k8saudit', '1.0.0'), opts)).code, 'LOAD_ERR_EXTENSION', 'major differs')
  t.equal(firstError(load(req('other', '0.1.0'), opts)).code, 'LOAD_ERR_EXTENSION', 'unknown plugin, no alternative')
  const alt = '    alternatives:\n      - name: k8saudit\n        version: 0.1.0\n'
  t.equal(load(req('k8saudit-eks', '0.1.0', alt), opts).ok, true, 'an alternative satisfies the entry')
  t.equal(firstError(load(req('k8saudit', 'x.y'), opts)).code, 'LOAD_ERR_YAML_VALIDATE')
  const dup = '    alternatives:\n      - name: k8saudit\n        version: 0.1.0\n'
  t.equal(firstError(load(req('k8saudit', '0.1.0', dup), opts)).code, 'LOAD_ERR_YAML_VALIDATE', 'same plugin twice')
})

t.test('the k8s_audit source provides k8saudit and json by default', async (t) => {
  const { loadRules } = await import('../../../src/rules/index.ts')
  const { testSource } = await import('../../fixtures/rules/test-source.ts')
  const text = '- required_plugin_versions:\n  - name: k8saudit\n    version: 0.18.0\n'
  const k8s = { ...testSource, name: 'k8s_audit' }
  t.equal(loadRules([{ name: 'a.yaml', content: text }], { sources: [k8s] }).ok, true)
  t.equal(loadRules([{ name: 'a.yaml', content: text }], { sources: [testSource] }).ok, false)
})

t.test('63: a file stops at its first error; other files are still read and reported', async (t) => {
  const a = `- list: a\n  items: [x]\n- rule: bad\n  priority: nope\n- list: never\n  items: [[1]]\n`
  const b = `- macro: m\n  condition: [x]\n`
  const res = load([{ name: 'a.yaml', content: a }, { name: 'b.yaml', content: b }])
  t.same(res.errors.map((e) => [e.location?.file, e.location?.pos?.line]), [['a.yaml', 3], ['b.yaml', 2]])
  t.equal(res.ruleset, undefined)
})

t.test('errors carry a caret snippet of the offending line', async (t) => {
  const res = load(rule('R', 't.name = a').replace('WARNING', 'warn'))
  t.equal(res.errors[0]?.snippet, '  priority: warn\n            ^')
})

t.test('requirements are recorded: the highest engine version and every plugin entry', async (t) => {
  const text = '- required_engine_version: 10\n- required_engine_version: "0.26.0"\n- required_engine_version: 3\n' +
    '- required_plugin_versions:\n  - name: k8saudit\n    version: 0.7.0\n    alternatives:\n      - name: k8saudit-eks\n        version: 0.2.0\n'
  const res = load(text, { pluginVersions: { k8saudit: '0.18.0' } })
  t.equal(res.ok, true)
  t.same(res.requirements, { engineVersion: '0.26.0', plugins: [{ name: 'k8saudit', version: '0.7.0', alternatives: [{ name: 'k8saudit-eks', version: '0.2.0' }] }] })
})

t.test('a byte order mark at the start of a file is skipped, and positions ignore it', async (t) => {
  const res = load('\ufeff' + rule('R', 't.name = a'))
  t.equal(res.ok, true, JSON.stringify(res.errors))
  t.same(res.ruleset?.rules.map((r) => r.name), ['R'])
  const bad = load('\ufeff- list: a\n  items: [b\n')
  t.match(firstError(bad), { code: 'LOAD_ERR_YAML_PARSE' })
  const shape = load('\ufeffrule: x\n')
  t.match(firstError(shape), { code: 'LOAD_ERR_YAML_VALIDATE', line: 1, col: 1 })
})

t.test('anchors and aliases read as the node they name, as yaml-cpp hands them to Falco', async (t) => {
  const yaml = [
    '- list: shells',
    '  items: &sh [bash, &z zsh]',
    '- list: more_shells',
    '  items: *sh',
    '- macro: spawned',
    '  condition: &c t.name in (more_shells)',
    '- rule: R',
    '  desc: d',
    '  condition: *c',
    '  output: "%t.name"',
    '  priority: WARNING',
    '  source: test',
    '  exceptions:',
    '    - name: e',
    '      fields: t.name',
    '      values: [*z]',
    '- macro: unused_but_aliased',
    '  condition: spawned',
    ''
  ].join('\n')
  const res = load(yaml)
  t.equal(res.ok, true, JSON.stringify(res.errors))
  let n = 0
  res.ruleset?.evaluate('test', { type: 'open', name: 'bash' }, () => n++)
  t.equal(n, 1, 'the aliased condition and list expand')
  res.ruleset?.evaluate('test', { type: 'open', name: 'zsh' }, () => n++)
  t.equal(n, 1, 'the aliased exception value applies')
  // a whole item given again through an alias is a redefinition; an unknown anchor is an error
  t.equal(load(`- &item\n  ${rule('R', 't.name = a').slice(2)}- *item\n`).ok, true)
  t.match(firstError(load('- list: a\n  items: [b, *nope]\n')), { code: 'LOAD_ERR_YAML_PARSE', line: 2, col: 14, message: "alias '*nope' names no anchor defined before it" })
})

t.test('alias bombs cost what the file says, not what it expands to', async (t) => {
  // each level names the previous one ten times: 10^8 nodes if walked through the aliases
  const levels = ['  a: &a [x, x, x, x, x, x, x, x, x, x]']
  for (let i = 1; i < 9; i++) levels.push(`  a${i}: &a${i} [${Array(10).fill(i === 1 ? '*a' : `*a${i - 1}`).join(', ')}]`)
  const res = load(`- list: l\n  items: []\n${levels.join('\n')}\n- list: m\n  items: *a8\n`)
  t.match(firstError(res), { code: 'LOAD_ERR_YAML_VALIDATE', message: 'sequence value is not scalar', line: 10 })
})
