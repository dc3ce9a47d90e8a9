// Ruleset evaluation: source routing, evt.type indexing with definition order, rule_matching,
// priority/tag/selection filters, alerts' contents, and extractor failures.
import t from 'tap'
import type { Alert } from '../../src/events/index.ts'
import { fired, load, rule } from '../fixtures/rules/test-source.ts'
import { createFieldTable } from '../../src/fields/index.ts'
import { loadRules } from '../../src/rules/index.ts'

t.test('65: rule_matching first reports only the first matching rule; all reports each in order', async (t) => {
  const text = rule('A', 't.name = x') + rule('B', 't.name = x')
  t.same(fired(load(text), { name: 'x' }), ['A'])
  t.same(fired(load(text, { ruleMatching: 'all' }), { name: 'x' }), ['A', 'B'])
})

t.test('evt.type-indexed rules keep definition order with any-type rules', async (t) => {
  const text = rule('Any1', 't.name = x') + rule('Open', 'evt.type = open and t.name = x') +
    rule('Any2', 'not evt.type = connect and t.name = x') + rule('Exec', 'evt.type in (execve, open) and t.name = x')
  const res = load(text, { ruleMatching: 'all' })
  t.same(fired(res, { type: 'open', name: 'x' }), ['Any1', 'Open', 'Any2', 'Exec'])
  t.same(fired(res, { type: 'execve', name: 'x' }), ['Any1', 'Any2', 'Exec'])
  t.same(fired(res, { type: 'connect', name: 'x' }), ['Any1'])
  t.same(fired(res, { type: 'unknown', name: 'x' }), ['Any1', 'Any2'])
})

t.test('rules only see events of their source', async (t) => {
  const res = load(rule('T', 't.name = x') + rule('P', 't.name = x').replace('source: test', 'source: plain'), { ruleMatching: 'all' })
  t.same(fired(res, { name: 'x' }, 'test'), ['T'])
  t.same(fired(res, { name: 'x' }, 'plain'), ['P'])
  t.equal(res.ruleset?.evaluate('nosuch', { name: 'x' }, () => {}), 0)
  t.equal(res.ruleset?.activeCount('plain'), 1)
})

t.test('64: minimum priority keeps severe rules active, loads the rest inactive', async (t) => {
  const prios = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG']
  const text = prios.map((p) => rule(p, 't.name = x').replace('priority: WARNING', `priority: ${p}`)).join('')
  const res = load(text, { minPriority: 4, ruleMatching: 'all' })
  t.same(fired(res, { name: 'x' }), ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING'])
  t.same(res.ruleset?.rules.filter((r) => !r.enabled).map((r) => r.name), ['NOTICE', 'INFO', 'DEBUG'])
})

t.test('tag filters (-t keeps, -T drops) and config selection by name glob or tag', async (t) => {
  const text = rule('Shell A', 't.name = x', '  tags: [shell]\n') + rule('K8s B', 't.name = x', '  tags: [k8s]\n') + rule('Other', 't.name = x', '  enabled: false\n')
  const all = { ruleMatching: 'all' as const }
  t.same(fired(load(text, { ...all, tagsKeep: ['k8s'] }), { name: 'x' }), ['K8s B'])
  t.same(fired(load(text, { ...all, tagsDrop: ['shell'] }), { name: 'x' }), ['K8s B'])
  t.same(fired(load(text, { ...all, selection: [{ disable: { rule: 'Shell*' } }] }), { name: 'x' }), ['K8s B'])
  t.same(fired(load(text, { ...all, selection: [{ disable: { rule: '*' } }, { enable: { tag: 'shell' } }] }), { name: 'x' }), ['Shell A'])
  t.same(fired(load(text, { ...all, selection: [{ enable: { rule: 'Other' } }] }), { name: 'x' }), ['Shell A', 'K8s B', 'Other'])
})

t.test('alerts carry rule, priority, source, sorted tags, hostname, time and rendered output', async (t) => {
  const res = load(rule('R', 't.name = x', '  tags: [b, a, b]\n').replace('"R %t.name"', '"name=%t.name num=%t.num"'))
  const alerts: Alert[] = []
  res.ruleset?.evaluate('test', { name: 'x', num: 3, time: 5n }, (a) => alerts.push(a))
  t.same(alerts, [{ time: 5n, rule: 'R', priority: 4, source: 'test', tags: ['a', 'b'], hostname: 'host1', message: 'name=x num=3', outputFields: { 't.name': 'x', 't.num': 3 } }])
})

t.test('evaluate never throws: a failing extractor counts as no match and is counted', async (t) => {
  const res = load(rule('Boom', 't.boom = x') + rule('Next', 't.name = x'))
  const rs = res.ruleset
  if (rs === undefined) throw new Error('load failed')
  const names: string[] = []
  const n = rs.evaluate('test', { name: 'x', boom: true }, (a) => names.push(a.rule))
  t.same(names, ['Next'])
  t.equal(n, 1)
  t.equal(rs.evalErrors, 0, 'a failing condition extractor is absorbed by the compiled condition (its guarded twin), not counted')
  const throwingSink = rs.evaluate('test', { name: 'x' }, () => { throw new Error('sink') })
  t.equal(throwingSink, 1, 'a throwing sink does not escape')
  t.equal(rs.evalErrors, 1, 'and is counted')
  const before = rs.evalErrors
  const badEvent = rs.evaluate('test', null, () => {})
  t.equal(badEvent, 0, 'a malformed event does not escape')
  t.equal(rs.evalErrors, before + 1, 'and is counted once (was: evalErrors > 0, already true before this call)')
})

t.test('rule summaries list every rule in definition order', async (t) => {
  const res = load(rule('B', 't.name = x') + rule('A', 't.name = y', '  enabled: false\n'))
  t.same(res.ruleset?.rules.map((r) => [r.name, r.source, r.priority, r.enabled, r.desc]), [['B', 'test', 4, true, 'd'], ['A', 'test', 4, false, 'd']])
})

t.test('evaluate never throws: values outside the extractor contract render as absent', async (t) => {
  // null and objects can come from JSON-backed fields; before, the message renderer threw on
  // them and the exception escaped evaluate()
  const odd = createFieldTable<{ v?: unknown, l?: unknown }>('odd', [
    { name: 'o.v', type: 'string', desc: '', bind: () => (e) => e.v as never },
    { name: 'o.l', type: 'string', isList: true, desc: '', bind: () => (e) => e.l as never }
  ])
  const res = loadRules([{ name: 'odd.yaml', content: '- rule: R\n  desc: d\n  condition: o.v exists or o.l exists\n  output: "v=%o.v l=%o.l"\n  priority: INFO\n  source: odd\n' }],
    { sources: [{ name: 'odd', fields: odd, time: () => 1n }] })
  const rs = res.ruleset
  if (rs === undefined) throw new Error(JSON.stringify(res.errors))
  const alerts: Alert[] = []
  for (const ev of [{ v: null }, { v: { a: 1 } }, { l: ['a', null, { b: 2 }] }, { v: Symbol('s') }]) {
    t.doesNotThrow(() => rs.evaluate('odd', ev, (a) => alerts.push(a)))
  }
  t.same(alerts.map((a) => a.message), ['v=<NA> l=<NA>', 'v=<NA> l=<NA>', 'v=<NA> l=(a,<NA>,<NA>)', 'v=<NA> l=<NA>'])
  t.same(alerts.map((a) => a.outputFields), [
    { 'o.v': null, 'o.l': null }, { 'o.v': null, 'o.l': null }, { 'o.v': null, 'o.l': ['a', null, null] }, { 'o.v': null, 'o.l': null }
  ])
})
