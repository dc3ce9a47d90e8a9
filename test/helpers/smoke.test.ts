import t from 'tap'
import { createFieldTable } from '../../src/fields/index.ts'

t.test('field tables reject unknown fields with a stable code', async (t) => {
  const table = createFieldTable<{ v: string }>('demo', [
    { name: 'demo.v', type: 'string', desc: 'the value', bind: () => (ev) => ev.v }
  ])
  t.equal(table.bind('demo.v', undefined)({ v: 'x' }), 'x')
  t.throws(() => table.bind('demo.nope', undefined), { code: 'RULE_COMPILE_UNKNOWN_FIELD' })
  t.throws(() => table.bind('demo.v', 'arg'), { code: 'RULE_COMPILE_BAD_FIELD_ARG' })
})
