// Evaluation semantics beyond single operators: missing values, list fields, val() and
// transformers, field arguments, boolean structure, compile errors with positions, warnings,
// compileOperand for outputs and eventTypesOf for rule indexing.
import t from 'tap'
import { parseCondition, parseOperandPrefix, type Operand } from '../../../src/rules/lang/index.ts'
import { compileCondition, compileOperand, eventTypesOf } from '../../../src/rules/compile/index.ts'
import { compile, compileErr, plainTable, run, table, warnings, bytes, type Ev } from './fixture.ts'

t.test('missing value rule (edge 45)', async (t) => {
  const absent: Ev = {}
  t.equal(run('t.name != nginx', absent), false)
  t.equal(run('not t.name = nginx', absent), true)
  t.equal(run('t.name exists', absent), false)
  t.equal(run('not t.name exists', absent), true)
  t.equal(run('t.name exists', { name: '' }), true, 'an empty string is present')
  t.equal(run('t.name in (a, b)', absent), false)
  t.equal(run('t.name < zzz', absent), false)
  t.equal(run('t.num != 3', absent), false)
  t.equal(run('t.flag != true', absent), false)
  t.equal(run('t.ip != 1.2.3.4', absent), false)
  t.equal(run('t.buf != x', absent), false)
  t.equal(run('t.name icontains x or t.name glob "*" or t.name regex ".*" or t.path pmatch (/)', absent), false)
})

t.test('an extractor that throws reads as absent, never throws', async (t) => {
  t.equal(run('t.boom = x', {}), false)
  t.equal(run('not t.boom = x', {}), true)
  t.equal(run('t.boom exists', {}), false)
  t.equal(run('t.boom = x or t.name = a', { name: 'a' }), true, 'the other branch still decides')
  t.equal(run('t.name = a and not t.boom contains x', { name: 'a' }), true)
  const pred = compile('t.boom = x or t.name = a')
  t.equal(pred({ name: 'b' }), false)
  t.equal(pred({ name: 'a' }), true, 'the guarded twin is reused')
})

t.test('list fields: in = subset, intersects = overlap (edge 50)', async (t) => {
  const ev: Ev = { list: ['a', 'b'] }
  t.equal(run('t.list in (a, b, c)', ev), true)
  t.equal(run('t.list in (a)', ev), false)
  t.equal(run('t.list intersects (b, z)', ev), true)
  t.equal(run('t.list intersects (z)', ev), false)
  t.equal(run('t.list exists', ev), true)
  t.equal(run('t.nums in (1, 2, 3)', { nums: [3, 1] }), true)
  t.equal(run('t.nums intersects (7)', { nums: [3, 1] }), false)
  // the FieldTable contract: an empty list is absent
  t.equal(run('t.list exists', { list: [] }), false)
  t.equal(run('t.list in (a)', { list: [] }), false)
  t.equal(run('t.list intersects (a)', { list: [] }), false)
  t.equal(run('t.list in (a)', {}), false)
  for (const op of ['= a', '!= a', 'contains a', 'startswith a', 'glob a', 'pmatch (/a)', '< a']) {
    const e = compileErr(`t.list ${op}`)
    t.equal(e.code, 'RULE_COMPILE_BAD_OPERATOR_TYPE', op)
  }
})

t.test('val() and transformers on the right compare with another field (edge 5)', async (t) => {
  t.equal(run('t.name = t.pname', { name: 't.pname', pname: 'bash' }), true, 'a bare field name is a string')
  t.equal(run('t.name = val(t.pname)', { name: 'bash', pname: 'bash' }), true)
  t.equal(run('t.name = val(t.pname)', { name: 'bash', pname: 'sh' }), false)
  t.equal(run('t.name != val(t.pname)', { name: 'bash', pname: 'sh' }), true)
  t.equal(run('t.name != val(t.pname)', { name: 'bash' }), false, 'absent right side => false')
  t.equal(run('not t.name = val(t.pname)', { name: 'bash' }), true)
  t.equal(run('t.name = tolower(t.pname)', { name: 'bash', pname: 'BASH' }), true)
  t.equal(run('t.name contains val(t.pname)', { name: 'bash', pname: 'as' }), true)
  t.equal(run('t.name icontains val(t.pname)', { name: 'bash', pname: 'AS' }), true)
  t.equal(run('t.name startswith val(t.pname)', { name: 'bash', pname: 'ba' }), true)
  t.equal(run('t.name endswith val(t.pname)', { name: 'bash', pname: 'ba' }), false)
  t.equal(run('t.num < val(t.num2)', { num: 1, num2: 2 }), true)
  t.equal(run('t.num >= val(t.num2)', { num: 1, num2: 2 }), false)
  t.equal(run('t.name in val(t.list)', { name: 'b', list: ['a', 'b'] }), true)
  t.equal(run('t.name in val(t.list)', { name: 'c', list: ['a', 'b'] }), false)
  t.equal(run('t.list in val(t.list)', { list: ['a', 'b'] }), true)
  t.equal(run('t.list intersects val(t.name)', { list: ['a', 'b'], name: 'b' }), true)
  t.equal(run('t.buf bcontains val(t.buf)', { buf: bytes('abc') }), true)
  t.equal(compileErr('t.name regex val(t.pname)').code, 'RULE_COMPILE_BAD_OPERATOR_TYPE')
  t.equal(compileErr('t.path pmatch val(t.pname)').code, 'RULE_COMPILE_BAD_OPERATOR_TYPE')
  t.equal(compileErr('t.name glob val(t.pname)').code, 'RULE_COMPILE_BAD_OPERATOR_TYPE')
  t.equal(compileErr('t.net = val(t.net)').code, 'RULE_COMPILE_BAD_OPERATOR_TYPE')
  const mismatch = compileErr('t.name = val(t.num)')
  t.equal(mismatch.code, 'RULE_COMPILE_BAD_OPERATOR_TYPE')
  t.equal(mismatch.location?.pos?.offset, 9)
  t.equal(compileErr('t.name = val(t.list)').code, 'RULE_COMPILE_BAD_OPERATOR_TYPE', 'a list on the right needs in/intersects')
})

t.test('transformers on the left, nested and element-wise', async (t) => {
  t.equal(run('tolower(t.name) = bash', { name: 'BaSh' }), true)
  t.equal(run('toupper(t.name) = BASH', { name: 'bash' }), true)
  t.equal(run('toupper(t.name) = "ÉTÉ"', { name: 'été' }), false, 'case mapping is ASCII only')
  t.equal(run('basename(t.path) = id_rsa', { path: '/home/u/.ssh/id_rsa' }), true)
  t.equal(run('basename(t.path) = ""', { path: '/home/u/' }), true)
  t.equal(run('basename(t.path) = ls', { path: 'ls' }), true)
  t.equal(run('tolower(basename(t.path)) = ls', { path: '/bin/LS' }), true)
  t.equal(run('b64(t.name) = hello', { name: 'aGVsbG8=' }), true)
  t.equal(run('b64(t.name) exists', { name: '%%%' }), false, 'undecodable => absent')
  t.equal(run('len(t.name) = 4', { name: 'bash' }), true)
  t.equal(run('len(t.name) > 10', { name: 'bash' }), false)
  t.equal(run('len(t.list) = 2', { list: ['a', 'b'] }), true, 'len of a list counts items')
  t.equal(run('len(t.nums) = 3', { nums: [1, 2, 3] }), true)
  t.equal(run('len(t.buf) = 3', { buf: bytes('abc') }), true)
  t.equal(run('tolower(t.list) in (a, b)', { list: ['A', 'b'] }), true, 'element-wise on lists')
  t.equal(run('tolower(t.name) = x', {}), false)
  t.equal(compileErr('tolower(t.num) = 1').code, 'RULE_COMPILE_BAD_TRANSFORMER')
  t.equal(compileErr('basename(t.flag) = 1').code, 'RULE_COMPILE_BAD_TRANSFORMER')
  t.equal(compileErr('len(t.num) = 1').code, 'RULE_COMPILE_BAD_TRANSFORMER')
  t.equal(compileErr('concat(t.name, t.pname) = 1').code, 'RULE_COMPILE_BAD_TRANSFORMER')
  const e = compileErr('t.name = x and tolower(t.num) = 1')
  t.equal(e.location?.pos?.offset, 15)
  t.equal(compileErr('len(t.name) contains 1').code, 'RULE_COMPILE_BAD_OPERATOR_TYPE', 'len yields an integer')
})

t.test('field arguments are checked by the field table, at the field position', async (t) => {
  t.equal(run('t.env[HOME] = /root', { env: { HOME: '/root' } }), true)
  t.equal(run('t.env["HOME"] = /root', { env: { HOME: '/root' } }), true)
  t.equal(run('t.anc[1] = init', { anc: ['bash', 'init'] }), true)
  t.equal(run('t.anc[2] exists', { anc: ['bash', 'init'] }), false)
  const missing = compileErr('t.name = a and t.env = x')
  t.equal(missing.code, 'RULE_COMPILE_BAD_FIELD_ARG')
  t.same(missing.location?.pos, { offset: 15, line: 1, col: 16 })
  t.equal(compileErr('t.anc[x] = a').code, 'RULE_COMPILE_BAD_FIELD_ARG')
  t.equal(compileErr('t.name[1] = a').code, 'RULE_COMPILE_BAD_FIELD_ARG')
  const unknown = compileErr('t.name = a or\n t.nope = b')
  t.equal(unknown.code, 'RULE_COMPILE_UNKNOWN_FIELD')
  t.same(unknown.location?.pos, { offset: 15, line: 2, col: 2 })
})

t.test('and/or/not evaluate with precedence and short-circuit (edge 1)', async (t) => {
  const ev: Ev = { name: 'a', num: 1 }
  t.equal(run('t.name = x and t.num = 2 or t.num = 1', ev), true)
  t.equal(run('t.name = x and (t.num = 2 or t.num = 1)', ev), false)
  t.equal(run('not t.name = x and t.num = 1', ev), true)
  t.equal(run('not (t.name = a and t.num = 1)', ev), false)
  t.equal(run('not not t.name = a', ev), true)
  t.equal(run('t.num = 1 and t.num = 1 and t.num = 1 and t.num = 1 and t.name = a', ev), true)
  t.equal(run('t.num = 1 and t.num = 1 and t.num = 1 and t.num = 1 and t.name = b', ev), false)
  t.equal(run('t.num = 2 or t.num = 3 or t.num = 4 or t.num = 5 or t.name = a', ev), true)
  t.equal(run('t.num = 2 or t.num = 3 or t.num = 4 or t.num = 5 or t.name = b', ev), false)
  let calls = 0
  const counting = { ...table, bind: (n: string, a: string | undefined) => { const f = table.bind(n, a); return (e: Ev) => { calls++; return f(e) } } }
  const pred = compileCondition(parseCondition('t.name = x and t.num = 1'), counting)
  t.equal(pred(ev), false)
  t.equal(calls, 1, 'and stops at the first false child')
})

t.test('macros must be resolved before compiling', async (t) => {
  const e = compileErr('t.name = a and spawned_process')
  t.equal(e.code, 'RULE_COMPILE_UNDEFINED_MACRO')
  t.same(e.location?.pos, { offset: 15, line: 1, col: 16 })
})

t.test('evt.type values must be known event types', async (t) => {
  t.equal(run('evt.type = open', { type: 'open' }), true)
  t.equal(run('evt.type in (open, execve)', { type: 'execve' }), true)
  const e = compileErr('evt.type in (open, opne)')
  t.equal(e.code, 'RULE_COMPILE_UNKNOWN_EVTTYPE')
  t.equal(e.location?.pos?.offset, 19)
  t.equal(compileErr('evt.type = nope').code, 'RULE_COMPILE_UNKNOWN_EVTTYPE')
  t.equal(compileErr('evt.type != nope').code, 'RULE_COMPILE_UNKNOWN_EVTTYPE')
  t.equal(run('evt.type startswith op', { type: 'open' }), true, 'other operators take any text')
  t.equal(compile('evt.type = nope', undefined, plainTable)({ type: 'nope' }), true, 'tables without event types accept any')
})

t.test('modifiers oneof/anyof/allof', async (t) => {
  const ev: Ev = { name: 'bash' }
  t.equal(run('t.name startswith anyof (z, b)', ev), true)
  t.equal(run('t.name startswith anyof (z, y)', ev), false)
  t.equal(run('t.name startswith oneof (b, ba)', ev), false, 'two items match')
  t.equal(run('t.name startswith oneof (b, z)', ev), true)
  t.equal(run('t.name contains allof (a, sh)', ev), true)
  t.equal(run('t.name contains allof (a, x)', ev), false)
  t.equal(run('t.name contains allof ()', ev), false)
  t.equal(run('t.name contains anyof (a)', {}), false)
  t.equal(run('t.num = anyof (1, 2)', { num: 2 }), true)
  t.equal(compileErr('t.num = anyof (1, x)').code, 'RULE_COMPILE_BAD_VALUE')
  t.equal(compileErr('t.list = anyof (a)').code, 'RULE_COMPILE_BAD_OPERATOR_TYPE')
})

t.test('warnings: regex without special characters, <NA> on ka.*/jevt.*, deprecated fields', async (t) => {
  t.match(warnings('t.name regex "bash"'), [{ code: 'LOAD_COMPILE_CONDITION', pos: { offset: 13 } }])
  t.same(warnings('t.name regex "ba.*"'), [])
  t.match(warnings('ka.user = "<NA>"'), [{ code: 'LOAD_UNSAFE_NA_CHECK', pos: { offset: 10 } }])
  t.match(warnings('jevt.value[/user] != <NA>'), [{ code: 'LOAD_UNSAFE_NA_CHECK' }])
  t.match(warnings('ka.user in (a, <NA>)'), [{ code: 'LOAD_UNSAFE_NA_CHECK' }])
  t.same(warnings('t.name = "<NA>"'), [], 'only k8s audit / json fields')
  t.match(warnings('t.old = x'), [{ code: 'LOAD_DEPRECATED_FIELD', pos: { offset: 0 } }])
  t.same(warnings('t.name = x'), [])
  t.equal(compile('t.name regex "bash"')({ name: 'bash' }), true, 'a warning does not stop compilation')
})

t.test('compileOperand serves output formats', async (t) => {
  const op = (s: string): Operand => (parseOperandPrefix(s, 0) as { operand: Operand }).operand
  const up = compileOperand(op('toupper(t.name)'), table)
  t.equal(up.extract({ name: 'root' }), 'ROOT')
  t.equal(up.baseField, 't.name')
  t.equal(up.type, 'string')
  t.equal(up.isList, false)
  const anc = compileOperand(op('t.anc[2]'), table)
  t.equal(anc.baseField, 't.anc[2]')
  t.equal(anc.extract({ anc: ['a', 'b', 'c'] }), 'c')
  const len = compileOperand(op('len(t.list)'), table)
  t.equal(len.type, 'int')
  t.equal(len.extract({ list: ['x'] }), 1)
  const list = compileOperand(op('t.list'), table)
  t.equal(list.isList, true)
  t.equal(compileOperand(op('t.boom'), table).extract({}), undefined)
  t.throws(() => compileOperand(op('t.nope'), table), { code: 'RULE_COMPILE_UNKNOWN_FIELD', location: { pos: { offset: 0 } } })
})

t.test('eventTypesOf: the evt.type values a condition can match', async (t) => {
  const types = (s: string): string[] | null => {
    const r = eventTypesOf(parseCondition(s))
    return r === null ? null : [...r].sort()
  }
  t.same(types('evt.type = open'), ['open'])
  t.same(types('evt.type in (open, openat) and t.name = x'), ['open', 'openat'])
  t.same(types('evt.type = open or evt.type = execve'), ['execve', 'open'])
  t.same(types('evt.type in (open, openat) and evt.type in (openat, execve)'), ['openat'])
  t.same(types('evt.type = open and evt.type = execve'), [])
  t.same(types('(evt.type = open or evt.type = openat) and not t.name = x'), ['open', 'openat'])
  t.equal(types('t.name = x'), null)
  t.equal(types('evt.type = open or t.name = x'), null)
  t.equal(types('not evt.type = open'), null)
  t.equal(types('evt.type != open'), null)
  t.equal(types('evt.type startswith open'), null)
})
