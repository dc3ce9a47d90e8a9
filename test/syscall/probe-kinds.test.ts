// What the probe records for a ruleset: the event types the active syscall rules can match plus
// the kinds the process/fd tables need (STATE_KINDS); a rule matching any type falls back to
// DEFAULT_KINDS; enter records only for types a rule pins to `evt.dir = >`.
import t from 'tap'
import { loadRules } from '../../src/rules/index.ts'
import { buildRuleset, eventDirsOf, type CompiledRule } from '../../src/rules/engine.ts'
import { parseCondition } from '../../src/rules/lang/parser.ts'
import { syscallSource } from '../../src/syscall/fields/index.ts'
import { DEFAULT_KINDS, KIND_IDS, STATE_KINDS } from '../../src/syscall/abi.ts'
import { probeKindsFor, sameProbeKinds } from '../../src/syscall/probe-kinds.ts'

function ruleset (yaml: string) {
  const r = loadRules([{ name: 'rules.yaml', content: yaml }], { sources: [syscallSource] })
  if (!r.ok || r.ruleset === undefined) throw new Error(JSON.stringify(r.errors))
  return r.ruleset
}

function rule (name: string, condition: string, extra = ''): string {
  return `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: o\n  priority: WARNING\n  source: syscall\n${extra}`
}

const openatOnly = rule('Opened', 'evt.type = openat and evt.dir = < and fd.name = /etc/shadow')

t.test('a rules file about openat only: the state kinds, openat among them, nothing else', async (t) => {
  const rs = ruleset(openatOnly)
  t.same(rs.eventTypes('syscall'), new Set(['openat']))
  const k = probeKindsFor(rs)
  t.same(new Set(k.kinds), new Set(STATE_KINDS))
  t.equal(k.anyType, false)
  t.same(k.enterKinds, [])
  for (const absent of ['mkdir', 'unlinkat', 'ptrace', 'sendto', 'recvfrom']) t.notOk(k.kinds.includes(absent as never), `${absent} not recorded`)
})

t.test('the rules\' types are added, opt-in ones included; order follows the kind ids', async (t) => {
  const rs = ruleset(openatOnly + rule('Dirs', 'evt.type in (mkdir, mkdirat) and evt.dir = <') + rule('UDP in', 'evt.type = recvfrom and fd.l4proto = udp'))
  const k = probeKindsFor(rs)
  const want = new Set<string>([...STATE_KINDS, 'mkdir', 'mkdirat', 'recvfrom'])
  t.same(k.kinds, Object.keys(KIND_IDS).filter((x) => want.has(x)))
  t.ok(k.kinds.includes('recvfrom'), 'recvfrom is opt-in by default, but a rule asks for it')
})

t.test('a rule that matches any event type keeps the default set', async (t) => {
  const rs = ruleset(openatOnly + rule('Anything by nc', 'proc.name = nc'))
  t.equal(rs.eventTypes('syscall'), null)
  const k = probeKindsFor(rs)
  t.equal(k.anyType, true)
  t.same(k.kinds, DEFAULT_KINDS)
})

t.test('disabled rules and rules of other sources do not count', async (t) => {
  const rs = ruleset(openatOnly + rule('Off', 'evt.type = ptrace', '  enabled: false\n'))
  t.notOk(probeKindsFor(rs).kinds.includes('ptrace'))
  t.same(rs.eventTypes('k8s_audit'), null, 'a source without a table: no answer')
})

t.test('no syscall rules at all: only what the tables need', async (t) => {
  const rs = ruleset('- list: nothing\n  items: []\n')
  t.same(probeKindsFor(rs).kinds, Object.keys(KIND_IDS).filter((x) => (STATE_KINDS as readonly string[]).includes(x)))
  t.same(probeKindsFor(undefined).kinds, DEFAULT_KINDS, 'before any rules loaded: the defaults')
})

t.test('types the probe cannot produce are reported, not requested', async (t) => {
  const k = probeKindsFor(ruleset(rule('Sendfile', 'evt.type in (sendfile, openat)')))
  t.same(k.unproduced, ['sendfile'])
  t.ok(k.kinds.includes('openat'))
})

t.test('evt.dir analysis: which directions a condition pins', async (t) => {
  const dirs = (c: string) => { const s = eventDirsOf(parseCondition(c)); return s === null ? null : [...s].sort() }
  t.same(dirs('evt.type = ptrace and evt.dir = >'), ['>'])
  t.same(dirs('evt.dir=< and fd.name = x'), ['<'])
  t.same(dirs('evt.dir != <'), ['>'])
  t.same(dirs('evt.dir in (>, <)'), ['<', '>'])
  t.same(dirs('(evt.dir = > and evt.type = ptrace) or (evt.dir = < and evt.type = openat)'), ['<', '>'])
  t.equal(dirs('evt.type = openat'), null, 'not pinned')
  t.equal(dirs('evt.dir = > or proc.name = x'), null, 'an or-branch without a direction')
  t.equal(dirs('not evt.dir = >'), null, 'negations are not analysed')
})

t.test('enter kinds: only the types of rules pinned to evt.dir = >', async (t) => {
  const base = { priority: 4 as const, tags: [], match: () => false, output: { render: () => ({ message: '', outputFields: {} }) } as never }
  const rules: CompiledRule[] = [
    { ...base, index: 0, name: 'attach', source: 'syscall', eventTypes: new Set(['ptrace']), directions: new Set(['>']) },
    { ...base, index: 1, name: 'open', source: 'syscall', eventTypes: new Set(['openat']), directions: new Set(['<']) },
    { ...base, index: 2, name: 'unanalysed', source: 'syscall', eventTypes: new Set(['mkdir']) }
  ]
  const rs = buildRuleset(rules, [], { sources: [syscallSource] })
  t.same(rs.enterEventTypes('syscall'), new Set(['ptrace']))
  const k = probeKindsFor(rs)
  t.same(k.enterKinds, ['ptrace'])
  t.ok(k.kinds.includes('ptrace') && k.kinds.includes('mkdir'))
  const anyEnter = buildRuleset([{ ...base, index: 0, name: 'all enters', source: 'syscall', eventTypes: undefined, directions: new Set(['>']) }], [], { sources: [syscallSource] })
  t.equal(anyEnter.enterEventTypes('syscall'), null)
  const k2 = probeKindsFor(anyEnter)
  t.same(k2.enterKinds, DEFAULT_KINDS.filter((x) => x !== 'procexit'), 'enter for every default kind but procexit')
})

t.test('sameProbeKinds ignores order', async (t) => {
  t.ok(sameProbeKinds({ kinds: ['a', 'b'], enterKinds: [] }, { kinds: ['b', 'a'], enterKinds: [] }))
  t.notOk(sameProbeKinds({ kinds: ['a'], enterKinds: [] }, { kinds: ['a'], enterKinds: ['a'] }))
  t.notOk(sameProbeKinds({ kinds: ['a', 'b'], enterKinds: [] }, { kinds: ['a', 'c'], enterKinds: [] }))
})

t.test('the loader records the directions a rule pins, so enter events are requested only for those rules', async (t) => {
  const { loadRules } = await import('../../src/rules/index.ts')
  const { syscallSource } = await import('../../src/syscall/fields/index.ts')
  const res = loadRules([{
    name: 'dirs.yaml',
    content: `
- rule: ptrace enter
  desc: d
  condition: evt.type = ptrace and evt.dir = >
  output: "%proc.name"
  priority: WARNING
- rule: open exit
  desc: d
  condition: evt.type = openat and evt.dir = <
  output: "%proc.name"
  priority: WARNING
`
  }], { sources: [syscallSource] })
  t.same(res.errors, [])
  const rs = res.ruleset
  t.ok(rs)
  t.same([...(rs?.enterEventTypes('syscall') ?? [])], ['ptrace'])
})
