// A field the source never fills (FieldInfo.noData) makes the loader say so, per rule and field
// (LOAD_FIELD_NO_DATA), and whether the rule can still match: a rule that can never match is a
// loud fact, never a silent one.
import t from 'tap'
import { createFieldTable, type FieldDef, type SourceDefinition } from '../../../src/fields/index.ts'
import { loadRules, type LoadIssue } from '../../../src/rules/index.ts'

interface Ev { name?: string }
const f = (name: string, extra: Partial<FieldDef<Ev>> = {}): FieldDef<Ev> => ({ name, type: 'string', desc: name, bind: () => (e) => e.name, ...extra })
const source: SourceDefinition<Ev> = {
  name: 'test',
  fields: createFieldTable<Ev>('test', [
    f('t.name'),
    f('t.dead', { noData: 'the test source has no data for it', bind: () => () => undefined }),
    f('t.gone', { noData: 'nor for this one', bind: () => () => undefined, arg: 'optional', argKind: 'key' })
  ]),
  time: () => 1n
}

const rule = (name: string, condition: string, output = 'x %t.name'): string =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: "${output}"\n  priority: WARNING\n  source: test\n`
const noData = (yaml: string): LoadIssue[] => {
  const r = loadRules([{ name: 'rules.yaml', content: yaml }], { sources: [source] })
  if (!r.ok) throw new Error(JSON.stringify(r.errors))
  return r.warnings.filter((w) => w.code === 'LOAD_FIELD_NO_DATA')
}

t.test('a rule that can only match through a no-data field can never match, and says so', async (t) => {
  const w = noData(rule('Dead', 't.name = a and t.dead = x'))
  t.equal(w.length, 1)
  t.match(w[0], {
    code: 'LOAD_FIELD_NO_DATA',
    severity: 'warning',
    location: { file: 'rules.yaml', itemName: 'Dead', pos: { line: 3, col: 29 } }
  })
  t.equal(w[0]?.message, "Rule 'Dead' uses field 't.dead', which Lanner never fills (the test source has no data for it): every check on it is false, so this rule can never match")
})

t.test('every operator on an absent field is false, exists and != included', async (t) => {
  for (const cond of ['t.dead exists', 't.dead != x', 't.dead in (a, b)', 't.name = val(t.dead)', 'toupper(t.dead) = X', 't.gone[k] = v']) {
    t.match(noData(rule('R', cond))[0]?.message, /can never match$/, cond)
  }
})

t.test('a rule that can still match through other conditions is told so', async (t) => {
  for (const cond of ['t.name = a or t.dead = x', 'not t.dead = x', 't.name = a and not t.dead exists', 'not (t.dead = x and t.name = b)']) {
    const w = noData(rule('Alive', cond))
    t.equal(w.length, 1, cond)
    t.match(w[0]?.message, /\(the rule can still match through its other conditions\)$/, cond)
  }
  t.match(noData(rule('R', 'not (t.dead = x or t.name = b)'))[0]?.message, /\(the rule can still match/)
  t.match(noData(rule('R', 'not not t.dead = x'))[0]?.message, /can never match$/, 'double negation')
})

t.test('through a macro: the warning names the rule, the position is in the macro', async (t) => {
  const yaml = '- macro: api_server\n  condition: t.dead = kubernetes\n' + rule('Uses macro', 't.name = a and api_server') + rule('Also', 'api_server or t.name = b')
  const w = noData(yaml)
  t.same(w.map((x) => [x.location?.itemName, x.location?.pos?.line, x.location?.pos?.col]), [['Uses macro', 2, 14], ['Also', 2, 14]])
  t.match(w[0]?.message, /can never match$/)
  t.match(w[1]?.message, /can still match/)
})

t.test('each field once per rule; a clean rule gets nothing', async (t) => {
  t.equal(noData(rule('Twice', 't.dead = a or t.dead = b')).length, 1)
  t.same(noData(rule('Two', 't.dead = a and t.gone = b')).map((w) => /field '([^']+)'/.exec(w.message)?.[1]), ['t.dead', 't.gone'])
  t.same(noData(rule('Clean', 't.name = a')), [])
})

t.test('outputs: a no-data field prints <NA>, and the warning says that', async (t) => {
  const w = noData(rule('Prints', 't.name = a', 'name=%t.name dead=%t.dead'))
  t.equal(w.length, 1)
  t.equal(w[0]?.message, "Rule 'Prints' prints field 't.dead', which Lanner never fills (the test source has no data for it): the output shows <NA>")
  t.match(w[0]?.location, { itemName: 'Prints', pos: { line: 4 } })
  t.equal(noData(rule('Both', 't.dead = a', '%t.dead')).length, 1, 'a field already reported for the condition is not repeated')
})
