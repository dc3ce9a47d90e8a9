// Rule exceptions: both forms, default and explicit comps, list values, appends, validation.
import t from 'tap'
import { fired, load, rule } from '../../fixtures/rules/test-source.ts'
import type { LoadResult } from '../../../src/rules/index.ts'

const withEx = (ex: string, cond = 't.num > 0'): string => rule('R', cond, `  exceptions:\n${ex}`)
const err = (res: LoadResult): { code?: string, message?: string, line?: number, col?: number } => {
  const e = res.errors[0]
  return { code: e?.code, message: e?.message, line: e?.location?.pos?.line, col: e?.location?.pos?.col }
}

t.test('35: tuple form with default = comps', async (t) => {
  const res = load(withEx('    - name: e\n      fields: [t.name, t.cwd]\n      values: [[apt, /usr/bin], [yum, /bin]]\n'))
  t.same(fired(res, { num: 1, name: 'apt', cwd: '/usr/bin' }), [])
  t.same(fired(res, { num: 1, name: 'yum', cwd: '/bin' }), [])
  t.same(fired(res, { num: 1, name: 'apt', cwd: '/bin' }), ['R'])
  t.same(fired(res, { num: 0, name: 'x' }), [])
})

t.test('36: single-field form defaults to in; other comps are rejected', async (t) => {
  const res = load(withEx('    - name: e\n      fields: t.name\n      values: [a, b]\n'))
  t.same(fired(res, { num: 1, name: 'a' }), [])
  t.same(fired(res, { num: 1, name: 'c' }), ['R'])
  const bad = load(withEx('    - name: e\n      fields: t.name\n      comps: "="\n      values: [a]\n'))
  t.match(err(bad), { code: 'LOAD_ERR_VALIDATE', message: 'When fields is a single value, comps must be one of (in, pmatch, intersects)', line: 10, col: 14 })
  const pm = load(withEx('    - name: e\n      fields: t.cwd\n      comps: pmatch\n      values: [/tmp]\n'))
  t.same(fired(pm, { num: 1, cwd: '/tmp/x' }), [])
  t.same(fired(pm, { num: 1, cwd: '/var/x' }), ['R'])
})

t.test('37: explicit comps, list values and values naming lists', async (t) => {
  const res = load(withEx('    - name: e\n      fields: [t.name, t.cwd]\n      comps: [=, in]\n      values: [[dpkg, [/usr/bin, /bin]]]\n'))
  t.same(fired(res, { num: 1, name: 'dpkg', cwd: '/bin' }), [])
  t.same(fired(res, { num: 1, name: 'dpkg', cwd: '/sbin' }), ['R'])
  const named = load(`- list: dirs\n  items: [/opt, /srv]\n${withEx('    - name: e\n      fields: [t.name, t.cwd]\n      comps: [=, in]\n      values: [[dpkg, dirs]]\n')}`)
  t.same(named.warnings, [], 'the list counts as used')
  t.same(fired(named, { num: 1, name: 'dpkg', cwd: '/srv' }), [])
  t.same(fired(named, { num: 1, name: 'dpkg', cwd: '/bin' }), ['R'])
  const startsw = load(withEx('    - name: e\n      fields: [t.cwd]\n      comps: [startswith]\n      values: [[/home]]\n'))
  t.same(fired(startsw, { num: 1, cwd: '/home/u' }), [])
})

t.test('38: fields, comps and values lengths must agree', async (t) => {
  t.match(err(load(withEx('    - name: e\n      fields: [t.name, t.cwd]\n      comps: [=]\n      values: []\n'))),
    { code: 'LOAD_ERR_YAML_VALIDATE', message: 'Fields and comps lists must have equal length', line: 10, col: 15 })
  t.match(err(load(withEx('    - name: e\n      fields: [t.name, t.cwd]\n      values: [[a]]\n'))),
    { message: 'Fields and values lists must have equal length', line: 10, col: 17 })
  t.match(err(load(withEx('    - name: e\n      fields: [t.name]\n      comps: "="\n      values: []\n'))),
    { message: 'Fields and comps must both be lists' })
  t.match(err(load(withEx('    - name: e\n      fields: [t.name]\n      comps: [nope]\n'))),
    { code: 'LOAD_ERR_VALIDATE', message: "'nope' is not a supported comparison operator", line: 10, col: 15 })
  t.match(err(load(withEx('    - name: e\n      fields: t.name\n      values: [[a]]\n'))),
    { message: 'Expected values array to contain a list of strings' })
})

t.test('39: an exception without values leaves the condition alone', async (t) => {
  const res = load(withEx('    - name: e\n      fields: [t.name]\n'))
  t.equal(res.ok, true)
  t.same(fired(res, { num: 1, name: 'a' }), ['R'])
})

t.test('40: values with spaces are single strings', async (t) => {
  const res = load(withEx('    - name: e\n      fields: [t.name, t.cwd]\n      values: [[my app, /x]]\n'))
  t.same(fired(res, { num: 1, name: 'my app', cwd: '/x' }), [])
  t.same(fired(res, { num: 1, name: 'my', cwd: '/x' }), ['R'])
  const quoted = load(withEx(`    - name: e\n      fields: [t.name]\n      values: [['"my app"']]\n`))
  t.same(fired(quoted, { num: 1, name: 'my app' }), [], 'one level of quotes is stripped, as upstream pasting does')
})

t.test('41: exception fields must exist for the rule source', async (t) => {
  t.match(err(load(withEx('    - name: e\n      fields: [t.name, t.nonexistent]\n'))),
    { code: 'LOAD_ERR_VALIDATE', message: "'t.nonexistent' is not a supported filter field", line: 9, col: 24 })
  t.match(err(load(withEx('    - name: e\n')), ), { message: 'Rule exception item must have fields property with a list of fields' })
  const unknownSource = load(withEx('    - name: e\n      fields: [x.y]\n').replace('source: test', 'source: nosuch'))
  t.equal(unknownSource.ok, true, 'no field checks for unknown sources')
})

t.test('42: appending exceptions', async (t) => {
  const base = withEx('    - name: e\n      fields: [t.name]\n      values: [[a]]\n')
  const vals = load(`${base}- rule: R\n  exceptions:\n    - name: e\n      values: [[b]]\n  override:\n    exceptions: append\n`)
  t.same(fired(vals, { num: 1, name: 'b' }), [])
  t.same(fired(vals, { num: 1, name: 'a' }), [])
  t.same(fired(vals, { num: 1, name: 'c' }), ['R'])
  t.match(err(load(`${base}- rule: R\n  exceptions:\n    - name: e\n      fields: [t.cwd]\n      values: [[b]]\n  override:\n    exceptions: append\n`)),
    { message: 'Can not append exception fields to existing exception, only values', line: 13, col: 7 })
  t.match(err(load(`${base}- rule: R\n  exceptions:\n    - name: new\n      fields: [t.cwd]\n  override:\n    exceptions: append\n`)),
    { message: 'Rule exception must have values property with a list of values' })
  const added = load(`${base}- rule: R\n  exceptions:\n    - name: new\n      fields: [t.cwd]\n      values: [[/x]]\n  append: true\n`)
  t.same(fired(added, { num: 1, name: 'c', cwd: '/x' }), [])
  const noValues = load(`${base}- rule: R\n  exceptions:\n    - name: e\n  override:\n    exceptions: append\n`)
  t.ok(noValues.warnings.some((w) => w.code === 'LOAD_APPEND_NO_VALUES'))
  const replaced = load(`${base}- rule: R\n  exceptions:\n    - name: z\n      fields: [t.cwd]\n      values: [[/x]]\n  override:\n    exceptions: replace\n`)
  t.same(fired(replaced, { num: 1, name: 'a' }), ['R'], 'the old exception is gone')
})

t.test('43: duplicate exception names warn', async (t) => {
  const res = load(withEx('    - name: e\n      fields: [t.name]\n    - name: e\n      fields: [t.cwd]\n'))
  t.equal(res.ok, true)
  t.match(res.warnings[0], { code: 'LOAD_EXCEPTION_NAME_NOT_UNIQUE', location: { pos: { line: 10, col: 7 } } })
})

t.test('44: empty values are rejected', async (t) => {
  t.match(err(load(withEx('    - name: e\n      fields: [t.name]\n      values: [[""]]\n'))), { message: 'Value must be non-empty', line: 10, col: 17 })
})

t.test('an empty fields list with values is refused at the fields (it used to crash loadRules)', async (t) => {
  t.match(err(load(withEx('    - name: e\n      fields: []\n      values: [[]]\n'))),
    { code: 'LOAD_ERR_YAML_VALIDATE', message: 'Rule exception item must have fields property with a list of fields', line: 9, col: 15 })
  // appending values to an exception defined with no fields
  const base = withEx('    - name: e\n      fields: []\n')
  t.equal(load(base).ok, true, 'without values it contributes nothing, as upstream')
  const appended = load(base + '- rule: R\n  exceptions:\n    - name: e\n      values: [[]]\n  override: {exceptions: append}\n')
  t.match(err(appended), { code: 'LOAD_ERR_YAML_VALIDATE', message: 'Rule exception item must have fields property with a list of fields', line: 9 })
})
