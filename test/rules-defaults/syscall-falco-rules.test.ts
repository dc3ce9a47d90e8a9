import t from 'tap'
import { readFileSync } from 'node:fs'
import { loadRules } from '../../src/rules/index.ts'
import type { Alert } from '../../src/events/index.ts'
import { syscallSource } from '../../src/syscall/fields/index.ts'
import { createEnricher } from '../../src/syscall/enrich.ts'
import { userDbFrom } from '../../src/syscall/state/users.ts'
import { fakeProc, rec } from '../syscall/state/fake-proc.ts'

// ../shared beside the repository (never an absolute path: it exists only where the checkout sits next to it)
const FALCO = readFileSync(new URL('../../../shared/reference/cases/falco_rules.v1.0.1.yaml', import.meta.url), 'utf8')
const OURS = readFileSync(new URL('../../rules/syscall_rules.yaml', import.meta.url), 'utf8')

t.test("Falco's falco_rules.yaml v1.0.1 loads unchanged with zero errors", async (t) => {
  const r = loadRules([{ name: 'falco_rules.yaml', content: FALCO }], { sources: [syscallSource] })
  t.equal(r.ok, true)
  t.same(r.errors, [])
  // the only warnings: %container.info, deprecated and dropped from outputs as Falco does; the
  // executable inode times "Drop and execute new binary in container" prints have data now
  t.same([...new Set(r.warnings.map((w) => w.code))].sort(), ['LOAD_DEPRECATED_FIELD'])
  t.same(r.warnings.filter((w) => w.code === 'LOAD_FIELD_NO_DATA'), [], 'no field without data')
  t.ok((r.ruleset?.activeCount('syscall') ?? 0) >= 50, `${r.ruleset?.activeCount('syscall')} active rules`)
})

t.test("Falco's rules and Lanner's defaults load together without clashes", async (t) => {
  const r = loadRules([{ name: 'falco_rules.yaml', content: FALCO }, { name: 'syscall_rules.yaml', content: OURS }], { sources: [syscallSource] })
  t.same(r.errors, [])
  const names = r.ruleset?.rules.map((x) => x.name) ?? []
  t.equal(new Set(names).size, names.length, 'no rule redefined')
})

t.test("Falco's own rules fire on enriched events", async (t) => {
  const r = loadRules([{ name: 'falco_rules.yaml', content: FALCO }], { sources: [syscallSource], ruleMatching: 'all' })
  const rs = r.ruleset!
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], cwd: '/' },
    { pid: 30, ppid: 1, comm: 'bash', argv: ['bash'], cwd: '/root' }
  ])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([{ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' }], []) })
  const fired = (records: Parameters<typeof en.enrich>[0][]): Alert[] => {
    const out: Alert[] = []
    for (const x of records) rs.evaluate('syscall', en.enrich(x), (a) => out.push(a))
    return out
  }
  fired([
    rec('clone', { pid: 30, res: 31, args: { flags: 0x01200011 } }),
    rec('execve', { pid: 31, ppid: 30, comm: 'python3', argv: ['python3', 'steal.py'], args: { filename: '/usr/bin/python3', exe: 'python3', args: 'steal.py', cwd: '/root' } })
  ])
  const shadow = fired([rec('openat', { pid: 31, ppid: 30, res: 3, args: { dirfd: -100, name: '/etc/shadow', flags: 0 } })])
  t.ok(shadow.some((a) => a.rule === 'Read sensitive file untrusted'), shadow.map((a) => a.rule).join(', '))
  const benign = fired([rec('openat', { pid: 31, ppid: 30, res: 4, args: { dirfd: -100, name: '/etc/hostname', flags: 0 } })])
  t.same(benign.map((a) => a.rule), [])
})
