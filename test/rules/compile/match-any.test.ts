// Match-any fields (FieldInfo.matchAny): without an argument a check tests every candidate and
// holds when any candidate satisfies the scalar operator; with an argument the field is scalar.
import t from 'tap'
import { createFieldTable, type FieldDef, type FieldTable } from '../../../src/fields/index.ts'
import { RuleError } from '../../../src/errors/index.ts'
import { parseCondition } from '../../../src/rules/lang/index.ts'
import { compileCondition, compileOperand } from '../../../src/rules/compile/index.ts'

interface Ev { anc?: string[], pids?: number[], ends?: string[], ports?: number[], throws?: boolean }

const defs: FieldDef<Ev>[] = [
  {
    name: 'm.aname', type: 'string', arg: 'optional', argKind: 'index', matchAny: true, desc: 'ancestor name',
    bind: (arg) => { const i = arg === undefined ? 0 : Number(arg) - 1; return (ev) => ev.anc?.[i] },
    candidates: (ev) => ev.anc
  },
  {
    name: 'm.apid', type: 'int', arg: 'optional', argKind: 'index', matchAny: true, desc: 'ancestor pid',
    bind: (arg) => { const i = arg === undefined ? 0 : Number(arg) - 1; return (ev) => ev.pids?.[i] },
    candidates: (ev) => ev.pids
  },
  {
    name: 'm.ip', type: 'ipaddr', matchAny: true, desc: 'either end',
    bind: () => (ev) => ev.ends?.[1],
    candidates: (ev) => { if (ev.throws === true) throw new Error('broken'); return ev.ends }
  },
  {
    name: 'm.net', type: 'ipnet', matchAny: true, desc: 'either end network',
    bind: () => (ev) => ev.ends?.[1],
    candidates: (ev) => ev.ends
  },
  { name: 'm.name', type: 'string', desc: 'a plain scalar', bind: () => (ev) => ev.anc?.[0] },
  // connection ends as Falco's fd.ip / fd.net / fd.port: `!=` needs every candidate to differ
  {
    name: 'm.endip', type: 'ipaddr', matchAny: true, notEqualAll: true, desc: 'either end (libsinsp compare_ip)',
    bind: () => (ev) => ev.ends?.[1],
    candidates: (ev) => ev.ends
  },
  {
    name: 'm.endnet', type: 'ipnet', matchAny: true, notEqualAll: true, desc: 'either end network (libsinsp compare_net)',
    bind: () => (ev) => ev.ends?.[1],
    candidates: (ev) => ev.ends
  },
  {
    name: 'm.endport', type: 'int', matchAny: true, notEqualAll: true, desc: 'either end port (libsinsp compare_port)',
    bind: () => (ev) => ev.ports?.[1],
    candidates: (ev) => ev.ports
  }
]
const table: FieldTable<Ev> = createFieldTable('m', defs)
const run = (cond: string, ev: Ev): boolean => compileCondition(parseCondition(cond), table)(ev)

// parent sshd, grandparent bash, then systemd
const tree: Ev = { anc: ['sshd', 'bash', 'systemd'], pids: [20, 10, 1] }

t.test('bare form: any candidate satisfies the operator', async (t) => {
  t.equal(run('m.aname = bash', tree), true, 'the grandparent is bash')
  t.equal(run('m.aname = zsh', tree), false)
  t.equal(run('m.aname in (zsh, systemd)', tree), true)
  t.equal(run('m.aname startswith sys', tree), true)
  t.equal(run('m.aname contains sh', tree), true)
  t.equal(run('m.aname glob "ba*"', tree), true)
  t.equal(run('m.aname regex "^s.hd$"', tree), true)
  t.equal(run('m.aname pmatch (/x, bash)', tree), true)
  t.equal(run('m.apid = 1', tree), true)
  t.equal(run('m.apid < 5', tree), true, 'ordering operators are allowed: not a list field')
  t.equal(run('m.apid > 100', tree), false)
  t.equal(run('toupper(m.aname) = BASH', tree), true, 'transformers map every candidate')
  t.equal(run('len(m.aname) = 7', tree), true, 'len applies per candidate (systemd)')
  t.equal(run('m.aname = anyof (zsh, bash)', tree), true, 'modifiers apply per candidate')
})

t.test('!= holds when any candidate differs; not = is the negation of any-equal', async (t) => {
  t.equal(run('m.aname != bash', tree), true, 'sshd differs')
  t.equal(run('m.aname != bash', { anc: ['bash', 'bash'] }), false, 'every candidate is bash')
  t.equal(run('not m.aname = bash', tree), false)
})

t.test('with an argument the field is the N-th value only', async (t) => {
  t.equal(run('m.aname[1] = bash', tree), false, 'the parent is sshd')
  t.equal(run('m.aname[2] = bash', tree), true)
  t.equal(run('m.aname[1] != bash', { anc: ['sshd', 'bash'] }), true)
  t.equal(run('m.apid[3] = 1', tree), true)
})

t.test('no candidates is absent: every comparison and exists are false', async (t) => {
  for (const ev of [{}, { anc: [] }] as Ev[]) {
    t.equal(run('m.aname = bash', ev), false)
    t.equal(run('m.aname != bash', ev), false)
    t.equal(run('m.aname exists', ev), false)
  }
  t.equal(run('m.aname exists', tree), true)
  t.equal(run('m.ip exists', { ends: ['10.0.0.1', '10.0.0.2'] }), true)
})

t.test('addresses and networks: either end', async (t) => {
  const loop: Ev = { ends: ['127.0.0.1', '127.0.0.1'] }
  const out: Ev = { ends: ['172.16.204.12', '192.168.0.1'] }
  const inbound: Ev = { ends: ['127.0.0.1', '10.0.0.5'] }
  t.equal(run('m.ip = 127.0.0.1', inbound), true, 'the client end matches')
  t.equal(run('m.ip = 10.0.0.5', inbound), true, 'the server end matches')
  t.equal(run('m.ip in (172.16.0.0/12)', out), true)
  t.equal(run('m.net = "127.0.0.0/8"', inbound), true)
  t.equal(run('m.net != "127.0.0.0/8"', loop), false, 'both ends are loopback')
  t.equal(run('m.net != "127.0.0.0/8"', out), true)
})

// Expected values written from libsinsp userspace/libsinsp/sinsp_filtercheck_fd.cpp
// (falcosecurity/libs): compare_ip — CO_EQ/CO_IN: sip matches || dip matches; CO_NE: sip differs
// && dip differs; a server socket compares its bound address only. compare_net — the same with
// the masked comparison. compare_port — CO_EQ, CO_LT, CO_LE, CO_GT, CO_GE, CO_IN: either port;
// CO_NE: both ports differ. `not X = v` is the plain negation of the either-end `=`.
t.test('connection-end fields: != holds only when both ends differ (libsinsp compare_ip/net/port)', async (t) => {
  const udp: Ev = { ends: ['0.0.0.0', '8.8.8.8'], ports: [5353, 53] }
  const out: Ev = { ends: ['172.16.204.12', '192.168.0.1'], ports: [40000, 80] }
  const loop: Ev = { ends: ['127.0.0.1', '127.0.0.1'], ports: [40001, 8080] }
  const inbound: Ev = { ends: ['127.0.0.1', '10.0.0.5'], ports: [50000, 443] }
  const listening: Ev = { ends: ['10.0.0.5'], ports: [8080] }
  const cases: Array<[string, Ev, boolean]> = [
    // compare_ip
    ['m.endip = "0.0.0.0"', udp, true],
    ['m.endip != "0.0.0.0"', udp, false],
    ['not m.endip = "0.0.0.0"', udp, false],
    ['m.endip != "0.0.0.0"', out, true],
    ['m.endip != 172.16.204.12', out, false],
    ['m.endip != 192.168.0.1', out, false],
    ['m.endip != 10.9.9.9', out, true],
    ['m.endip in (10.9.9.9, 192.168.0.1)', out, true],
    ['m.endip in (10.9.9.9)', out, false],
    ['not m.endip in (10.9.9.9, 192.168.0.1)', out, false],
    ['m.endip = 10.0.0.5', listening, true],
    ['m.endip != 10.0.0.5', listening, false],
    ['m.endip != "0.0.0.0"', listening, true],
    // compare_net
    ['m.endnet = "127.0.0.0/8"', inbound, true],
    ['m.endnet != "127.0.0.0/8"', inbound, false],
    ['m.endnet != "127.0.0.0/8"', loop, false],
    ['m.endnet != "127.0.0.0/8"', out, true],
    ['m.endnet in ("10.0.0.0/8", "192.168.0.0/16")', out, true],
    ['m.endnet != "10.0.0.0/8"', listening, false],
    // compare_port
    ['m.endport = 53', udp, true],
    ['m.endport != 53', udp, false],
    ['m.endport != 5353', udp, false],
    ['m.endport != 22', udp, true],
    ['m.endport < 1024', out, true],
    ['m.endport > 1024', out, true],
    ['m.endport >= 40001', out, false],
    ['m.endport <= 79', out, false],
    ['m.endport in (22, 80)', out, true],
    ['not m.endport in (22, 80)', out, false],
    ['m.endport != 8080', listening, false],
    ['m.endport != 22', listening, true]
  ]
  for (const [cond, ev, want] of cases) t.equal(run(cond, ev), want, `${cond} on ${JSON.stringify(ev)}`)
})

t.test('connection-end fields: no connection is absent, for != too', async (t) => {
  for (const ev of [{}, { ends: [] }] as Ev[]) {
    t.equal(run('m.endip != 10.0.0.1', ev), false)
    t.equal(run('m.endip = 10.0.0.1', ev), false)
    t.equal(run('m.endip exists', ev), false)
    t.equal(run('not m.endip = 10.0.0.1', ev), true)
  }
})

t.test('val() on the right compares each candidate with the other field', async (t) => {
  t.equal(run('m.aname = val(m.name)', { anc: ['a', 'b'] }), true)
  t.equal(run('m.name = val(m.aname)', { anc: ['a', 'b'] }), true, 'on the right a match-any field is its one printed value')
})

t.test('a throwing candidates extractor reads as absent, never throws', async (t) => {
  t.equal(run('m.ip = 10.0.0.1', { throws: true }), false)
  t.equal(run('not m.ip = 10.0.0.1', { throws: true }), true)
})

t.test('operators outside the type are still refused', async (t) => {
  const err = (cond: string): RuleError | undefined => {
    try { run(cond, tree) } catch (e) { if (e instanceof RuleError) return e; throw e }
    return undefined
  }
  t.equal(err('m.apid contains 1')?.code, 'RULE_COMPILE_BAD_OPERATOR_TYPE')
  t.equal(err('m.ip startswith 10')?.code, 'RULE_COMPILE_BAD_OPERATOR_TYPE')
})

t.test('the table decides once: candidates only for the bare form of matchAny fields', async (t) => {
  t.ok(table.bindCandidates?.('m.aname', undefined))
  t.equal(table.bindCandidates?.('m.aname', '2'), undefined)
  t.equal(table.bindCandidates?.('m.name', undefined), undefined)
  t.equal(table.info('m.aname')?.matchAny, true)
  t.notOk('candidates' in (table.list().find((f) => f.name === 'm.ip') ?? {}), 'infos carry no extractors')
  t.throws(() => createFieldTable<Ev>('bad', [{ name: 'x', type: 'int', desc: 'x', matchAny: true, bind: () => () => 1 }]), /matchAny and candidates/)
})

t.test('outputs compile the one printed value', async (t) => {
  const op = compileOperand<Ev>({ kind: 'field', name: 'm.aname', pos: { offset: 0, line: 1, col: 1 } } as never, table)
  t.equal(op.extract(tree), 'sshd')
  t.equal(op.isList, false)
})
