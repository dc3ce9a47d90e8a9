// Output templates: token boundaries, widths, <NA>, list and numeric rendering, transformer
// tokens, and the output_fields Falco's JSON carries.
import t from 'tap'
import { RuleError } from '../../../src/errors/index.ts'
import { compileOperand } from '../../../src/rules/compile/index.ts'
import { compileOutput } from '../../../src/rules/index.ts'
import { testFields, type TestEvent } from '../../fixtures/rules/test-source.ts'
import { createFieldTable } from '../../../src/fields/index.ts'

const opts = { compileOperand: (o: Parameters<typeof compileOperand>[0], tb: Parameters<typeof compileOperand>[1]) => compileOperand(o, tb).extract }
const render = (fmt: string, ev: TestEvent): ReturnType<ReturnType<typeof compileOutput>['render']> => compileOutput(fmt, testFields, opts).render(ev)
function errorOf (fmt: string): { code: string, offset: number | undefined } {
  try {
    compileOutput(fmt, testFields, opts)
  } catch (err) {
    if (err instanceof RuleError) return { code: err.code, offset: err.location?.pos?.offset }
    throw err
  }
  throw new Error('expected a compile error')
}

t.test('66: absent fields render <NA> and are null in output_fields', async (t) => {
  const r = render('user=%t.user cwd=%t.cwd', { user: 'root' })
  t.equal(r.message, 'user=root cwd=<NA>')
  t.same(r.outputFields, { 't.user': 'root', 't.cwd': null })
})

t.test('68: tokens end before characters that cannot continue a field', async (t) => {
  t.equal(render('(%t.name)', { name: 'bash' }).message, '(bash)')
  t.equal(render('%t.name, %t.name: %t.name. end', { name: 'a' }).message, 'a, a: a. end')
  t.equal(render('%t.name.more', { name: 'a' }).message, 'a.more', 'the longest known prefix wins')
  t.equal(render('%t.arg[x]!', { name: 'a' }).message, 'a!')
  t.same(render('%t.arg[x]', { name: 'a' }).outputFields, { 't.arg[x]': 'a' })
})

t.test('69: %N sets a fixed width (pad or truncate)', async (t) => {
  t.equal(render('%5t.name|', { name: 'bash' }).message, 'bash |')
  t.equal(render('%5t.name|', { name: 'systemd-journald' }).message, 'syste|')
})

t.test('67: a stray % is an error at its offset', async (t) => {
  t.same(errorOf('100% sure'), { code: 'RULE_FORMAT_BAD_TOKEN', offset: 3 })
  t.same(errorOf('ends with %'), { code: 'RULE_FORMAT_BAD_TOKEN', offset: 10 })
  t.same(errorOf('width only %12'), { code: 'RULE_FORMAT_BAD_TOKEN', offset: 11 })
  t.same(errorOf('a %% b'), { code: 'RULE_FORMAT_BAD_TOKEN', offset: 2 })
  t.same(errorOf('x %(t.name)'), { code: 'RULE_FORMAT_BAD_TOKEN', offset: 2 })
  t.equal(errorOf('x %t.nope').code, 'RULE_COMPILE_UNKNOWN_FIELD')
})

t.test('71: transformer tokens render transformed but register the plain base field', async (t) => {
  const r = render('%toupper(t.user) at %tolower(t.cwd)', { user: 'root', cwd: '/HOME' })
  t.equal(r.message, 'ROOT at /home')
  t.same(r.outputFields, { 't.user': 'root', 't.cwd': '/HOME' })
})

t.test('72: %container.info is removed with a warning', async (t) => {
  const warnings: string[] = []
  const out = compileOutput('a %container.info b', testFields, { ...opts, warn: (w) => warnings.push(`${w.code}@${w.offset}`) })
  t.equal(out.render({}).message, 'a  b')
  t.same(warnings, ['LOAD_DEPRECATED_FIELD@2'])
  t.same(out.fieldKeys, [])
})

t.test('value rendering: lists, numbers, bigints, bools, hex print', async (t) => {
  const r = render('%t.list %t.num %t.big %t.flag %t.hex', { list: ['a', 'b'], num: 255, big: 2n ** 64n, flag: true })
  t.equal(r.message, '(a,b) 255 18446744073709551616 true 0xff')
  t.same(r.outputFields, { 't.list': ['a', 'b'], 't.num': 255, 't.big': '18446744073709551616', 't.flag': true, 't.hex': '0xff' })
  t.same(render('%t.big', { big: 42n }).outputFields, { 't.big': 42 }, 'safe bigints become numbers')
  t.same(render('%t.list', { list: [] }), { message: '<NA>', outputFields: { 't.list': null } }, 'an empty list is absent')
})

t.test('duplicate tokens share one output field; a leading * is the allow-missing flag', async (t) => {
  const out = compileOutput('*%t.name %t.name', testFields, opts)
  t.same(out.fieldKeys, ['t.name'])
  t.equal(out.render({ name: 'n' }).message, 'n n')
})

t.test('a throwing extractor renders as absent', async (t) => {
  t.same(render('%t.boom', { boom: true }), { message: '<NA>', outputFields: { 't.boom': null } })
})

t.test('deprecated fields in outputs warn at their token', async (t) => {
  const warnings: string[] = []
  const out = compileOutput('x %t.old', testFields, { ...opts, warn: (w) => warnings.push(`${w.code}@${w.offset}`) })
  t.same(warnings, ['LOAD_DEPRECATED_FIELD@2'])
  t.equal(out.render({ name: 'n' }).message, 'x n')
})

t.test('each output field is extracted once per render, even when the message repeats it', async (t) => {
  const reads: string[] = []
  const counting = createFieldTable<TestEvent>('count', [
    { name: 'c.name', type: 'string', desc: '', bind: () => (e) => { reads.push('c.name'); return e.name } },
    { name: 'c.user', type: 'string', desc: '', bind: () => (e) => { reads.push('c.user'); return e.user } }
  ])
  const out = compileOutput('%c.name by %c.user (%5c.name|%toupper(c.user))', counting, opts)
  const r = out.render({ name: 'bash', user: 'root' })
  t.equal(r.message, 'bash by root (bash |ROOT)')
  t.same(r.outputFields, { 'c.name': 'bash', 'c.user': 'root' })
  // one read per output field; the transformer token reads its own (transformed) value
  t.same(reads.sort(), ['c.name', 'c.user', 'c.user'])
})
