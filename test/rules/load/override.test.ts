// Append, override and redefinition across items and files (Falco's collector semantics).
import t from 'tap'
import { fired, load, rule } from '../../fixtures/rules/test-source.ts'
import type { LoadResult } from '../../../src/rules/index.ts'

const err = (res: LoadResult): { code?: string, message?: string, line?: number, col?: number } => {
  const e = res.errors[0]
  return { code: e?.code, message: e?.message, line: e?.location?.pos?.line, col: e?.location?.pos?.col }
}

t.test('25: condition append is text concatenation (so precedence follows the joined text)', async (t) => {
  const res = load(`${rule('R', 'evt.type=open or evt.type=openat')}- rule: R\n  condition: and t.name=cat\n  override:\n    condition: append\n`)
  t.equal(res.ok, true)
  t.same(fired(res, { type: 'open', name: 'ls' }), ['R'], 'open by any process still matches')
  t.same(fired(res, { type: 'openat', name: 'ls' }), [])
  t.same(fired(res, { type: 'openat', name: 'cat' }), ['R'])
})

t.test('legacy append: true on rules and macros, with a deprecation warning', async (t) => {
  const res = load(`- macro: m\n  condition: t.name=a\n- macro: m\n  condition: or t.name=b\n  append: true\n${rule('R', 'm')}- rule: R\n  condition: and t.num=1\n  append: true\n`)
  t.equal(res.ok, true)
  t.same(res.warnings.map((w) => w.code), ['LOAD_DEPRECATED_ITEM', 'LOAD_DEPRECATED_ITEM'])
  t.same(fired(res, { name: 'b', num: 1 }), ['R'])
  t.same(fired(res, { name: 'b', num: 2 }), [])
  t.match(err(load(`${rule('R', 't.name=a')}- rule: R\n  append: true\n  desc: x\n`)), { message: 'Appended rule must have exceptions or condition property' })
})

t.test('26: list append, legacy and override forms', async (t) => {
  const base = '- list: L\n  items: [a, b]\n'
  const legacy = load(`${base}- list: L\n  items: [c]\n  append: true\n${rule('R', 't.name in (L)')}`)
  t.same(legacy.warnings.map((w) => w.code), ['LOAD_DEPRECATED_ITEM'])
  t.same(fired(legacy, { name: 'c' }), ['R'])
  const ov = load(`${base}- list: L\n  items: [c]\n  override:\n    items: append\n${rule('R', 't.name in (L)')}`)
  t.same(ov.warnings, [])
  t.same(fired(ov, { name: 'a' }), ['R'])
  t.same(fired(ov, { name: 'c' }), ['R'])
  const rep = load(`${base}- list: L\n  items: [c]\n  override:\n    items: replace\n${rule('R', 't.name in (L)')}`)
  t.same(fired(rep, { name: 'a' }), [])
  t.same(fired(rep, { name: 'c' }), ['R'])
})

t.test('27: append/override before the definition fails', async (t) => {
  t.match(err(load('- list: L\n  items: [c]\n  override:\n    items: append\n- list: L\n  items: [a]\n')),
    { code: 'LOAD_ERR_VALIDATE', message: "List uses 'append' or 'override.items: append' but no list by that name already exists", line: 1, col: 3 })
  t.match(err(load('- macro: m\n  condition: or x\n  append: true\n')), { code: 'LOAD_ERR_VALIDATE' })
  t.match(err(load('- rule: R\n  condition: and x\n  override:\n    condition: append\n')), { code: 'LOAD_ERR_VALIDATE' })
})

t.test('28: append: true together with override fails', async (t) => {
  t.match(err(load(`${rule('R', 't.name=a')}- rule: R\n  condition: and t.num=1\n  append: true\n  override:\n    condition: append\n`)),
    { code: 'LOAD_ERR_YAML_VALIDATE', line: 10, col: 3 })
})

t.test('29: override map consistency', async (t) => {
  const base = rule('R', 't.name=a')
  t.match(err(load(`${base}- rule: R\n  priority: INFO\n  override:\n    priority: append\n`)),
    { message: "Key 'priority' cannot be appended to, use 'replace' instead", line: 10, col: 15 })
  t.match(err(load(`${base}- rule: R\n  override:\n    output: replace\n`)),
    { message: "An replace override for 'output' was specified but 'output' is not defined", line: 9, col: 5 })
  t.match(err(load(`${base}- rule: R\n  output: x\n  desc: y\n  override:\n    output: replace\n`)),
    { message: "Unexpected key 'desc': no corresponding entry under 'override' is defined.", line: 9, col: 3 })
  t.match(err(load(`${base}- rule: R\n  source: x\n  override:\n    source: replace\n`)), { message: "Key 'source' cannot be replaced" })
  t.match(err(load(`${base}- rule: R\n  output: x\n  override:\n    output: merge\n`)), { message: /^Invalid override operation for key 'output': 'merge'/ })
})

t.test('30: tags append is a set union; replace replaces', async (t) => {
  const base = rule('R', 't.name=a', '  tags: [c, a]\n')
  const app = load(`${base}- rule: R\n  tags: [b, a]\n  override:\n    tags: append\n`)
  t.same(app.ruleset?.rules[0]?.tags, ['a', 'b', 'c'])
  const rep = load(`${base}- rule: R\n  tags: [b, a]\n  override:\n    tags: replace\n`)
  t.same(rep.ruleset?.rules[0]?.tags, ['a', 'b'])
})

t.test('append and replace for different keys in one override; output/desc append', async (t) => {
  const res = load(`${rule('R', 't.name=a')}- rule: R\n  condition: or t.name=b\n  output: more\n  priority: ERROR\n  override:\n    condition: append\n    output: append\n    priority: replace\n`)
  t.equal(res.ok, true)
  const alerts: string[] = []
  res.ruleset?.evaluate('test', { name: 'b' }, (a) => alerts.push(`${a.priority} ${a.message}`))
  t.same(alerts, ['3 R b more'])
})

t.test('31: a redefinition replaces the rule but keeps its position', async (t) => {
  const res = load(`${rule('A', 't.name=x', '  tags: [old]\n')}${rule('B', 't.name=x')}${rule('A', 't.num=1')}`)
  t.same(res.ruleset?.rules.map((r) => [r.name, r.tags]), [['A', []], ['B', []]])
  t.same(fired(res, { name: 'x', num: 1 }), ['A'], 'A still comes first with rule_matching first')
  t.same(fired(res, { name: 'x', num: 2 }), ['B'], 'the old condition is gone')
})

t.test('32: redefinition with a different source fails', async (t) => {
  const k = rule('R', 't.name=a').replace('source: test', 'source: plain')
  const again = '- rule: R\n  desc: d\n  condition: t.name=a\n  output: x\n  priority: INFO\n'
  t.match(err(load(`${k}${again}`)), { code: 'LOAD_ERR_VALIDATE', message: 'Rule has been re-defined with a different source', line: 7, col: 3 })
})

t.test('33/34: enabled-only items and enabled: replace', async (t) => {
  const off = load(`${rule('R', 't.name=a')}- rule: R\n  enabled: false\n`)
  t.same(off.warnings.map((w) => w.code), ['LOAD_DEPRECATED_ITEM'])
  t.equal(off.ruleset?.rules[0]?.enabled, false)
  t.same(fired(off, { name: 'a' }), [])
  t.match(err(load('- rule: R\n  enabled: false\n')), { message: "Rule has 'enabled' key but no rule by that name already exists" })
  const on = load(`${rule('R', 't.name=a', '  enabled: false\n')}- rule: R\n  enabled: true\n  override:\n    enabled: replace\n`)
  t.same(on.warnings, [])
  t.same(fired(on, { name: 'a' }), ['R'])
})

t.test('later files override earlier ones', async (t) => {
  const res = load([
    { name: 'a.yaml', content: `- list: L\n  items: [a]\n${rule('R', 't.name in (L)')}` },
    { name: 'b.yaml', content: '- list: L\n  items: [b]\n  override:\n    items: append\n' }
  ])
  t.same(fired(res, { name: 'b' }), ['R'])
})
