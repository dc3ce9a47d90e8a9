// State transitions record by record, read back through the fields a rule sees. Records carry the
// arguments the decoder writes (record.ts: text socket parts, numbers, rec.argv/comm on exec);
// each scenario starts from the same fake /proc: bash (100, cwd /home/alice) under systemd (1).
import t from 'tap'
import { createEnricher, type Enricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import type { SyscallRecord } from '../../../src/syscall/record.ts'
import { fakeProc, rec } from './fake-proc.ts'

type Ev = ReturnType<Enricher['enrich']>

function setup (t: { teardown(fn: () => void): void }): { en: Enricher, add: ReturnType<typeof fakeProc>['add'] } {
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd', cwd: '/' },
    { pid: 100, ppid: 1, comm: 'bash', argv: ['-bash'], exe: '/usr/bin/bash', cwd: '/home/alice', uid: 1000, fds: { 0: '/dev/pts/0', 7: 'socket:[123]' } }
  ])
  t.teardown(fp.cleanup)
  return { en: createEnricher({ procRoot: fp.root, users: userDbFrom([], []), hostname: 'node-1' }), add: fp.add }
}

/** the named fields of an event, absent ones left out */
function view (ev: Ev, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const n of names) {
    const v = syscallFields.bind(n, undefined)(ev)
    if (v !== undefined) out[n] = v
  }
  return out
}

function run (en: Enricher, records: SyscallRecord[]): Ev {
  let last: Ev | undefined
  for (const r of records) last = en.enrich(r)
  return last as Ev
}

const FD = ['fd.num', 'fd.type', 'fd.name', 'fd.nameraw']

t.test('open, creat and openat: how the name resolves', async (t) => {
  const { en } = setup(t)
  t.same(view(en.enrich(rec('open', { pid: 100, res: 3, args: { fd: 3, name: 'notes', flags: 0, mode: 0 } })), FD),
    { 'fd.num': 3, 'fd.type': 'file', 'fd.name': '/home/alice/notes', 'fd.nameraw': 'notes' }, 'open(2) is relative to the cwd')
  t.same(view(en.enrich(rec('creat', { pid: 100, res: 4, args: { fd: 4, name: 'out.txt', mode: 0o644 } })), FD),
    { 'fd.num': 4, 'fd.type': 'file', 'fd.name': '/home/alice/out.txt', 'fd.nameraw': 'out.txt' })
  const dir = en.enrich(rec('openat', { pid: 100, res: 5, args: { fd: 5, dirfd: -100, name: '/srv/./www', flags: 0o200000, mode: 0 } }))
  t.same(view(dir, FD), { 'fd.num': 5, 'fd.type': 'directory', 'fd.name': '/srv/www', 'fd.nameraw': '/srv/./www' })
  t.same(view(en.enrich(rec('openat', { pid: 100, res: 6, args: { fd: 6, dirfd: 5, name: '../etc/../index.html', flags: 0, mode: 0 } })), FD),
    { 'fd.num': 6, 'fd.type': 'file', 'fd.name': '/srv/index.html', 'fd.nameraw': '../etc/../index.html' }, 'relative to a directory fd')
  t.same(view(en.enrich(rec('openat', { pid: 100, res: 8, args: { fd: 8, dirfd: 7, name: 'x', flags: 0, mode: 0 } })), FD),
    { 'fd.num': 8, 'fd.type': 'file', 'fd.name': 'x', 'fd.nameraw': 'x' }, 'relative to a socket fd: no directory to resolve against')
  t.same(view(en.enrich(rec('openat', { pid: 100, res: -2, args: { fd: -2, dirfd: -100, name: '', flags: 0, mode: 0 } })), FD),
    { 'fd.num': -1, 'fd.type': 'file' }, 'a failed open of "": no name, fd -1')
  t.equal(en.procs.peek(100)?.fds.has(-2), false, 'a failed open adds no fd')
  // creat's flags are O_WRONLY|O_CREAT|O_TRUNC: no O_CLOEXEC, so the fd survives an exec
  const after = en.enrich(rec('execve', { pid: 100, comm: 'sh', argv: ['sh'], args: { filename: '/bin/sh', exe: 'sh', args: '' } }))
  t.equal(after.proc?.fds.get(4)?.name, '/home/alice/out.txt')
  // a process we cannot find anywhere: the event still shows what it opened
  t.same(view(en.enrich(rec('openat', { pid: 4444, res: 3, args: { fd: 3, dirfd: -100, name: 'rel', flags: 0, mode: 0 } })), [...FD, 'proc.pid']),
    { 'fd.num': 3, 'fd.type': 'file', 'fd.name': 'rel', 'fd.nameraw': 'rel' })
})

t.test('socket(2): kind and protocol from domain, type and protocol', async (t) => {
  const { en } = setup(t)
  const sock = (res: number, domain: number, type: number, proto: number): Record<string, unknown> =>
    view(en.enrich(rec('socket', { pid: 100, res, args: { fd: res, domain, type, proto } })), ['fd.num', 'fd.type', 'fd.typechar', 'fd.l4proto', 'fd.name'])
  t.same(sock(10, 10, 2 | 0o2000000, 0), { 'fd.num': 10, 'fd.type': 'ipv6', 'fd.typechar': '6', 'fd.l4proto': 'udp' }, 'AF_INET6 SOCK_DGRAM|SOCK_CLOEXEC')
  t.same(sock(11, 2, 3, 1), { 'fd.num': 11, 'fd.type': 'ipv4', 'fd.typechar': '4', 'fd.l4proto': 'raw' }, 'SOCK_RAW')
  t.same(sock(12, 2, 5, 6), { 'fd.num': 12, 'fd.type': 'ipv4', 'fd.typechar': '4', 'fd.l4proto': 'tcp' }, 'SOCK_SEQPACKET: the protocol argument decides')
  t.same(sock(13, 16, 3, 0), { 'fd.num': 13, 'fd.type': 'netlink', 'fd.typechar': 'n' })
  t.same(sock(14, 1, 1, 0), { 'fd.num': 14, 'fd.type': 'unix', 'fd.typechar': 'u' })
  t.same(sock(15, 17, 3, 768), { 'fd.num': 15, 'fd.typechar': 'o' }, 'AF_PACKET: unknown')
  const failed = en.enrich(rec('socket', { pid: 100, res: -97, args: { fd: -97, domain: 2, type: 1, proto: 0 } }))
  t.equal(failed.fd, undefined, 'EAFNOSUPPORT: no fd')
  t.equal(failed.proc?.name, 'bash')
})

t.test('unix sockets: connect, accept, failures', async (t) => {
  const { en } = setup(t)
  const names = ['fd.num', 'fd.type', 'fd.name', 'fd.connected', 'fd.name_changed']
  t.same(view(en.enrich(rec('connect', { pid: 100, res: 0, args: { fd: 9, family: 'unix', addr: '/run/docker.sock' } })), names),
    { 'fd.num': 9, 'fd.type': 'unix', 'fd.name': '/run/docker.sock', 'fd.connected': true, 'fd.name_changed': false })
  t.equal(en.procs.peek(100)?.fds.get(9)?.name, '/run/docker.sock')
  const refused = en.enrich(rec('connect', { pid: 100, res: -2, args: { fd: 10, family: 'unix', addr: '/run/gone.sock' } }))
  t.same(view(refused, names), { 'fd.num': 10, 'fd.type': 'unix', 'fd.name': '/run/gone.sock', 'fd.connected': false, 'fd.name_changed': false })
  t.equal(en.procs.peek(100)?.fds.has(10), false, 'a failed connect is not remembered')
  t.same(view(en.enrich(rec('accept4', { pid: 100, res: 11, args: { fd: 11, flags: 0, family: 'unix' } })), names),
    { 'fd.num': 11, 'fd.type': 'unix', 'fd.connected': false, 'fd.name_changed': false }, 'an accepted unix connection has no name of its own')
  // the same fd connects elsewhere: the name changed
  t.same(view(en.enrich(rec('connect', { pid: 100, res: 0, args: { fd: 9, family: 'unix', addr: '/run/containerd.sock' } })), names),
    { 'fd.num': 9, 'fd.type': 'unix', 'fd.name': '/run/containerd.sock', 'fd.connected': true, 'fd.name_changed': true })
  t.equal(en.enrich(rec('accept', { pid: 100, res: -11, args: { fd: -11 } })).fd, undefined, 'EAGAIN: no fd')
  t.equal(en.enrich(rec('sendto', { pid: 100, res: 5, args: { size: 5 } })).fd, undefined, 'no fd argument: none invented')
})

t.test('IP sockets: bind, listen, recvfrom, sendto, and what a record without a kernel tuple keeps', async (t) => {
  const { en } = setup(t)
  const names = ['fd.name', 'fd.is_server', 'fd.connected', 'fd.l4proto', 'fd.cip', 'fd.cport', 'fd.sip', 'fd.sport', 'fd.name_changed']
  en.enrich(rec('socket', { pid: 100, res: 20, args: { fd: 20, domain: 2, type: 2, proto: 0 } }))
  t.same(view(en.enrich(rec('bind', { pid: 100, res: 0, args: { fd: 20, addr: '0.0.0.0:5353', family: 'ipv4', l4proto: 'udp', lip: '0.0.0.0', lport: 5353, rip: '0.0.0.0', rport: 0 } })), names),
    { 'fd.name': '0.0.0.0:5353', 'fd.is_server': true, 'fd.connected': false, 'fd.l4proto': 'udp', 'fd.cip': '0.0.0.0', 'fd.cport': 0, 'fd.sip': '0.0.0.0', 'fd.sport': 5353, 'fd.name_changed': false })
  // a datagram arrives: the sender is the client of this server socket
  t.same(view(en.enrich(rec('recvfrom', { pid: 100, res: 48, args: { fd: 20, size: 512, addr: '10.0.0.9:40000', family: 'ipv4', l4proto: 'udp', lip: '0.0.0.0', lport: 5353, rip: '10.0.0.9', rport: 40000 } })), names),
    { 'fd.name': '10.0.0.9:40000->0.0.0.0:5353', 'fd.is_server': true, 'fd.connected': false, 'fd.l4proto': 'udp', 'fd.cip': '10.0.0.9', 'fd.cport': 40000, 'fd.sip': '0.0.0.0', 'fd.sport': 5353, 'fd.name_changed': true })
  // a sendto whose record has only the sockaddr (no kernel tuple): the socket's protocol stays udp
  t.has(view(en.enrich(rec('sendto', { pid: 100, res: 48, args: { fd: 20, size: 48, addr: '10.0.0.9:40000' } })), names),
    { 'fd.is_server': false, 'fd.connected': false, 'fd.l4proto': 'udp', 'fd.sip': '10.0.0.9', 'fd.sport': 40000, 'fd.name_changed': true })
  // a TCP socket connected before we attached: its first sendto carries the kernel's peer and no sockaddr
  t.same(view(en.enrich(rec('sendto', { pid: 100, res: 10, args: { fd: 21, size: 10, family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 50000, rip: '10.0.0.7', rport: 443, tuple: '10.0.0.5:50000->10.0.0.7:443' } })), names),
    { 'fd.name': '10.0.0.5:50000->10.0.0.7:443', 'fd.is_server': false, 'fd.connected': true, 'fd.l4proto': 'tcp', 'fd.cip': '10.0.0.5', 'fd.cport': 50000, 'fd.sip': '10.0.0.7', 'fd.sport': 443, 'fd.name_changed': false })
  const again = en.enrich(rec('sendmsg', { pid: 100, res: 10, args: { fd: 21, family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 50000, rip: '10.0.0.7', rport: 443 } }))
  t.equal(again.fd, en.procs.peek(100)?.fds.get(21), 'a connected socket\'s later sends keep its fd as it is')
  // listen on a socket bound through a connect we saw first keeps the connection's name
  en.enrich(rec('connect', { pid: 100, res: 0, args: { fd: 22, addr: '10.0.0.8:80', family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 50001, rip: '10.0.0.8', rport: 80 } }))
  t.same(view(en.enrich(rec('listen', { pid: 100, res: -22, args: { fd: 22, backlog: 5, family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 50001, rip: '10.0.0.8', rport: 80 } })), ['fd.name']),
    { 'fd.name': '10.0.0.5:50001->10.0.0.8:80' }, 'EINVAL listen on a connected socket: its name stays the connection')
  t.equal(en.procs.peek(100)?.fds.get(22)?.connected, true, 'the failed listen changed nothing')
  // a record with no endpoint at all (the probe could not read the socket) shows what we knew
  t.same(view(en.enrich(rec('connect', { pid: 100, res: -111, args: { fd: 22 } })), ['fd.name']), { 'fd.name': '10.0.0.5:50001->10.0.0.8:80' })
  t.equal(en.enrich(rec('connect', { pid: 100, res: -111, args: { fd: 23 } })).fd, undefined, 'nor of an fd we never saw')
})

t.test('dup, dup2, dup3 and memfd_create', async (t) => {
  const { en } = setup(t)
  en.enrich(rec('openat', { pid: 100, res: 3, args: { fd: 3, dirfd: -100, name: '/var/log/app.log', flags: 0o2000001, mode: 0 } }))
  t.same(view(en.enrich(rec('dup', { pid: 100, res: 4, args: { oldfd: 3 } })), FD),
    { 'fd.num': 4, 'fd.type': 'file', 'fd.name': '/var/log/app.log', 'fd.nameraw': '/var/log/app.log' })
  t.equal(en.enrich(rec('dup', { pid: 100, res: -9, args: { oldfd: 99 } })).fd, undefined, 'EBADF: no fd')
  t.equal(en.enrich(rec('dup2', { pid: 100, res: 5, args: { oldfd: 42, newfd: 5 } })).fd, undefined, 'a source we never saw: nothing copied')
  // the inherited socket fd 7 has no open flags of its own; dup3 with O_CLOEXEC gives the copy some
  en.enrich(rec('sendto', { pid: 100, res: 1, args: { fd: 7 } }))
  en.enrich(rec('dup3', { pid: 100, res: 8, args: { oldfd: 7, newfd: 8, flags: 0o2000000 } }))
  en.enrich(rec('dup3', { pid: 100, res: 9, args: { oldfd: 7, newfd: 9 } }))
  const memfd = en.enrich(rec('memfd_create', { pid: 100, res: 10, args: { fd: 10, name: 'jit', flags: 1 } }))
  t.same(view(memfd, ['fd.num', 'fd.type', 'fd.typechar', 'fd.name']), { 'fd.num': 10, 'fd.type': 'memfd', 'fd.typechar': 'm', 'fd.name': 'memfd:jit' })
  t.equal(en.enrich(rec('memfd_create', { pid: 100, res: -24, args: { fd: -24, name: 'jit', flags: 1 } })).fd, undefined, 'EMFILE: no fd')
  const ex = en.enrich(rec('execve', { pid: 100, comm: 'app', argv: ['app'], args: { filename: '/usr/bin/app', exe: 'app', args: '' } }))
  t.same([...(ex.proc?.fds.keys() ?? [])].sort((a, b) => a - b), [4, 7, 9],
    'exec keeps the dup (dup clears O_CLOEXEC), the socket and its plain dup3 copy; drops the O_CLOEXEC original, the O_CLOEXEC dup3 copy and the MFD_CLOEXEC memfd')
})

t.test('chdir and fchdir', async (t) => {
  const { en } = setup(t)
  const cwd = (r: SyscallRecord): unknown => syscallFields.bind('proc.cwd', undefined)(en.enrich(r))
  t.equal(cwd(rec('chdir', { pid: 100, res: 0, args: { path: 'src/../build' } })), '/home/alice/build/')
  t.equal(cwd(rec('chdir', { pid: 100, res: -2, args: { path: '/nonexistent' } })), '/home/alice/build/', 'a failed chdir changes nothing')
  en.enrich(rec('openat', { pid: 100, res: 3, args: { fd: 3, dirfd: -100, name: '/var/lib', flags: 0o200000, mode: 0 } }))
  t.equal(cwd(rec('fchdir', { pid: 100, res: 0, args: { fd: 3 } })), '/var/lib/')
  t.same(view(en.enrich(rec('fchdir', { pid: 100, res: 0, args: { fd: 3 } })), ['fd.num', 'fd.name', 'fd.type']),
    { 'fd.num': 3, 'fd.name': '/var/lib', 'fd.type': 'directory' }, 'the directory\'s fd is the event\'s fd')
  en.enrich(rec('openat', { pid: 100, res: 5, args: { fd: 5, dirfd: -100, name: '/etc/hosts', flags: 0, mode: 0 } }))
  const notDir = en.enrich(rec('fchdir', { pid: 100, res: -20, args: { fd: 5 } }))
  t.equal(syscallFields.bind('proc.cwd', undefined)(notDir), '/var/lib/', 'ENOTDIR: the cwd stays')
  t.equal(notDir.fd?.name, '/etc/hosts', 'and the event still shows the fd it was given')
  t.equal(cwd(rec('fchdir', { pid: 100, res: 0, args: { fd: 77 } })), '/var/lib/', 'an fd we never saw: the cwd we knew')
  t.equal(cwd(rec('chdir', { pid: 100, res: 0, args: {} })), '/var/lib/', 'no path in the record: unchanged')
  t.equal(en.enrich(rec('chdir', { pid: 4444, res: 0, args: { path: '/' } })).proc, undefined, 'an unknown process stays unknown')
})

t.test('setsid and setpgid: the caller, a child it moves, failures', async (t) => {
  const { en } = setup(t)
  const SESSION = ['proc.sid', 'proc.vpgid', 'proc.is_sid_leader', 'proc.is_vpgid_leader']
  const of = (pid: number): Record<string, unknown> => view(en.enrich(rec('close', { pid, res: -9, args: { fd: 99 } })), SESSION)
  const fork = (child: number): void => { en.enrich(rec('clone', { pid: 100, res: child, args: { flags: 0x11 } })) }
  fork(200)
  fork(201)
  fork(202)
  t.same(of(200), { 'proc.sid': 100, 'proc.is_sid_leader': false, 'proc.is_vpgid_leader': false }, 'a child starts in bash\'s session and group')
  const bashSession = { sid: 100, pgid: 100, vpid: 100, vpgid: 100 }
  en.enrich(rec('setpgid', { pid: 100, res: 0, args: { pid: 200, pgid: 0 }, session: bashSession }))
  t.same(of(200), { 'proc.sid': 100, 'proc.vpgid': 200, 'proc.is_sid_leader': false, 'proc.is_vpgid_leader': true }, 'setpgid(child, 0): the child leads a group of its own')
  en.enrich(rec('setpgid', { pid: 100, res: 0, args: { pid: 201, pgid: 200 }, session: bashSession }))
  t.same(of(201), { 'proc.sid': 100, 'proc.vpgid': 200, 'proc.is_sid_leader': false, 'proc.is_vpgid_leader': false }, 'setpgid(child, other child): joins that group')
  t.equal(en.procs.peek(201)?.pgid, 200)
  t.same(of(100), { 'proc.sid': 100, 'proc.vpgid': 100, 'proc.is_sid_leader': true, 'proc.is_vpgid_leader': true }, 'the caller stays where it was')
  en.enrich(rec('setpgid', { pid: 201, ppid: 100, res: 0, args: { pid: 0, pgid: 0 } }))
  t.same(of(201), { 'proc.sid': 100, 'proc.vpgid': 201, 'proc.is_sid_leader': false, 'proc.is_vpgid_leader': true }, 'setpgid(0, 0) without the kernel\'s view: the caller leads its own group')
  en.enrich(rec('setpgid', { pid: 201, ppid: 100, res: -1, args: { pid: 0, pgid: 200 } }))
  t.equal(of(201)['proc.vpgid'], 201, 'a failed setpgid changes nothing')
  en.enrich(rec('setpgid', { pid: 100, res: 0, args: { pid: 1, pgid: 0 }, session: bashSession }))
  t.equal(en.procs.peek(1)?.pgid, 1, 'a pid that is not the caller\'s child is never moved')
  const d = en.enrich(rec('setsid', { pid: 202, ppid: 100, res: 202 }))
  t.same(view(d, SESSION), { 'proc.sid': 202, 'proc.vpgid': 202, 'proc.is_sid_leader': true, 'proc.is_vpgid_leader': true }, 'setsid: the event already shows the new session')
  en.enrich(rec('setsid', { pid: 201, ppid: 100, res: -1 }))
  t.same(of(201), { 'proc.sid': 100, 'proc.vpgid': 201, 'proc.is_sid_leader': false, 'proc.is_vpgid_leader': true }, 'EPERM: unchanged')
  t.equal(en.enrich(rec('setsid', { pid: 4444, res: 4444 })).proc, undefined, 'an unknown process stays unknown')
})

t.test('setpgid inside a pid namespace: numbers are the container\'s', async (t) => {
  const { en, add } = setup(t)
  add({ pid: 300, ppid: 1, comm: 'sh', argv: ['sh'], exe: '/bin/sh', cwd: '/', nsPid: 1, sid: 300 })
  const child = (pid: number, vpid: number): void => {
    en.enrich(rec('clone', { pid: 300, ppid: 1, res: pid, args: { flags: 0x11 } }))
    en.enrich(rec('clone', { pid, tid: pid, ppid: 300, res: 0, args: { flags: 0x11, sid: 300, host_pgid: 300, pgid: 1, vpid } }))
  }
  child(301, 7)
  child(302, 8)
  const shSession = { sid: 300, pgid: 300, vpid: 1, vpgid: 1 }
  en.enrich(rec('setpgid', { pid: 300, ppid: 1, res: 0, args: { pid: 7, pgid: 7 }, session: shSession }))
  en.enrich(rec('setpgid', { pid: 300, ppid: 1, res: 0, args: { pid: 8, pgid: 7 }, session: shSession }))
  const fields = ['proc.vpgid', 'proc.is_vpgid_leader', 'proc.vpgid.name']
  t.same(view(en.enrich(rec('close', { pid: 301, ppid: 300, res: -9, args: { fd: 99 } })), fields),
    { 'proc.vpgid': 7, 'proc.is_vpgid_leader': true, 'proc.vpgid.name': 'sh' }, 'the child named 7 inside leads group 7 (host pid 301)')
  t.equal(en.procs.peek(301)?.pgid, 301)
  t.same(view(en.enrich(rec('close', { pid: 302, ppid: 300, res: -9, args: { fd: 99 } })), fields),
    { 'proc.vpgid': 7, 'proc.is_vpgid_leader': false, 'proc.vpgid.name': 'sh' }, 'the child named 8 joined it: host group 301')
  t.equal(en.procs.peek(302)?.pgid, 301)
  en.enrich(rec('setpgid', { pid: 300, ppid: 1, res: 0, args: { pid: 0, pgid: 0 }, session: { sid: 300, pgid: 300, vpid: 1, vpgid: 1 } }))
  t.equal(en.procs.peek(300)?.vpid, 1, 'the caller\'s own number comes with the record')
})

t.test('exec: what a record without argv, comm or parent tells', async (t) => {
  const { en, add } = setup(t)
  const names = ['proc.name', 'proc.exe', 'proc.args', 'proc.exepath', 'proc.cwd', 'proc.ppid']
  // no argv, exe, args or comm: the process is alive right after exec, so /proc knows it
  add({ pid: 300, ppid: 100, comm: 'python3', argv: ['python3', 'x.py'], exe: '/usr/bin/python3.11', cwd: '/tmp' })
  t.same(view(en.enrich(rec('execve', { pid: 300, ppid: 100, args: { filename: '/usr/bin/python3' } })), names),
    { 'proc.name': 'python3', 'proc.exe': 'python3', 'proc.args': 'x.py', 'proc.exepath': '/usr/bin/python3.11', 'proc.cwd': '/tmp/', 'proc.ppid': 100 })
  // gone from /proc as well: what the record has, on top of the parent (the child was never seen)
  t.same(view(en.enrich(rec('execve', { pid: 301, ppid: 100, args: { filename: 'bin/tool' } })), names),
    { 'proc.name': 'tool', 'proc.exe': '-bash', 'proc.args': '', 'proc.exepath': '/home/alice/bin/tool', 'proc.cwd': '/home/alice/', 'proc.ppid': 100 },
    'the parent\'s cwd resolves the filename; argv[0] stays the parent\'s')
  // exe and args without argv (an older helper), a ppid of 0 and an empty cwd
  t.same(view(en.enrich(rec('execve', { pid: 100, ppid: 0, args: { filename: '/usr/bin/env', exe: 'env', args: 'FOO=1 true', cwd: '' } })), names),
    { 'proc.name': 'env', 'proc.exe': 'env', 'proc.args': 'FOO=1 true', 'proc.exepath': '/usr/bin/env', 'proc.cwd': '/home/alice/', 'proc.ppid': 1 })
  // neither a filename nor an exepath: the previous executable path stays
  t.same(view(en.enrich(rec('execve', { pid: 100, ppid: 1, comm: 'true', argv: ['true'], args: {} })), names),
    { 'proc.name': 'true', 'proc.exe': 'true', 'proc.args': '', 'proc.exepath': '/usr/bin/env', 'proc.cwd': '/home/alice/', 'proc.ppid': 1 })
  // nothing known anywhere: a process made from the record alone
  t.same(view(en.enrich(rec('execve', { pid: 5555, ppid: 5554, uid: 33, comm: 'worker', argv: ['worker', '-q'], args: { filename: '/opt/w/worker' } })), [...names, 'user.uid']),
    { 'proc.name': 'worker', 'proc.exe': 'worker', 'proc.args': '-q', 'proc.exepath': '/opt/w/worker', 'proc.ppid': 5554, 'user.uid': 33 })
  // a failed exec changes nothing; an enter record neither
  t.equal(en.enrich(rec('execve', { pid: 100, res: -2, args: { filename: '/nope' } })).proc?.name, 'true')
  t.equal(en.enrich(rec('execve', { pid: 100, dir: '>', res: undefined, args: { filename: '/usr/bin/id' } })).proc?.name, 'true')
  // partial executable facts (a damaged record): what is there, defaults for the rest
  const partial = en.enrich(rec('execve', { pid: 100, comm: 'x', argv: ['x'], args: { filename: '/x', exe_ino: 77 } }))
  t.same(partial.proc?.exeFacts, { ino: 77, mode: 0, uid: -1, gid: -1, nlink: 0, writable: false, upperLayer: false, fromMemfd: false })
})

t.test('clone and fork: children, threads, and records that arrive child first', async (t) => {
  const { en } = setup(t)
  const names = ['proc.pid', 'proc.ppid', 'proc.name', 'proc.vpid']
  // the parent's exit without flags (fork/vfork have none) and without a clone it could be a thread of
  en.enrich(rec('vfork', { pid: 100, res: 400, args: {} }))
  t.same(view(en.enrich(rec('openat', { pid: 400, ppid: 100, res: 3, args: { fd: 3, dirfd: -100, name: '/x', flags: 0, mode: 0 } })), names),
    { 'proc.pid': 400, 'proc.ppid': 100, 'proc.name': 'bash' }, 'a vfork child is the parent\'s copy (its pid in its own namespace unknown until its own record)')
  en.enrich(rec('clone', { pid: 100, res: 401, args: {} }))
  t.equal(en.procs.peek(401), undefined, 'clone without flags: cannot tell a thread, no child made')
  // the child's own record, for a pid the parent's record already made: kept, not rebuilt
  const known = en.procs.peek(400)
  t.equal(en.enrich(rec('fork', { pid: 400, tid: 400, ppid: 100, res: 0 })).proc, known)
  // a child record for a thread (tid ≠ pid) of the parent: the parent itself
  t.same(view(en.enrich(rec('clone', { pid: 100, tid: 402, ppid: 1, res: 0, args: { flags: 0x10000 } })), names),
    { 'proc.pid': 100, 'proc.ppid': 1, 'proc.name': 'bash', 'proc.vpid': 100 })
  // a child whose parent is unknown everywhere: made from its own record
  t.same(view(en.enrich(rec('clone', { pid: 7001, tid: 7001, ppid: 7000, res: 0, comm: 'runc', argv: ['runc', 'init'], args: { flags: 0x11, cwd: '/run' } })), [...names, 'proc.args', 'proc.cwd']),
    { 'proc.pid': 7001, 'proc.ppid': 7000, 'proc.name': 'runc', 'proc.vpid': 7001, 'proc.args': 'init', 'proc.cwd': '/run/' })
  // a failed fork
  t.equal(en.enrich(rec('fork', { pid: 100, res: -11, args: {} })).proc?.pid, 100)
  // procexit of a thread: the process lives on
  en.enrich(rec('procexit', { dir: '>', pid: 100, tid: 402, res: undefined, args: { status: 0 } }))
  t.equal(en.procs.peek(100)?.exited, false)
  // a record without a result (malformed): read as success for the table, the event shows no result
  t.same(view(en.enrich(rec('openat', { pid: 100, res: undefined, args: { fd: 9, dirfd: -100, name: '/etc/motd', flags: 0, mode: 0 } })), ['fd.name', 'evt.rawres']),
    { 'fd.name': '/etc/motd' })
})

t.test('more exec and dirfd cases: a reused pid, exe without args, a directory opened without O_DIRECTORY, an unknown dirfd', async (t) => {
  const { en } = setup(t)
  // bash exits; its pid comes back as another program (its clone unseen): nothing of bash carries over
  en.enrich(rec('openat', { pid: 100, res: 3, args: { fd: 3, dirfd: -100, name: '/etc/hosts', flags: 0, mode: 0 } }))
  en.enrich(rec('procexit', { pid: 100, tid: 100, dir: '>', res: undefined, args: { status: 0 } }))
  const reused = en.enrich(rec('execve', { pid: 100, ppid: 1, comm: 'nginx', argv: ['nginx'], args: { filename: 'sbin/nginx' } }))
  t.same(view(reused, ['proc.name', 'proc.exepath', 'proc.cwd']), { 'proc.name': 'nginx', 'proc.exepath': '/sbin/nginx', 'proc.cwd': '/' },
    'resolved against the parent\'s cwd (systemd\'s /), not the dead bash\'s')
  t.equal(reused.proc?.fds.has(3), false, 'no fd of the dead process')
  // an older helper: exe without args
  t.same(view(en.enrich(rec('execve', { pid: 100, ppid: 1, args: { filename: '/usr/bin/id', exe: 'id' } })), ['proc.name', 'proc.exe', 'proc.args']),
    { 'proc.name': 'id', 'proc.exe': 'id', 'proc.args': '' })
  // open("/srv", O_RDONLY) works on a directory; openat relative to it resolves there
  en.enrich(rec('open', { pid: 100, res: 4, args: { fd: 4, name: '/srv', flags: 0, mode: 0 } }))
  t.same(view(en.enrich(rec('openat', { pid: 100, res: 5, args: { fd: 5, dirfd: 4, name: 'www', flags: 0, mode: 0 } })), ['fd.name']), { 'fd.name': '/srv/www' })
  t.same(view(en.enrich(rec('openat', { pid: 100, res: 6, args: { fd: 6, dirfd: 99, name: 'www', flags: 0, mode: 0 } })), ['fd.name']), { 'fd.name': 'www' },
    'a dirfd we never saw: the path stays as given')
})

t.test('records missing an argument or their result (damaged): each reads as absent, never invented', async (t) => {
  const { en } = setup(t)
  en.enrich(rec('clone', { pid: 100, res: undefined, args: { flags: 0x11 } }))
  t.equal(en.procs.size, 2, 'a clone without its result makes no child')
  const conn = en.enrich(rec('connect', { pid: 100, res: undefined, args: { fd: 12, family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 40000, rip: '10.0.0.9', rport: 80 } }))
  t.equal(conn.fd?.connected, false, 'a connect without its result is not taken as connected')
  t.equal(en.procs.peek(100)?.fds.has(12), false, 'nor remembered')
  t.same(view(en.enrich(rec('socket', { pid: 100, res: 13, args: { fd: 13, domain: 2, proto: 17 } })), ['fd.type', 'fd.l4proto']),
    { 'fd.type': 'ipv4', 'fd.l4proto': 'udp' }, 'no type: the protocol argument tells')
  t.same(view(en.enrich(rec('memfd_create', { pid: 100, res: 14, args: { fd: 14 } })), ['fd.type', 'fd.name']),
    { 'fd.type': 'memfd', 'fd.name': 'memfd:' }, 'no name, no flags: an unnamed memfd, not close-on-exec')
  t.equal(en.procs.peek(100)?.fds.get(14)?.openFlags, 0o2, 'O_RDWR')
  t.equal(syscallFields.bind('proc.cwd', undefined)(en.enrich(rec('fchdir', { pid: 100, res: 0, args: {} }))), '/home/alice/', 'fchdir without its fd: the cwd stays')
})
