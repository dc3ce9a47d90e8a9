// fd.cip.name / fd.sip.name / fd.lip.name / fd.rip.name as Falco fills them (libsinsp
// dns_manager.cpp + sinsp_filtercheck_fd.cpp compare_domain): the names a rule compares with are
// resolved forward, a check holds when the connection's address is one of the name's addresses
// (`!=`: when it is not), and the printed value is the watched name resolving to the address.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { syscallFields, syscallSource } from '../../../src/syscall/fields/index.ts'
import { dnsSettled, onDnsProblem, resetDnsNames, type DnsProblem } from '../../../src/syscall/fields/dns-names.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { parseCondition } from '../../../src/rules/lang/index.ts'
import { compileCondition } from '../../../src/rules/compile/index.ts'
import { compileOutput } from '../../../src/rules/format/output-format.ts'
import { loadRules } from '../../../src/rules/index.ts'
import type { Alert } from '../../../src/events/index.ts'
import type { SyscallEvent } from '../../../src/syscall/event.ts'
import { fakeProc, rec } from '../state/fake-proc.ts'

const CID = '3db00b476ee2a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a'
const compile = (cond: string): (ev: SyscallEvent) => boolean => compileCondition(parseCondition(cond), syscallFields)
const ZONE: Record<string, string[]> = {
  'kubernetes.default.svc.cluster.local': ['10.96.0.1'],
  'pool.miner.example': ['203.0.113.7', '2001:db8::7'],
  'also.miner.example': ['203.0.113.7']
}
const fakeLookup = async (name: string): Promise<string[]> => {
  const a = ZONE[name]
  if (a === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
  return a
}

function world (t: { teardown(fn: () => void): void }) {
  const cg = `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podu1.slice/cri-containerd-${CID}.scope\n`
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], cwd: '/' },
    { pid: 20, ppid: 1, comm: 'curl', argv: ['curl', 'https://kubernetes.default'], cwd: '/', cgroup: cg }
  ])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([{ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' }], []), hostname: 'node-1' })
  const connect = (fd: number, lip: string, rip: string, rport: number, family: 'ipv4' | 'ipv6' = 'ipv4'): SyscallEvent =>
    en.enrich(rec('connect', { pid: 20, containerId: CID, res: 0, args: { fd, family, l4proto: 'tcp', lip, lport: 40000 + fd, rip, rport } }))
  return { en, connect }
}

t.beforeEach(() => { resetDnsNames(fakeLookup) })
t.teardown(() => { resetDnsNames(); onDnsProblem(undefined) })

t.test('=, != and in compare the address with the names\' addresses', async (t) => {
  const { connect } = world(t)
  const api = connect(3, '10.244.1.5', '10.96.0.1', 443)
  const other = connect(4, '10.244.1.5', '10.96.0.2', 443)
  const eq = compile('fd.sip.name = kubernetes.default.svc.cluster.local')
  const ne = compile('fd.sip.name != kubernetes.default.svc.cluster.local')
  const inList = compile('fd.sip.name in (nope.example, pool.miner.example)')
  t.equal(eq(api), false, 'before the first answer the name has no addresses')
  await dnsSettled()
  t.equal(eq(api), true)
  t.equal(eq(other), false)
  t.equal(ne(api), false)
  t.equal(ne(other), true)
  const miner = connect(5, '10.244.1.5', '203.0.113.7', 3333)
  const miner6 = connect(6, 'fd00::5', '2001:db8::7', 3333, 'ipv6')
  await dnsSettled()
  t.equal(inList(miner), true)
  t.equal(inList(miner6), true, 'IPv6 addresses too')
  t.equal(inList(api), false)
  t.equal(compile('fd.cip.name = pool.miner.example')(miner), false, 'the client end is 10.244.1.5')
  t.equal(compile('fd.rip.name = pool.miner.example')(miner), true, 'remote = server for a connect')
  t.equal(compile('fd.lip.name = pool.miner.example')(miner), false)
})

t.test('no IP connection: every check is false, != included', async (t) => {
  const { en } = world(t)
  const file = en.enrich(rec('openat', { pid: 20, containerId: CID, res: 5, args: { dirfd: -100, name: '/etc/hosts', flags: 0 } }))
  const ne = compile('fd.sip.name != kubernetes.default.svc.cluster.local')
  await dnsSettled()
  t.equal(ne(file), false)
  t.equal(compile('fd.sip.name exists')(file), false)
})

t.test('outputs print the watched name resolving to the address (the smallest, as libsinsp\'s map)', async (t) => {
  const { connect } = world(t)
  compile('fd.sip.name in (pool.miner.example, also.miner.example)')
  await dnsSettled()
  const o = compileOutput('dst=%fd.sip.name src=%fd.cip.name', syscallFields)
  const r = o.render(connect(7, '10.244.1.5', '203.0.113.7', 3333))
  t.equal(r.message, 'dst=also.miner.example src=<NA>')
  t.same(r.outputFields, { 'fd.sip.name': 'also.miner.example', 'fd.cip.name': null })
})

t.test('a name that does not resolve is reported, and matches nothing', async (t) => {
  const problems: DnsProblem[] = []
  onDnsProblem((p) => problems.push(p))
  const { connect } = world(t)
  const eq = compile('fd.sip.name = gone.example')
  await dnsSettled()
  t.same(problems, [{ name: 'gone.example', error: 'ENOTFOUND' }])
  t.equal(eq(connect(8, '10.244.1.5', '10.96.0.1', 443)), false)
})

t.test('a failing name is reported once, not on every refresh; again after it recovered and failed', async (t) => {
  let answer: string[] | undefined
  const problems: DnsProblem[] = []
  onDnsProblem((p) => problems.push(p))
  resetDnsNames(async () => { if (answer === undefined) throw Object.assign(new Error('down'), { code: 'EAI_AGAIN' }); return answer })
  const { refreshNow } = await import('../../../src/syscall/fields/dns-names.ts')
  compile('fd.sip.name = flaky.example')
  await dnsSettled()
  await refreshNow()
  await refreshNow()
  t.same(problems, [{ name: 'flaky.example', error: 'EAI_AGAIN' }], 'three failed lookups, one report')
  answer = ['10.1.1.1']
  await refreshNow()
  answer = undefined
  await refreshNow()
  t.same(problems.map((p) => p.error), ['EAI_AGAIN', 'EAI_AGAIN'], 'reported again after a recovery')
})

t.test('the system resolver: localhost from /etc/hosts', async (t) => {
  // the suite turns lookups off (test/helpers/offline-env.ts); localhost is answered by /etc/hosts
  // without any network traffic, so this one test uses the system resolver
  const saved = process.env.LANNER_DNS_LOOKUP
  delete process.env.LANNER_DNS_LOOKUP
  t.teardown(() => { if (saved !== undefined) process.env.LANNER_DNS_LOOKUP = saved })
  resetDnsNames()
  const { connect } = world(t)
  const eq = compile('fd.sip.name = localhost')
  await dnsSettled()
  t.equal(eq(connect(9, '127.0.0.1', '127.0.0.1', 8080)), true)
  t.equal(eq(connect(10, '10.244.1.5', '10.96.0.1', 443)), false)
})

t.test('LANNER_DNS_LOOKUP=off: no lookup at all; each name reported once as not resolving, its checks do not match', async (t) => {
  const saved = process.env.LANNER_DNS_LOOKUP
  process.env.LANNER_DNS_LOOKUP = 'off'
  t.teardown(() => { if (saved === undefined) delete process.env.LANNER_DNS_LOOKUP; else process.env.LANNER_DNS_LOOKUP = saved })
  const problems: DnsProblem[] = []
  onDnsProblem((p) => problems.push(p))
  resetDnsNames()
  const { connect } = world(t)
  const eq = compile('fd.sip.name = localhost')
  await dnsSettled()
  t.same(problems, [{ name: 'localhost', error: 'ELOOKUPOFF' }])
  t.equal(eq(connect(9, '127.0.0.1', '127.0.0.1', 8080)), false, 'even /etc/hosts is not read')
})

t.test("upstream 'Contact K8S API Server From Container' fires for a connect to the API server's address", async (t) => {
  const content = readFileSync(resolve(new URL('../../../', import.meta.url).pathname, '../shared/reference/falco-rules/falco_rules.yaml'), 'utf8')
  const r = loadRules([{ name: 'falco_rules.yaml', content }], { sources: [syscallSource], ruleMatching: 'all' })
  t.same(r.errors, [])
  t.same(r.warnings.filter((w) => w.location?.itemName === 'Contact K8S API Server From Container'), [], 'no no-data warning: the field has data')
  const { connect } = world(t)
  await dnsSettled()
  const fired = (ev: SyscallEvent): string[] => {
    const out: Alert[] = []
    r.ruleset?.evaluate('syscall', ev, (a) => out.push(a))
    return out.map((a) => a.rule)
  }
  t.ok(fired(connect(11, '10.244.1.5', '10.96.0.1', 443)).includes('Contact K8S API Server From Container'))
  t.notOk(fired(connect(12, '10.244.1.5', '10.96.0.9', 443)).includes('Contact K8S API Server From Container'))
})
