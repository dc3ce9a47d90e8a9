// Users layer Falco's own rules files over Lanner's defaults (or the other way round). Macros and
// lists share one namespace across sources, so a default macro named like one of Falco's would be
// silently redefined by Falco's file and break our rules: every order must load cleanly.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadRules, type RulesInput } from '../../src/rules/index.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import { syscallSource } from '../../src/syscall/fields/index.ts'

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url))
const input = (file: string): RulesInput => ({ name: file, content: readFileSync(file, 'utf8') })

const shared = repo('../shared/reference')
if (!existsSync(shared)) throw new Error(`reference material missing: ${shared} (CI clones ../shared beside the repo)`)

const ours = [input(repo('rules/k8s_audit_rules.yaml')), input(repo('rules/syscall_rules.yaml'))]
const falco = [
  input(`${shared}/cases/falco_rules.v1.0.1.yaml`),
  input(`${shared}/k8saudit/k8s_audit_rules.yaml`)
]

for (const [label, files] of [['defaults then Falco', [...ours, ...falco]], ['Falco then defaults', [...falco, ...ours]]] as const) {
  t.test(`${label}: loads with no errors and every default rule stays active`, async (t) => {
    const res = loadRules([...files], { sources: [k8sAuditSource, syscallSource] })
    t.same(res.errors.map((e) => `${e.code} ${e.message}`), [])
    const active = new Set(res.ruleset?.rules.filter((r) => r.enabled).map((r) => r.name))
    const ownNames = loadRules(ours, { sources: [k8sAuditSource, syscallSource] }).ruleset?.rules.map((r) => r.name) ?? []
    t.ok(ownNames.length > 20, 'the defaults define their rules')
    t.same(ownNames.filter((n) => !active.has(n)), [], 'no default rule lost')
  })
}
