// The field tables each source loads with (app/sources.ts): static_fields become static.* fields
// that rules of either source can print; without static_fields there are none, and a rule that
// prints one is a load error naming it, as any unknown field.
import t from 'tap'
import { buildSources } from '../../src/app/sources.ts'
import { loadRules } from '../../src/rules/index.ts'

function ruleFor (source: 'syscall' | 'k8s_audit', condition: string): string {
  return `- rule: Static Field Rule
  desc: prints a static field
  condition: ${condition}
  output: "seen on %static.cluster"
  priority: WARNING
  source: ${source}
`
}

t.test('syscall rules can print static_fields', async (t) => {
  const sources = await buildSources({ source: 'syscall', userFields: [], staticFields: { cluster: 'prod-eu' } })
  t.same(sources.map((s) => s.name), ['syscall'])
  const r = loadRules([{ name: 'r.yaml', content: ruleFor('syscall', 'evt.type=execve') }], { sources })
  t.same(r.errors, [])
  t.equal(r.ruleset?.activeCount('syscall'), 1)
})

t.test('without static_fields, static.* is an unknown field in either source', async (t) => {
  for (const [source, condition] of [['syscall', 'evt.type=execve'], ['k8s_audit', 'ka.verb=create']] as const) {
    const sources = await buildSources({ source, userFields: [] })
    const r = loadRules([{ name: 'r.yaml', content: ruleFor(source, condition) }], { sources })
    t.equal(r.ok, false, source)
    t.match(r.errors, [{ code: 'LOAD_ERR_COMPILE_OUTPUT', message: /'static\.cluster' is not a supported filter field/ }], source)
  }
})
