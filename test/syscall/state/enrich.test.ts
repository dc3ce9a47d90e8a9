import t from 'tap'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { fakeProc, rec, HEX_A, HEX_B } from './fake-proc.ts'

function setup (t: { teardown(fn: () => void): void }) {
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd', cwd: '/' },
    { pid: 100, ppid: 1, comm: 'bash', argv: ['-bash'], exe: '/usr/bin/bash', cwd: '/home/alice', uid: 1000, fds: { 0: '/dev/pts/0', 7: 'socket:[123]', 9: 'pipe:[55]' } }
  ])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []), hostname: 'node-1' })
  return { fp, en }
}

t.test('processes come from the /proc scan', async (t) => {
  const { en } = setup(t)
  t.equal(en.procs.size, 2)
  const ev = en.enrich(rec('openat', { pid: 100, res: 3, args: { dirfd: -100, name: 'notes.txt', flags: 0 } }))
  t.equal(ev.proc?.name, 'bash')
  t.equal(ev.fd?.name, '/home/alice/notes.txt', 'relative path resolved against the cwd')
  t.equal(ev.fd?.nameRaw, 'notes.txt')
  t.equal(ev.fd?.num, 3)
  t.equal(ev.ancestor(1)?.name, 'systemd')
  t.equal(ev.num, 1)
})

t.test('exec replaces the process image, keeps pid, parent and non-CLOEXEC fds', async (t) => {
  const { en } = setup(t)
  en.enrich(rec('openat', { pid: 100, res: 4, args: { dirfd: -100, name: '/etc/hosts', flags: 0o2000000 } }))
  en.enrich(rec('openat', { pid: 100, res: 5, args: { dirfd: -100, name: '/etc/motd', flags: 0 } }))
  const before = en.enrich(rec('close', { pid: 100, res: 0, args: { fd: 99 } })).proc
  const ev = en.enrich(rec('execve', { pid: 100, ppid: 1, comm: 'cat', argv: ['cat', '/etc/shadow'], args: { filename: '/usr/bin/cat', exe: 'cat', args: '/etc/shadow', cwd: '/home/alice' } }))
  t.equal(ev.proc?.name, 'cat')
  t.equal(ev.proc?.exe, 'cat')
  t.equal(ev.proc?.exepath, '/usr/bin/cat')
  t.same(ev.proc?.args, ['/etc/shadow'])
  t.equal(ev.proc?.ppid, 1)
  t.equal(ev.proc?.fds.has(4), false, 'O_CLOEXEC fd closed by exec')
  t.equal(ev.proc?.fds.get(5)?.name, '/etc/motd')
  t.equal(before?.name, 'bash', 'an earlier event keeps the pre-exec process')
})

t.test('dup2 clears close-on-exec, dup3 can set it', async (t) => {
  const { en } = setup(t)
  en.enrich(rec('openat', { pid: 100, res: 4, args: { dirfd: -100, name: '/var/log/app.log', flags: 0o2000001 } }))
  en.enrich(rec('dup2', { pid: 100, res: 1, args: { oldfd: 4, newfd: 1 } }))
  en.enrich(rec('dup3', { pid: 100, res: 2, args: { oldfd: 4, newfd: 2, flags: 0o2000000 } }))
  const ev = en.enrich(rec('execve', { pid: 100, argv: ['app'], args: { filename: '/usr/bin/app', exe: 'app', args: '' } }))
  t.equal(ev.proc?.fds.get(1)?.name, '/var/log/app.log', 'stdout survives exec')
  t.equal(ev.proc?.fds.has(2), false, 'dup3 with O_CLOEXEC closes at exec')
  t.equal(ev.proc?.fds.has(4), false, 'the original was O_CLOEXEC')
})

t.test('exec of a relative filename resolves against the cwd', async (t) => {
  const { en } = setup(t)
  const ev = en.enrich(rec('execve', { pid: 100, argv: ['./run.sh'], args: { filename: './run.sh', exe: './run.sh', args: '' } }))
  t.equal(ev.proc?.exepath, '/home/alice/run.sh')
  t.equal(ev.proc?.name, 'run.sh', 'comm falls back to the basename')
})

t.test('fork/clone create children; threads do not; procexit marks exit but keeps ancestry', async (t) => {
  const { en } = setup(t)
  en.enrich(rec('clone', { pid: 100, res: 200, args: { flags: 0x01200011 } }))
  t.equal(en.procs.peek(200)?.name, 'bash', 'child copied from the parent')
  t.equal(en.procs.peek(200)?.ppid, 100)
  en.enrich(rec('clone', { pid: 100, res: 201, args: { flags: 0x3d0f00 } }))
  t.equal(en.procs.peek(201), undefined, 'CLONE_THREAD is not a new process')
  // child side first (the parent's exit not seen yet)
  const child = en.enrich(rec('fork', { pid: 300, tid: 300, ppid: 200, res: 0 }))
  t.equal(child.proc?.pid, 300)
  t.equal(child.proc?.ppid, 200)
  const exec = en.enrich(rec('execve', { pid: 300, ppid: 200, comm: 'sh', argv: ['sh', '-c', 'id'], args: { filename: '/bin/sh' } }))
  t.equal(exec.proc?.name, 'sh')
  t.equal(exec.ancestor(1)?.name, 'bash')
  t.equal(exec.ancestor(2)?.name, 'bash')
  t.equal(exec.ancestor(3)?.name, 'systemd')
  t.equal(exec.ancestor(4), undefined, 'past the root')
  en.enrich(rec('procexit', { dir: '>', pid: 200, tid: 200, ppid: 100, res: undefined, args: { status: 0 } }))
  t.equal(en.procs.peek(200)?.exited, true)
  const later = en.enrich(rec('openat', { pid: 300, ppid: 200, res: 3, args: { dirfd: -100, name: '/x', flags: 0 } }))
  t.equal(later.ancestor(1)?.name, 'bash', 'an exited parent still names the ancestry')
})

t.test('connect, sendto on unconnected UDP, accept and close shape fd tuples', async (t) => {
  const { en } = setup(t)
  const sock = en.enrich(rec('socket', { pid: 100, res: 5, args: { domain: 2, type: 1, proto: 0 } }))
  t.equal(sock.fd?.kind, 'ipv4')
  const conn = en.enrich(rec('connect', {
    pid: 100, res: -115,
    args: { fd: 5, addr: '192.168.0.1:80', family: 'ipv4', l4proto: 'tcp', lip: '172.16.204.12', lport: 40000, rip: '192.168.0.1', rport: 80, tuple: '172.16.204.12:40000->192.168.0.1:80' }
  }))
  t.equal(conn.fd?.name, '172.16.204.12:40000->192.168.0.1:80')
  t.equal(conn.fd?.tuple?.cip, '172.16.204.12')
  t.equal(conn.fd?.tuple?.sport, 80)
  t.equal(conn.fd?.connected, true, 'EINPROGRESS counts as connected')
  t.equal(conn.fd?.tuple?.l4proto, 'tcp')

  const first = en.enrich(rec('sendto', { pid: 100, res: 10, args: { fd: 6, addr: '8.8.8.8:53', family: 'ipv4', l4proto: 'udp', lip: '0.0.0.0', lport: 5353, rip: '0.0.0.0', rport: 0 } }))
  t.equal(first.fd?.tuple?.sip, '8.8.8.8')
  t.equal(first.fd?.connected, false)
  t.equal(first.fd?.nameChanged, true)
  const again = en.enrich(rec('sendto', { pid: 100, res: 10, args: { fd: 6, addr: '8.8.8.8:53', family: 'ipv4', l4proto: 'udp', lip: '0.0.0.0', lport: 5353, rip: '0.0.0.0', rport: 0 } }))
  t.equal(again.fd?.nameChanged, false, 'same destination: name unchanged')
  const other = en.enrich(rec('sendto', { pid: 100, res: 10, args: { fd: 6, addr: '1.1.1.1:53', family: 'ipv4', l4proto: 'udp', lip: '0.0.0.0', lport: 5353, rip: '0.0.0.0', rport: 0 } }))
  t.equal(other.fd?.nameChanged, true)

  const acc = en.enrich(rec('accept4', { pid: 100, res: 8, args: { fd: 8, family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 443, rip: '10.0.0.9', rport: 51000, tuple: '10.0.0.9:51000->10.0.0.5:443' } }))
  t.equal(acc.fd?.tuple?.isServer, true)
  t.equal(acc.fd?.tuple?.sip, '10.0.0.5')
  t.equal(acc.fd?.tuple?.cip, '10.0.0.9')
  t.equal(acc.fd?.name, '10.0.0.9:51000->10.0.0.5:443')

  const closed = en.enrich(rec('close', { pid: 100, res: 0, args: { fd: 5 } }))
  t.equal(closed.fd?.name, '172.16.204.12:40000->192.168.0.1:80', 'close shows the fd it closed')
  t.equal(en.procs.peek(100)?.fds.has(5), false)
})

t.test('fds opened before we attached resolve through /proc/<pid>/fd', async (t) => {
  const { en } = setup(t)
  const ev = en.enrich(rec('sendto', { pid: 100, res: 1, args: { fd: 9 } }))
  t.equal(ev.fd?.kind, 'pipe')
  const tty = en.enrich(rec('sendto', { pid: 100, res: 1, args: { fd: 0 } }))
  t.equal(tty.fd?.name, '/dev/pts/0')
  t.equal(tty.fd?.kind, 'file')
})

t.test('closing an fd we never saw does not read /proc: the number is already free or reused', async (t) => {
  const { en } = setup(t)
  // fd 9 is a pipe in the fake /proc, as if another pipe had taken the number after the close
  const ev = en.enrich(rec('close', { pid: 100, res: 0, args: { fd: 9 } }))
  t.equal(ev.fd, undefined)
  t.equal(en.procs.peek(100)?.fds.has(9), false, 'nothing learned from the reused number')
  const later = en.enrich(rec('sendto', { pid: 100, res: 1, args: { fd: 9 } }))
  t.equal(later.fd?.kind, 'pipe', 'an event on the open fd still resolves it')
})

t.test('container ids: the in-kernel leaf wins over the scanned cgroup; "" is the host', async (t) => {
  const fp = fakeProc([{ pid: 50, ppid: 1, comm: 'nginx', argv: ['nginx'], cgroup: `0::/system.slice/docker-${HEX_B}.scope\n` }])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []) })
  t.equal(en.enrich(rec('openat', { pid: 50, res: 3, args: { name: '/a' } })).container?.id, HEX_B.slice(0, 12), 'from /proc')
  t.equal(en.enrich(rec('openat', { pid: 50, res: 3, containerId: HEX_A, args: { name: '/a' } })).container?.fullId, HEX_A)
  t.equal(en.enrich(rec('openat', { pid: 50, res: 3, containerId: '', args: { name: '/a' } })).container, undefined)
  const withLeaf = en.enrich(rec('openat', { pid: 50, res: 3, containerId: HEX_A, cgroup: `crio-${HEX_A}.scope`, args: { name: '/a' } })).container
  t.equal(withLeaf?.runtime, 'cri-o', 'the raw leaf name tells the runtime')
  t.equal(en.enrich(rec('openat', { pid: 50, res: 3, containerId: HEX_A, cgroup: `crio-${HEX_B}.scope`, args: { name: '/a' } })).container?.fullId, HEX_A, 'a leaf naming another id is ignored')
})

t.test("a container's users come from its own passwd file, the host's from the node's", async (t) => {
  const fp = fakeProc([
    { pid: 60, ppid: 1, comm: 'nginx', argv: ['nginx'], uid: 33, cgroup: `0::/system.slice/docker-${HEX_A}.scope\n`, rootPasswd: 'root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n' },
    { pid: 61, ppid: 1, comm: 'tool', argv: ['tool'], uid: 33 }
  ], { passwd: 'root:x:0:0::/root:/bin/bash\ntape:x:33:26::/var/spool:/bin/sh\n' })
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root })
  const inContainer = en.enrich(rec('openat', { pid: 60, uid: 33, gid: 33, res: 3, containerId: HEX_A, args: { name: '/x' } }))
  t.equal(inContainer.users.user(33)?.name, 'www-data')
  t.equal(inContainer.users.group(33)?.name, 'www-data')
  const onHost = en.enrich(rec('openat', { pid: 61, uid: 33, res: 3, containerId: '', args: { name: '/x' } }))
  t.equal(onHost.users.user(33)?.name, 'tape')
})

t.test('tables stay bounded', async (t) => {
  const fp = fakeProc([])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []), maxProcesses: 50, maxExited: 10, maxFdsPerProcess: 8 })
  for (let pid = 1000; pid < 1200; pid++) {
    en.enrich(rec('fork', { pid, tid: pid, ppid: 1, res: 0, comm: 'w', argv: ['w'] }))
    for (let fd = 3; fd < 20; fd++) en.enrich(rec('openat', { pid, res: fd, args: { dirfd: -100, name: `/f${fd}` } }))
    if (pid % 2 === 0) en.enrich(rec('procexit', { dir: '>', pid, tid: pid, res: undefined }))
  }
  t.ok(en.procs.size <= 50, `process table size ${en.procs.size}`)
  t.ok((en.procs.peek(1199)?.fds.size ?? 0) <= 8)
})

t.test('a pid reused after an exit, its clone unseen: the new process comes from /proc, not the dead one', async (t) => {
  const { fp, en } = setup(t)
  en.enrich(rec('clone', { pid: 100, res: 200, args: { flags: 17 } }))
  en.enrich(rec('execve', { pid: 200, ppid: 100, comm: 'curl', argv: ['curl', 'x'], args: { filename: '/usr/bin/curl', exe: 'curl', args: 'x' } }))
  en.enrich(rec('openat', { pid: 200, res: 5, args: { dirfd: -100, name: '/tmp/out', flags: 0 } }))
  en.enrich(rec('procexit', { dir: '>', pid: 200, tid: 200, ppid: 100, res: undefined }))
  t.equal(en.procs.peek(200)?.exited, true, 'kept for ancestry')
  // pid 200 again, started by pid 1 while the ring was full
  fp.add({ pid: 200, ppid: 1, comm: 'nginx', argv: ['nginx', '-g', 'daemon off;'], cwd: '/srv' })
  const ev = en.enrich(rec('openat', { pid: 200, ppid: 1, res: 3, args: { dirfd: -100, name: 'index.html', flags: 0 } }))
  t.equal(ev.proc?.name, 'nginx')
  t.equal(ev.proc?.exited, false)
  t.equal(ev.fd?.name, '/srv/index.html', 'its own cwd')
  t.equal(ev.proc?.fds.has(5), false, 'no fd of the dead process')
  t.equal(ev.ancestor(1)?.name, 'systemd')
  // gone from /proc too (records in flight after an exit): one failed read, the old entry kept
  const other = en.enrich(rec('procexit', { dir: '>', pid: 200, tid: 200, ppid: 1, res: undefined }))
  t.equal(other.proc?.name, 'nginx')
})

t.test('terminal and session identity from the records: a child in a pid namespace, its exec', async (t) => {
  const { en } = setup(t)
  const field = (name: string, ev: ReturnType<typeof en.enrich>) => syscallFields.bind(name, undefined)(ev)
  // bash (100, the group leader) forks 4242, which is pid 7 and pgid 5 in its own pid namespace
  const child = en.enrich(rec('clone', { pid: 4242, tid: 4242, ppid: 100, res: 0, args: { flags: 0x11, tty: 34816, loginuid: 1000, sid: 100, host_pgid: 100, pgid: 5, vpid: 7 } }))
  t.match(child.proc, { pid: 4242, tty: 34816, loginuid: 1000, sid: 100, pgid: 100, vpid: 7, vpgid: 5 })
  t.equal(field('proc.vpgid', child), 5, 'the namespace\'s own pgid')
  t.equal(field('proc.vpgid.name', child), 'bash', 'the group leader, found by its host pgid')
  t.equal(field('proc.is_vpgid_leader', child), false)
  t.equal(field('proc.sname', child), 'bash')
  const ex = en.enrich(rec('execve', { pid: 4242, tid: 4242, ppid: 100, res: 0, comm: 'id', argv: ['id'], args: { filename: '/usr/bin/id', tty: 34817, loginuid: -1, sid: 4242, host_pgid: 4242, pgid: 1, vpid: 7 } }))
  t.match(ex.proc, { name: 'id', tty: 34817, loginuid: -1, sid: 4242, pgid: 4242, vpgid: 1 })
  t.equal(field('proc.tty', ex), 34817)
  t.equal(field('user.loginuid', ex), -1)
  t.equal(field('proc.is_vpgid_leader', ex), true)
  const noFacts = en.enrich(rec('execve', { pid: 4242, tid: 4242, ppid: 100, res: 0, comm: 'true', argv: ['true'], args: { filename: '/usr/bin/true' } }))
  t.equal(noFacts.proc?.tty, 34817, 'a record without them (an older helper) keeps what was known')
})
