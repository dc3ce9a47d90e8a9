// Bounded, seeded fuzzing of the rules loader, the condition parser and output formats with
// mutations of the shipped rules files: whatever the input, problems come back as collected
// issues (loadRules) or RuleError (parseCondition, compileOutput), never as another exception,
// and a ruleset that does load evaluates hostile events without throwing.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { RuleError } from '../../../src/errors/index.ts'
import { k8sAuditSource } from '../../../src/audit/fields/index.ts'
import { syscallSource } from '../../../src/syscall/fields/index.ts'
import { AuditEvent } from '../../../src/audit/index.ts'
import { compileOutput, loadRules } from '../../../src/rules/index.ts'
import { parseCondition } from '../../../src/rules/lang/index.ts'
import { mutateLines, seededRandom, type SeededRandom } from '../../helpers/fuzz.ts'

const SEEDS = ['../../../rules/k8s_audit_rules.yaml', '../../../rules/syscall_rules.yaml']
  .map((p) => readFileSync(new URL(p, import.meta.url), 'utf8'))

// fragments that stress YAML (anchors, aliases, merge keys, tags, flow syntax, odd scalars) and
// the condition/output languages (operators, quotes, escapes, nesting, % tokens)
const SNIPPETS = [
  '&a ', '*a', '<<: *a', '!!binary aGk=', '!!str ', '!tag ', '? [k]\n  : v', '123', '-1e309', '.inf', 'null', '~', 'yes',
  '[', ']', '{', '}', '- ', ': ', '\t', '\n', '#', '|', '>', '---\n', '...\n', '\ufeff', '\u0000', '\ud800',
  '(', ')', '"', "'", '\\', '\\x4', ',', '=', '!=', ' and ', ' or ', 'not ', 'not(', ' in (', ' pmatch (', ' exists',
  ' regex "(', ' glob "[', ' bcontains 4', 'val(', 'tolower(', 'len(', '[0]', '[-1]', '[99999999999999999999]',
  '%', '%5', '%proc.name', '%(', '%%', 'oneof (', '((((((((((', '))))))))))', 'evt.type=open', 'ka.verb'
]

const VALUES = ['[]', '[[]]', '[[], []]', '{}', '~', '""', "' '", '123', '1.5', 'true', '*a', '&a x', '[*a]', '!!binary aGk=', '[a, [b, [c]]]', '{a: 1}', '"%"', '"(("']

function mutate (r: SeededRandom, text: string, edits: number): string {
  return mutateLines(r, text, edits, { snippets: SNIPPETS, values: VALUES })
}

/** Conditions and outputs as written in the seeds, for the expression-level fuzzers. */
function expressions (key: 'condition' | 'output'): string[] {
  const re = new RegExp(`^\\s+${key}: (.+)$`, 'gm')
  return SEEDS.flatMap((s) => [...s.matchAll(re)].map((m) => m[1] as string))
}

const hostileEvents = [
  {}, { kind: 'Event' }, { verb: 5, user: null, objectRef: 'x', requestObject: [1, { spec: null }] },
  { verb: 'create', objectRef: { resource: 'pods', namespace: {} }, requestObject: { spec: { containers: 'nginx' } } },
  { verb: 'create', objectRef: { resource: 'pods' }, requestObject: { spec: { containers: [null, 5, { image: 7, securityContext: 'x' }], volumes: {} } } },
  { user: { username: ['a'], groups: 'g' }, sourceIPs: 'x', responseStatus: { code: 'no' }, requestURI: 42, annotations: [] }
].map((o) => new AuditEvent(o, 1n))

t.test('loadRules collects issues for mutated rules files and never throws', async (t) => {
  const r = seededRandom(20261123)
  let loaded = 0
  let failed = 0
  for (let i = 0; i < 60; i++) {
    const text = mutate(r, r.pick(SEEDS), 1 + r.int(2))
    let res
    try {
      res = loadRules([{ name: `fuzz-${i}.yaml`, content: text }], { sources: [k8sAuditSource, syscallSource] })
    } catch (err) {
      t.fail(`loadRules threw on input ${i}: ${String(err)}`)
      continue
    }
    if (res.ok) {
      loaded++
      for (const ev of hostileEvents) {
        try { res.ruleset?.evaluate('k8s_audit', ev, () => {}) } catch (err) { t.fail(`evaluate threw on input ${i}: ${String(err)}`) }
      }
    } else {
      failed++
      t.ok(res.errors.every((e) => typeof e.code === 'string' && e.location?.file === `fuzz-${i}.yaml`), `input ${i}: errors carry a code and the file`)
    }
  }
  t.ok(loaded > 0 && failed > 0, `both outcomes were exercised (${loaded} loaded, ${failed} failed)`)
})

t.test('parseCondition and compileOutput throw only RuleError on mutated expressions', async (t) => {
  const r = seededRandom(7)
  const conds = expressions('condition')
  const outs = expressions('output')
  t.ok(conds.length > 10 && outs.length > 10, 'the seeds provide expressions')
  let other = 0
  for (let i = 0; i < 4000; i++) {
    const c = mutate(r, r.pick(conds), 1 + r.int(3))
    try { parseCondition(c) } catch (err) { if (!(err instanceof RuleError)) { other++; t.fail(`parseCondition(${JSON.stringify(c)}) threw ${String(err)}`) } }
    const o = mutate(r, r.pick(outs), 1 + r.int(3))
    for (const src of [k8sAuditSource, syscallSource]) {
      try { compileOutput(o, src.fields) } catch (err) { if (!(err instanceof RuleError)) { other++; t.fail(`compileOutput(${JSON.stringify(o)}) threw ${String(err)}`) } }
    }
  }
  t.equal(other, 0)
})
