// The syscall table's match-any fields, through the real compiler: bare proc.aname & co. test
// every ancestor, fd.ip/fd.port/fd.net test both ends; outputs still print one value.
import t from 'tap'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { parseCondition } from '../../../src/rules/lang/index.ts'
import { compileCondition } from '../../../src/rules/compile/index.ts'
import { compileOutput } from '../../../src/rules/format/output-format.ts'
import type { SyscallEvent } from '../../../src/syscall/event.ts'
import { fakeProc, rec } from '../state/fake-proc.ts'

const matches = (cond: string, ev: SyscallEvent): boolean => compileCondition(parseCondition(cond), syscallFields)(ev)

// systemd(1) -> bash(10) -> sshd(20); the events come from a child of sshd
function world (t: { teardown(fn: () => void): void }) {
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd', cwd: '/' },
    { pid: 10, ppid: 1, comm: 'bash', argv: ['-bash', '--login'], exe: '/usr/bin/bash', cwd: '/root' },
    { pid: 20, ppid: 10, comm: 'sshd', argv: ['sshd: root'], exe: '/usr/sbin/sshd', cwd: '/' }
  ])
  t.teardown(fp.cleanup)
  const users = userDbFrom([{ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' }], [{ name: 'root', gid: 0 }])
  const en = createEnricher({ procRoot: fp.root, users, hostname: 'node-1' })
  en.enrich(rec('fork', { pid: 30, tid: 30, ppid: 20, res: 0 }))
  const exec = en.enrich(rec('execve', { pid: 30, ppid: 20, comm: 'curl', argv: ['curl', 'x'], args: { filename: '/usr/bin/curl', exe: 'curl', args: 'x', cwd: '/' } }))
  return { en, exec }
}

t.test('bare proc.aname matches any ancestor; proc.aname[N] only the N-th', async (t) => {
  const { exec } = world(t)
  t.equal(matches('proc.aname = bash', exec), true, 'the grandparent is bash')
  t.equal(matches('proc.aname[1] = bash', exec), false, 'the parent is sshd')
  t.equal(matches('proc.aname[2] = bash', exec), true)
  t.equal(matches('proc.aname = systemd', exec), true, 'up to the root')
  t.equal(matches('proc.aname = curl', exec), false, 'the process itself is not its own ancestor')
  t.equal(matches('proc.aname != sshd', exec), true, 'another ancestor differs')
  t.equal(matches('proc.aname in (zsh, bash)', exec), true)
  t.equal(matches('proc.apid = 1', exec), true)
  t.equal(matches('proc.apid[1] = 1', exec), false)
  t.equal(matches('proc.aexe = -bash', exec), true)
  t.equal(matches('proc.aexepath = /usr/lib/systemd/systemd', exec), true)
  t.equal(matches('proc.acmdline = "bash --login"', exec), true)
  t.equal(matches('proc.acmdline[1] = "bash --login"', exec), false)
})

t.test('fd.ip / fd.port / fd.net match either end of the connection', async (t) => {
  const { en } = world(t)
  const out = en.enrich(rec('connect', { pid: 30, res: 0, args: { fd: 7, family: 'ipv4', l4proto: 'tcp', lip: '172.16.204.12', lport: 40000, rip: '192.168.0.1', rport: 80 } }))
  t.equal(matches('fd.ip = 172.16.204.12', out), true, 'the client end')
  t.equal(matches('fd.ip = 192.168.0.1', out), true, 'the server end')
  t.equal(matches('fd.ip = 10.0.0.1', out), false)
  t.equal(matches('fd.port = 40000', out), true)
  t.equal(matches('fd.port = 80', out), true)
  t.equal(matches('fd.port < 1024', out), true, 'every int operator applies')
  t.equal(matches('fd.net = "172.16.0.0/12"', out), true)
  t.equal(matches('fd.net != "127.0.0.0/8"', out), true, 'neither end is loopback')

  const loop = en.enrich(rec('connect', { pid: 30, res: 0, args: { fd: 8, family: 'ipv4', l4proto: 'tcp', lip: '127.0.0.1', lport: 40001, rip: '127.0.0.1', rport: 8080 } }))
  t.equal(matches('fd.ip = 127.0.0.1', loop), true)
  t.equal(matches('fd.net != "127.0.0.0/8"', loop), false, 'both ends are loopback')
  t.equal(matches('not fd.net = "127.0.0.0/8"', loop), false)

  const local = en.enrich(rec('connect', { pid: 30, res: 0, args: { fd: 9, family: 'ipv4', l4proto: 'tcp', lip: '127.0.0.1', lport: 40002, rip: '10.0.0.5', rport: 443 } }))
  t.equal(matches('fd.ip = 127.0.0.1', local), true, 'the loopback client end alone is enough')

  const file = en.enrich(rec('openat', { pid: 30, res: 5, args: { dirfd: -100, name: '/etc/hosts', flags: 0 } }))
  t.equal(matches('fd.ip exists', file), false, 'no connection: no candidates')
  t.equal(matches('fd.ip != 127.0.0.1', file), false)
  t.equal(matches('fd.proto = 80', out), true, 'fd.proto is a port field like fd.port (libsinsp compare_port)')
  t.equal(matches('fd.proto = 40000', out), true)
})

// Expected values from libsinsp sinsp_filtercheck_fd.cpp compare_ip / compare_net / compare_port:
// `=`, `in` and the port orderings hold when either end does; `!=` only when both ends differ; a
// server (bound/listening) socket compares its bound address and port only.
t.test('fd.ip / fd.net / fd.port !=: both ends must differ, as libsinsp compares them', async (t) => {
  const { en } = world(t)
  // an unconnected UDP send from an unbound socket: the source is 0.0.0.0
  const udp = en.enrich(rec('sendto', { pid: 30, res: 40, args: { fd: 6, size: 40, addr: '8.8.8.8:53', family: 'ipv4', l4proto: 'udp', lip: '0.0.0.0', lport: 5353, rip: '0.0.0.0', rport: 0 } }))
  t.equal(udp.fd?.tuple?.cip, '0.0.0.0', 'premise: the client end is 0.0.0.0')
  t.equal(matches('fd.ip = "0.0.0.0"', udp), true)
  t.equal(matches('fd.ip != "0.0.0.0"', udp), false, 'the source is 0.0.0.0: not both ends differ')
  t.equal(matches('fd.ip != "9.9.9.9"', udp), true)
  t.equal(matches('fd.net != "127.0.0.0/8"', udp), true)
  t.equal(matches('fd.port != 53', udp), false)
  t.equal(matches('fd.port != 5353', udp), false)
  t.equal(matches('fd.port = 53', udp), true)

  const out = en.enrich(rec('connect', { pid: 30, res: 0, args: { fd: 7, family: 'ipv4', l4proto: 'tcp', lip: '172.16.204.12', lport: 40000, rip: '192.168.0.1', rport: 80 } }))
  t.equal(matches('fd.ip != 192.168.0.1', out), false, 'the server end is equal')
  t.equal(matches('fd.ip != 10.1.1.1', out), true)
  t.equal(matches('fd.net != "192.168.0.0/16"', out), false)
  t.equal(matches('fd.port != 80', out), false)
  t.equal(matches('fd.port != 443', out), true)
  t.equal(matches('not fd.port in (80, 443)', out), false)

  const v6 = en.enrich(rec('connect', { pid: 30, res: 0, args: { fd: 8, family: 'ipv6', l4proto: 'tcp', lip: '::1', lport: 40003, rip: '::1', rport: 8443 } }))
  t.equal(matches('fd.ip = "::1"', v6), true)
  t.equal(matches('fd.ip != "::1"', v6), false)
  t.equal(matches('fd.net != "::1/128"', v6), false)
})

t.test('a listening socket compares its bound end only', async (t) => {
  const { en } = world(t)
  en.enrich(rec('socket', { pid: 30, res: 9, args: { domain: 2, type: 1, proto: 0 } }))
  const bound = en.enrich(rec('bind', { pid: 30, res: 0, args: { fd: 9, family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 8080 } }))
  t.equal(bound.fd?.tuple?.sip, '10.0.0.5', 'premise: bind records the bound end as the server')
  t.equal(matches('fd.ip = 10.0.0.5', bound), true)
  t.equal(matches('fd.ip = "0.0.0.0"', bound), false, 'no client end to compare')
  t.equal(matches('fd.ip != "0.0.0.0"', bound), true)
  t.equal(matches('fd.port != 0', bound), true)
  t.equal(matches('fd.port = 8080', bound), true)
  t.equal(matches('fd.port != 8080', bound), false)
})

t.test('outputs print one value: the server end and the parent, as before', async (t) => {
  const { en, exec } = world(t)
  const c = en.enrich(rec('connect', { pid: 30, res: 0, args: { fd: 7, family: 'ipv4', l4proto: 'tcp', lip: '172.16.204.12', lport: 40000, rip: '192.168.0.1', rport: 80 } }))
  const o = compileOutput('%fd.ip:%fd.port %fd.net %proc.aname %proc.apid', syscallFields)
  const r = o.render(c)
  t.equal(r.message, '192.168.0.1:80 192.168.0.1 sshd 20')
  t.same(r.outputFields, { 'fd.ip': '192.168.0.1', 'fd.port': 80, 'fd.net': '192.168.0.1', 'proc.aname': 'sshd', 'proc.apid': 20 })
  t.equal(o.render(exec).message, '<NA>:<NA> <NA> sshd 20')
})

t.test('the table marks exactly Falco\'s match-any fields', async (t) => {
  const marked = syscallFields.list().filter((f) => f.matchAny === true).map((f) => f.name).sort()
  t.same(marked, ['fd.ip', 'fd.net', 'fd.port', 'fd.proto', 'proc.acmdline', 'proc.aexe', 'proc.aexepath', 'proc.aname', 'proc.apid'])
  t.ok(syscallFields.bindCandidates?.('proc.aname', undefined))
  t.equal(syscallFields.bindCandidates?.('proc.aname', '1'), undefined)
  t.equal(syscallFields.bindCandidates?.('fd.sip', undefined), undefined)
  t.equal(syscallFields.bindCandidates?.('evt.arg.flags', undefined), undefined)
})
