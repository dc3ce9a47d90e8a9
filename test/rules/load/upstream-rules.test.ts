// Falco's rules files of today (falcosecurity/rules, see ../shared/reference/falco-rules/SOURCE),
// read at test time: they load unchanged, alone and together, with zero errors. Every one of them
// requires the `container` plugin (Falco >= 0.41), whose fields Lanner's syscall source supplies.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadRules, type LoadResult, type RulesInput } from '../../../src/rules/index.ts'
import { syscallSource } from '../../../src/syscall/fields/index.ts'
import { k8sAuditSource } from '../../../src/audit/fields/index.ts'

const REPO = new URL('../../../', import.meta.url).pathname
const UPSTREAM = resolve(REPO, '../shared/reference/falco-rules')
const FILES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml']
const read = (name: string): RulesInput => ({ name, content: readFileSync(resolve(UPSTREAM, name), 'utf8') })
const OURS: RulesInput = { name: 'syscall_rules.yaml', content: readFileSync(resolve(REPO, 'rules/syscall_rules.yaml'), 'utf8') }

/** Rule names as the file text declares them (`- rule: X` at column 0), independent of the loader. */
function declaredRules (content: string): string[] {
  return [...content.matchAll(/^- rule: (.+)$/gm)].map((m) => (m[1] as string).trim().replace(/^(['"])(.*)\1$/, '$2'))
}

const errorsOf = (r: LoadResult): string[] => r.errors.map((e) => `${e.location?.file}:${e.location?.pos?.line}: ${e.code}: ${e.message}`)

t.test('each upstream file declares the container plugin it needs (the premise of these tests)', async (t) => {
  for (const f of FILES) {
    t.match(read(f).content, /- required_plugin_versions:\n\s+- name: container\n\s+version: 0\.4\.0/, f)
  }
})

for (const f of FILES) {
  t.test(`${f} loads alone with zero errors`, async (t) => {
    const input = read(f)
    const r = loadRules([input], { sources: [syscallSource] })
    t.same(errorsOf(r), [])
    t.equal(r.ok, true)
    const names = r.ruleset?.rules.map((x) => x.name) ?? []
    t.same([...names].sort(), [...new Set(declaredRules(input.content))].sort(), 'every declared rule is compiled')
    t.same(r.requirements?.plugins, [{ name: 'container', version: '0.4.0', alternatives: [] }])
    t.equal(r.requirements?.engineVersion, '0.57.0')
  })
}

t.test('the three upstream files and Lanner\'s defaults load together with zero errors', async (t) => {
  const inputs = [...FILES.map(read), OURS]
  const r = loadRules(inputs, { sources: [syscallSource] })
  t.same(errorsOf(r), [])
  const expected = new Set(inputs.flatMap((i) => declaredRules(i.content)))
  t.equal(r.ruleset?.rules.length, expected.size, 'one compiled rule per distinct name')
  t.ok((r.ruleset?.activeCount('syscall') ?? 0) >= 60, `${r.ruleset?.activeCount('syscall')} active rules`)
})

t.test('upstream files load with both sources, as `lanner rules validate` does', async (t) => {
  const r = loadRules(FILES.map(read), { sources: [syscallSource, k8sAuditSource] })
  t.same(errorsOf(r), [])
})

t.test('an instance without the syscall source says where the container fields live', async (t) => {
  const r = loadRules([read('falco_rules.yaml')], { sources: [k8sAuditSource] })
  t.equal(r.ok, false)
  const e = r.errors[0]
  t.equal(e?.code, 'LOAD_ERR_EXTENSION')
  t.equal(e?.location?.pos?.line, 31, 'points at the container entry')
  t.match(e?.message, /must load one of: container \(>= 0\.4\.0\)/)
  t.match(e?.message, /syscall source, which this instance does not run/)
})
