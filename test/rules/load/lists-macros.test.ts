// List expansion and macro resolution with Falco's visibility rules, and unused warnings.
import t from 'tap'
import { fired, load, rule } from '../../fixtures/rules/test-source.ts'

const warnCodes = (res: { warnings: Array<{ code: string }> }): string[] => res.warnings.map((w) => w.code)

t.test('13: a list name inside a list literal expands in place', async (t) => {
  const res = load(`- list: shell_binaries\n  items: [bash, sh]\n${rule('R', 't.name in (shell_binaries, zsh)')}`)
  for (const n of ['bash', 'sh', 'zsh']) t.same(fired(res, { name: n }), ['R'], n)
  t.same(fired(res, { name: 'shell_binaries' }), [], 'the name itself is not a value')
})

t.test('14: empty lists compile and contribute nothing', async (t) => {
  const res = load(`- list: l\n  items: []\n${rule('A', 't.name in (l)')}${rule('B', 't.name in (a, l)')}`, { ruleMatching: 'all' })
  t.equal(res.ok, true)
  t.same(fired(res, { name: 'a' }), ['B'])
  t.same(fired(res, { name: 'l' }), [])
})

t.test('15: items with spaces stay one item; one level of quotes is stripped', async (t) => {
  const res = load(`- list: apps\n  items: ["my app", '"green"']\n${rule('R', 't.name in (apps)')}`)
  t.same(fired(res, { name: 'my app' }), ['R'])
  t.same(fired(res, { name: 'green' }), ['R'])
  t.same(fired(res, { name: '"green"' }), [])
})

t.test('16: lists defined later (even in a later file) still expand in conditions', async (t) => {
  const res = load([
    { name: 'a.yaml', content: `- macro: m\n  condition: t.name in (late)\n${rule('R', 'm or t.num in (nums)')}` },
    { name: 'b.yaml', content: '- list: late\n  items: [x]\n- list: nums\n  items: [7]\n' }
  ])
  t.same(fired(res, { name: 'x' }), ['R'])
  t.same(fired(res, { num: 7 }), ['R'])
})

t.test('17: list definitions expand only earlier lists', async (t) => {
  const before = load(`- list: A\n  items: [a1]\n- list: B\n  items: [A, x]\n${rule('R', 't.name in (B)')}`)
  t.same(fired(before, { name: 'a1' }), ['R'])
  t.same(fired(before, { name: 'x' }), ['R'])
  const after = load(`- list: B\n  items: [A, x]\n- list: A\n  items: [a1]\n${rule('R', 't.name in (B)')}`)
  t.same(fired(after, { name: 'x' }), ['R'])
  const definitionOnly = load(`- list: B\n  items: [A, x]\n- list: A\n  items: [a1]\n- list: C\n  items: [B]\n${rule('R', 't.name in (C)')}`)
  t.same(fired(definitionOnly, { name: 'A' }), ['R'], 'C copies B as defined: A was not defined yet when B was')
  t.same(fired(definitionOnly, { name: 'a1' }), [])
})

t.test('in conditions, a list item naming a later list expands as upstream textual expansion does', async (t) => {
  const res = load(`- list: B\n  items: [A, x]\n- list: A\n  items: [a1]\n${rule('R', 't.name in (B)')}`)
  t.same(fired(res, { name: 'a1' }), ['R'])
  t.same(fired(res, { name: 'A' }), [])
})

t.test('18: `in listname` without parentheses is accepted as a list reference (deliberate deviation)', async (t) => {
  const res = load(`- list: L\n  items: [a, b]\n${rule('R', 't.name in L')}`)
  t.same(fired(res, { name: 'b' }), ['R'])
  const undef = load(rule('R', 't.name in nolist'))
  t.same(fired(undef, { name: 'nolist' }), ['R'], 'an undefined name is one literal value')
})

t.test('19: rules see macros defined later; macros only see earlier macros', async (t) => {
  const ok = load(`${rule('R', 'm')}- macro: m\n  condition: t.name=a\n`)
  t.same(fired(ok, { name: 'a' }), ['R'])
  const bad = load(`- macro: m1\n  condition: m2\n- macro: m2\n  condition: t.name=a\n${rule('R', 'm1')}`)
  t.equal(bad.ok, false)
  t.match(bad.errors[0], { code: 'LOAD_ERR_COMPILE_CONDITION', detailCode: 'RULE_COMPILE_UNDEFINED_MACRO', message: "Undefined macro 'm2' used in filter.", location: { itemName: 'm1', pos: { line: 2, col: 14 } } })
  const chain = load(`- macro: m2\n  condition: t.name=a\n- macro: m1\n  condition: m2 and t.num=1\n${rule('R', 'm1')}`)
  t.same(fired(chain, { name: 'a', num: 1 }), ['R'])
})

t.test('a macro referring to itself is undefined', async (t) => {
  const res = load(`- macro: m\n  condition: t.name=a or m\n${rule('R', 'm')}`)
  t.match(res.errors[0], { detailCode: 'RULE_COMPILE_UNDEFINED_MACRO' })
})

t.test('20: an undefined identifier fails with its position', async (t) => {
  const res = load(rule('R', 't.name=a and foo'))
  t.match(res.errors[0], { code: 'LOAD_ERR_COMPILE_CONDITION', detailCode: 'RULE_COMPILE_UNDEFINED_MACRO', message: "Undefined macro 'foo' used in filter.", location: { file: 'rules.yaml', itemType: 'rule', itemName: 'R', pos: { line: 3, col: 27 } } })
})

t.test('21: a macro is substituted as a parenthesised unit', async (t) => {
  const res = load(`- macro: m\n  condition: evt.type=open or evt.type=openat\n${rule('R', 'm and t.name=cat')}`)
  t.same(fired(res, { type: 'open', name: 'ls' }), [])
  t.same(fired(res, { type: 'open', name: 'cat' }), ['R'])
  t.same(fired(res, { type: 'openat', name: 'cat' }), ['R'])
})

t.test('22: unused lists and macros are warnings', async (t) => {
  const res = load(`- list: L\n  items: [a]\n- macro: m\n  condition: t.name=a\n${rule('R', 't.name=b')}`)
  t.equal(res.ok, true)
  t.same(warnCodes(res), ['LOAD_UNUSED_LIST', 'LOAD_UNUSED_MACRO'])
  t.match(res.warnings[0], { message: 'List not referred to by any other rule/macro', location: { itemName: 'L', pos: { line: 1, col: 3 } } })
  t.match(res.warnings[1], { message: 'Macro not referred to by any other rule/macro', location: { itemName: 'm', pos: { line: 3, col: 3 } } })
})

t.test('23: a macro used only by a disabled rule is used', async (t) => {
  const res = load(`- macro: m\n  condition: t.name=a\n${rule('R', 'm', '  enabled: false\n')}`)
  t.same(warnCodes(res), [])
})

t.test('macros used only by rules of an unknown source are unused', async (t) => {
  const res = load(`- macro: m\n  condition: t.name=a\n${rule('R', 'm').replace('source: test', 'source: nosuch')}`)
  t.same(warnCodes(res), ['LOAD_UNKNOWN_SOURCE', 'LOAD_UNUSED_MACRO'])
})

t.test('a list used by another list is used', async (t) => {
  const res = load(`- list: A\n  items: [a]\n- list: B\n  items: [A]\n${rule('R', 't.name in (B)')}`)
  t.same(warnCodes(res), [])
})

t.test('parse errors in unused macros are still errors, with file positions', async (t) => {
  const res = load('- macro: m\n  condition: >\n    t.name = a and\n    t.name = "open\n')
  t.match(res.errors[0], { code: 'LOAD_ERR_COMPILE_CONDITION', detailCode: 'RULE_LEX_UNTERMINATED_STRING', location: { pos: { line: 4, col: 14 } } })
})

t.test('lists that double at each step are refused at the list that gets too long, without crashing', async (t) => {
  // l1 = [l0, l0], l2 = [l1, l1], …: l20 would hold 2^20 items; before the cap, spreading a
  // long list into another overflowed the call stack and loadRules threw
  const chain = (names: (i: number) => [string, string]): string => Array.from({ length: 21 }, (_, i) => {
    const [self, ref] = names(i)
    return `- list: ${self}\n  items: [${i === 0 ? 'x' : `${ref}, ${ref}`}]\n`
  }).join('')
  const earlier = chain((i) => [`l${i}`, `l${i - 1}`])
  const res = load(earlier + rule('R', 't.name in (l20)'))
  t.equal(res.ok, false)
  t.match(res.errors[0], { code: 'LOAD_ERR_VALIDATE', message: 'List expands to more than 1000000 items', location: { itemType: 'list', itemName: 'l20', pos: { line: 41, col: 3 } } })
  // the same chain written backwards only expands inside conditions (later lists): same limit
  const later = chain((i) => [`k${20 - i}`, `k${21 - i}`])
  const res2 = load(later + rule('R', 't.name in (k0)'))
  t.equal(res2.ok, false)
  t.match(res2.errors[0], { code: 'LOAD_ERR_VALIDATE', location: { itemType: 'list', itemName: 'k0' } })
})

t.test('conditions too deep or too large once macros are substituted are refused at the rule', async (t) => {
  // each macro nests the previous one a level deeper: the compiler overflowed the stack near
  // 1500 levels and reported it as an unexpected token
  const nesting = (n: number): string => Array.from({ length: n }, (_, i) => `- macro: n${i}\n  condition: ${i === 0 ? 't.name = x' : `t.name = a or (n${i - 1} and t.num = 1)`}\n`).join('')
  const deep = load(nesting(600) + rule('R', 'n599'))
  t.equal(deep.ok, false)
  t.match(deep.errors[0], { code: 'LOAD_ERR_COMPILE_CONDITION', detailCode: 'RULE_LIMIT_MAX_DEPTH', location: { itemType: 'rule', itemName: 'R', pos: { line: 1203, col: 14 } } })
  t.equal(load(nesting(400) + rule('R', 'n399')).ok, true, '400 nested macros are fine')
  // each macro uses the previous one twice: the compiled tree doubles at each step
  const doubling = Array.from({ length: 20 }, (_, i) => `- macro: d${i}\n  condition: ${i === 0 ? 't.name = x' : `(d${i - 1} and t.num = 1) or d${i - 1}`}\n`).join('')
  const big = load(doubling + rule('R', 'd19'))
  t.equal(big.ok, false)
  t.match(big.errors[0], { code: 'LOAD_ERR_COMPILE_CONDITION', detailCode: 'RULE_LIMIT_MAX_SIZE', location: { itemType: 'rule', itemName: 'R' } })
  t.equal(load(doubling + rule('R', 'd10')).ok, true, 'ten doublings are fine')
})
