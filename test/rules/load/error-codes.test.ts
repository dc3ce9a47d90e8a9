// Every expression error code the loader can report, through loadRules: the LOAD_ERR_COMPILE_*
// code, the expression's own code as detailCode, and the line/column of the offending text in
// the rules file (the condition starts at line 3, column 14 of the rule).
import t from 'tap'
import { load, rule, testSource } from '../../fixtures/rules/test-source.ts'
import { loadRules } from '../../../src/rules/index.ts'

const COND_COL = 14
const conditionCases: Array<[detailCode: string, condition: string, offset: number]> = [
  ['RULE_LEX_UNTERMINATED_STRING', 't.name = "abc', 9],
  ['RULE_LEX_BAD_ESCAPE', 't.name = "a\\qb"', 11],
  ['RULE_PARSE_UNEXPECTED_TOKEN', 't.name = a )', 11],
  ['RULE_PARSE_EXPECTED_BLANK', 't.name = a andt.num = 1', 14],
  ['RULE_LIMIT_MAX_DEPTH', '('.repeat(101) + 't.name = a' + ')'.repeat(101), 101],
  ['RULE_COMPILE_UNKNOWN_FIELD', 't.name = a and t.nope = 1', 15],
  ['RULE_COMPILE_BAD_FIELD_ARG', 't.name = a and t.arg = x', 15],
  ['RULE_COMPILE_BAD_OPERATOR_TYPE', 't.name = a and t.num contains 1', 15],
  ['RULE_COMPILE_BAD_VALUE', 't.name = a and t.num = abc', 23],
  ['RULE_COMPILE_BAD_REGEX', 't.name regex "("', 13],
  ['RULE_COMPILE_UNDEFINED_MACRO', 't.name = a and foo', 15],
  ['RULE_COMPILE_UNKNOWN_EVTTYPE', 't.name = a and evt.type = nope', 26],
  ['RULE_COMPILE_BAD_TRANSFORMER', 't.name = a and tolower(t.num) = 1', 15]
]

for (const [detailCode, condition, offset] of conditionCases) {
  t.test(`${detailCode} is LOAD_ERR_COMPILE_CONDITION at its position`, async (t) => {
    const res = load(rule('R', condition))
    t.equal(res.ok, false)
    t.match(res.errors[0], { code: 'LOAD_ERR_COMPILE_CONDITION', detailCode, location: { file: 'rules.yaml', itemType: 'rule', itemName: 'R', pos: { line: 3, col: COND_COL + offset } } })
  })
}

t.test('RULE_FORMAT_BAD_TOKEN is LOAD_ERR_COMPILE_OUTPUT at the %', async (t) => {
  const res = load('- rule: R\n  desc: d\n  condition: t.name = a\n  output: "100% sure"\n  priority: INFO\n  source: test\n')
  t.match(res.errors[0], { code: 'LOAD_ERR_COMPILE_OUTPUT', detailCode: 'RULE_FORMAT_BAD_TOKEN', location: { itemName: 'R', pos: { line: 4, col: 15 } } })
})

t.test('an unknown field in an output is LOAD_ERR_COMPILE_OUTPUT at the field name', async (t) => {
  const res = load('- rule: R\n  desc: d\n  condition: t.name = a\n  output: "x %t.nope"\n  priority: INFO\n  source: test\n')
  t.match(res.errors[0], { code: 'LOAD_ERR_COMPILE_OUTPUT', detailCode: 'RULE_COMPILE_UNKNOWN_FIELD', location: { itemName: 'R', pos: { line: 4, col: 15 } } })
})

t.test('LOAD_ERR_FILE_READ names the file that could not be read', async (t) => {
  const res = loadRules([{ name: '/nope.yaml', content: '', readError: 'Could not read rules file /nope.yaml: ENOENT' }], { sources: [testSource] })
  t.match(res.errors, [{ code: 'LOAD_ERR_FILE_READ', location: { file: '/nope.yaml' } }])
})
