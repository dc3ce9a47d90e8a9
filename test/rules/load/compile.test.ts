// Compile-stage behaviour: unknown sources and fields, error positions re-based onto the YAML
// text (plain, quoted, folded and appended conditions; outputs), and compile warnings.
import t from 'tap'
import { fired, load, rule } from '../../fixtures/rules/test-source.ts'

const first = (res: { errors: Array<{ code: string, detailCode?: string, location?: { file?: string, pos?: { line: number, col: number } } }> }): unknown => {
  const e = res.errors[0]
  return { code: e?.code, detailCode: e?.detailCode, file: e?.location?.file, line: e?.location?.pos?.line, col: e?.location?.pos?.col }
}

t.test('61: rules of an unknown source are skipped with a warning', async (t) => {
  const res = load(rule('R', 'whatever.field = 1').replace('source: test', 'source: foo'))
  t.equal(res.ok, true)
  t.match(res.warnings[0], { code: 'LOAD_UNKNOWN_SOURCE', message: 'Unknown source foo, skipping', location: { itemName: 'R' } })
  t.equal(res.ruleset?.rules[0]?.enabled, false)
  t.equal(res.ruleset?.activeCount('test'), 0)
})

t.test('62: skip-if-unknown-filter turns an unknown field into a warning', async (t) => {
  const skipped = load(rule('R', 't.nope = 1', '  skip-if-unknown-filter: true\n') + rule('S', 't.name = a'))
  t.equal(skipped.ok, true)
  t.match(skipped.warnings[0], { code: 'LOAD_UNKNOWN_FILTER', location: { itemName: 'R' } })
  t.same(fired(skipped, { name: 'a' }), ['S'])
  const failing = load(rule('R', 't.nope = 1'))
  t.match(first(failing), { code: 'LOAD_ERR_COMPILE_CONDITION', detailCode: 'RULE_COMPILE_UNKNOWN_FIELD', line: 3, col: 14 })
  const syntax = load(rule('R', 't.name = (', '  skip-if-unknown-filter: true\n'))
  t.equal(syntax.ok, false, 'syntax errors still fail')
  const out = load(rule('R', 't.name = a', '  skip-if-unknown-filter: true\n').replace('"R %t.name"', '"%t.nope"'))
  t.equal(out.ok, true, 'unknown output fields are skipped too')
  t.equal(out.warnings[0]?.code, 'LOAD_UNKNOWN_FILTER')
})

t.test('condition errors point into the YAML scalar, whatever its style', async (t) => {
  const folded = '- rule: R\n  desc: d\n  condition: >\n    t.name = a and\n      t.nope = 1\n  output: x\n  priority: INFO\n  source: test\n'
  t.match(first(load(folded)), { detailCode: 'RULE_COMPILE_UNKNOWN_FIELD', line: 5, col: 7 })
  const quoted = '- rule: R\n  desc: d\n  condition: "t.name = \\"a\\" and t.nope = 1"\n  output: x\n  priority: INFO\n  source: test\n'
  t.match(first(load(quoted)), { line: 3, col: 34 })
  const literal = '- rule: R\n  desc: d\n  condition: |\n    t.name = a\n    and t.name = "x\n  output: x\n  priority: INFO\n  source: test\n'
  t.match(first(load(literal)), { detailCode: 'RULE_LEX_UNTERMINATED_STRING', line: 5, col: 18 })
})

t.test('errors in appended conditions and in macros point at their own file', async (t) => {
  const res = load([
    { name: 'a.yaml', content: `- macro: m\n  condition: t.name = a\n${rule('R', 'm')}` },
    { name: 'b.yaml', content: '- rule: R\n  condition: and t.bad = 2\n  override:\n    condition: append\n' }
  ])
  t.match(first(res), { detailCode: 'RULE_COMPILE_UNKNOWN_FIELD', file: 'b.yaml', line: 2, col: 18 })
  const inMacro = load(`- macro: m\n  condition: t.num = abc\n${rule('R', 't.name = a and m')}`)
  t.match(first(inMacro), { detailCode: 'RULE_COMPILE_BAD_VALUE', line: 2, col: 22 })
  t.match(inMacro.errors[0], { location: { itemName: 'R' } })
})

t.test('exception errors at compile time point at the exception', async (t) => {
  const res = load(rule('R', 't.num > 0', '  exceptions:\n    - name: e\n      fields: [t.num]\n      values: [[abc]]\n'))
  t.match(first(res), { detailCode: 'RULE_COMPILE_BAD_VALUE', line: 10, col: 17 })
})

t.test('every file reports its first compile error', async (t) => {
  const res = load([
    { name: 'a.yaml', content: rule('A', 't.x = 1') + rule('B', 't.y = 1') },
    { name: 'b.yaml', content: rule('C', 't.z = 1') }
  ])
  t.same(res.errors.map((e) => [e.location?.file, e.location?.itemName]), [['a.yaml', 'A'], ['b.yaml', 'C']])
})

t.test('67: outputs with a stray % fail to load, at the %', async (t) => {
  const out = (o: string): ReturnType<typeof load> => load(rule('R', 't.name = a').replace('"R %t.name"', JSON.stringify(o)))
  t.match(first(out('100% sure %t.name')), { code: 'LOAD_ERR_COMPILE_OUTPUT', detailCode: 'RULE_FORMAT_BAD_TOKEN', line: 4, col: 15 })
  t.match(first(out('done 100%')), { code: 'LOAD_ERR_COMPILE_OUTPUT', line: 4, col: 20 })
  t.match(first(out('a %% b')), { code: 'LOAD_ERR_COMPILE_OUTPUT' })
  t.match(first(out('user=%t.nope')), { code: 'LOAD_ERR_COMPILE_OUTPUT', detailCode: 'RULE_COMPILE_UNKNOWN_FIELD', line: 4, col: 18 })
  t.match(first(out('x %t.arg')), { code: 'LOAD_ERR_COMPILE_OUTPUT', detailCode: 'RULE_COMPILE_BAD_FIELD_ARG' })
})

t.test('72: %container.info is removed with a deprecation warning', async (t) => {
  const res = load(rule('R', 't.name = a').replace('"R %t.name"', '"x %container.info y"'))
  t.equal(res.ok, true)
  t.match(res.warnings[0], { code: 'LOAD_DEPRECATED_FIELD', location: { pos: { line: 4, col: 14 } } })
  const msgs: string[] = []
  res.ruleset?.evaluate('test', { name: 'a' }, (a) => msgs.push(a.message))
  t.same(msgs, ['x  y'])
})

t.test('compile warnings: regex without metacharacters, <NA> comparisons on ka.* fields', async (t) => {
  const re = load(rule('R', 't.name regex abc'))
  t.match(re.warnings[0], { code: 'LOAD_COMPILE_CONDITION', location: { pos: { line: 3, col: 27 } } })
  const na = load(rule('R', 'ka.user.name = "<NA>"').replace('source: test', 'source: plain').replace('%t.name', '%ka.user.name'))
  t.equal(na.warnings[0]?.code, 'LOAD_UNSAFE_NA_CHECK')
})

t.test('LOAD_NO_EVTTYPE for rules matching every event type of a source with many types', async (t) => {
  const { loadRules } = await import('../../../src/rules/index.ts')
  const { testSource } = await import('../../fixtures/rules/test-source.ts')
  const many = new Set(Array.from({ length: 150 }, (_, i) => `t${i}`))
  const src = { ...testSource, fields: { ...testSource.fields, eventTypes: many } }
  const text = rule('R', 't.name = a') + rule('S', 'evt.type = t1 and t.name = a') + rule('Q', 't.name = b', '  warn_evttypes: false\n')
  const res = loadRules([{ name: 'r.yaml', content: text }], { sources: [src] })
  t.same(res.warnings.map((w) => [w.code, w.location?.itemName]), [['LOAD_NO_EVTTYPE', 'R']])
})
