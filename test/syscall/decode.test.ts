// The record decoder on hand-built buffers: every event kind, the header fields, container ids,
// clock conversion, and bad input (short, unknown, truncated) turning into counted DecodeErrors.
import t from 'tap'
import { KIND_IDS } from '../../src/syscall/abi.ts'
import { containerIdOf, decodeRecord, newDecodeContext, StreamDecoder } from '../../src/syscall/decode.ts'
import { ipv6Text } from '../../src/syscall/decode-net.ts'
import type { DecodeError, SyscallRecord } from '../../src/syscall/record.ts'
import { conf, exeInfo, hello, shortFrame, taskInfo, record, sockaddrIn, sockaddrUn, stats, tuple, type RecordSpec } from '../fixtures/syscall/records.ts'
import { C_CONF as CONF, C_HDR as HDR, C_HELLO as HELLO, C_STATS as STATS } from '../fixtures/syscall/c-abi.ts'

const HEX = 'ab'.repeat(32)

function decode (spec: RecordSpec, clockOffset = 0n): SyscallRecord {
  const buf = record(spec)
  const out = decodeRecord(buf, 0, buf.length, newDecodeContext(clockOffset))
  if ('code' in out) throw new Error(`unexpected ${out.code}: ${out.message}`)
  return out
}

function decodeErr (buf: Buffer, len = buf.length): DecodeError {
  const out = decodeRecord(buf, 0, len, newDecodeContext())
  if (!('code' in out)) throw new Error(`expected a DecodeError, got a ${out.type} record`)
  return out
}

t.test('header fields: ids, direction, result, comm, and boot time shifted to the epoch', async t => {
  const r = decode({ kind: 'close', dir: '<', res: -9, tid: 11, pid: 10, ppid: 9, uid: 1000, gid: 1001, cpu: 1, ts: 42n, comm: 'nginx', nums: [7] }, 1_700_000_000_000_000_000n)
  t.match(r, { type: 'close', dir: '<', res: -9, tid: 11, pid: 10, ppid: 9, uid: 1000, gid: 1001, cpu: 1, comm: 'nginx', containerId: '' })
  t.equal(r.ts, 1_700_000_000_000_000_042n)
  t.same(r.args, { fd: 7 })
  const enter = decode({ kind: 'close', dir: '>', nums: [7] })
  t.equal(enter.dir, '>')
  t.equal(enter.res, undefined, 'enter records carry no result')
})

t.test('container id comes from the cgroup v1 leaf name', async t => {
  t.equal(decode({ kind: 'close', nums: [1], cgroup: HEX }).containerId, HEX)
  t.equal(decode({ kind: 'close', nums: [1], cgroup: `cri-containerd-${HEX}.scope` }).containerId, HEX)
  t.equal(decode({ kind: 'close', nums: [1], cgroup: `docker-${HEX}.scope` }).containerId, HEX)
  t.equal(decode({ kind: 'close', nums: [1], cgroup: 'user.slice' }).containerId, '')
  t.equal(decode({ kind: 'close', nums: [1], cgroup: '/' }).containerId, '')
  t.equal(containerIdOf('a'.repeat(65)), '', 'a longer hex run is not a container id')
  t.equal(decode({ kind: 'close', nums: [1], cgroup: `crio-${HEX}` }).containerId, HEX, 'CRI-O under the cgroupfs manager')
  t.equal(decode({ kind: 'close', nums: [1], cgroup: `crio-conmon-${HEX}.scope` }).containerId, '', 'CRI-O\'s monitor runs on the host')
  t.equal(decode({ kind: 'close', nums: [1], cgroup: `libpod-conmon-${HEX}.scope` }).containerId, '', 'so does podman\'s')
})

t.test('execve exit: filename, argv, exe, args, cwd; failed exec keeps only the filename', async t => {
  const ok = decode({ kind: 'execve', res: 0, comm: 'cat', blobs: ['/usr/bin/cat', 'cat\0/etc/hostname\0-n', 'main\0work\0'] })
  t.same(ok.args, { filename: '/usr/bin/cat', exe: 'cat', args: '/etc/hostname -n', cwd: '/work/main' })
  t.same(ok.argv, ['cat', '/etc/hostname', '-n'])
  const root = decode({ kind: 'execve', res: 0, blobs: ['/bin/true', 'true', new Uint8Array(0)] })
  t.equal(root.args.cwd, '/', 'no components: the walk started at the root')
  const failed = decode({ kind: 'execve', res: -2, blobs: ['/nope'] })
  t.same(failed.args, { filename: '/nope' })
  t.equal(failed.argv, undefined)
  const at = decode({ kind: 'execveat', dir: '>', nums: [-100, 0x1000], blobs: ['/bin/sh'] })
  t.same(at.args, { dirfd: -100, flags: 0x1000, filename: '/bin/sh' })
})

t.test('execve exit: facts about the new executable for proc.is_exe_*', async t => {
  const blob = (e: Parameters<typeof exeInfo>[0]): Buffer => exeInfo(e)
  const run = (uid: number, e: Parameters<typeof exeInfo>[0]) => decode({ kind: 'execve', res: 0, uid, gid: 100, blobs: ['/x', 'x', '', blob(e)] }).args
  t.match(run(0, { ino: 77, mode: 0o100755, uid: 0, nlink: 1 }), { exe_ino: 77, exe_mode: 0o100755, exe_uid: 0, exe_nlink: 1, exe_writable: 1, exe_upper_layer: 0, exe_from_memfd: 0 })
  t.equal(run(1000, { mode: 0o100755, uid: 0 }).exe_writable, 0, 'root-owned 0755 is not writable by uid 1000')
  t.equal(run(1000, { mode: 0o100755, uid: 1000 }).exe_writable, 1, 'owner with u+w')
  t.equal(run(1000, { mode: 0o100775, uid: 0, gid: 100 }).exe_writable, 1, 'group with g+w')
  t.equal(run(1000, { mode: 0o100757, uid: 0 }).exe_writable, 1, 'o+w')
  t.match(run(0, { mode: 0o100755, upper: true }), { exe_upper_layer: 1 })
  t.match(run(0, { mode: 0o100777, nlink: 0, memfd: true }), { exe_from_memfd: 1, exe_nlink: 0 })
  // Falco's execve exit flags (PPM_EXE_WRITABLE 1, _UPPER_LAYER 2, _FROM_MEMFD 4, _LOWER_LAYER 8)
  t.equal(run(0, { mode: 0o100755 }).flags, 1, 'root: writable')
  t.equal(run(1000, { mode: 0o100755, uid: 0 }).flags, 0)
  t.equal(run(1000, { mode: 0o100755, uid: 0, upper: true }).flags, 2)
  t.equal(run(0, { mode: 0o100777, nlink: 0, memfd: true }).flags, 5)
  t.equal(run(1000, { mode: 0o100755, uid: 0, lower: true }).flags, 8)
  const memfd = decode({ kind: 'execveat', res: 0, nums: [0, 0], blobs: ['', 'x', '', blob({ mode: 0o100777, nlink: 0, memfd: true }), taskInfo({}), 'memfd:runc_cloned:/proc/self/exe'] })
  t.equal(memfd.args.exepath, 'memfd:runc_cloned:/proc/self/exe', 'a memfd executable is named by the kernel')
  const sh = decode({ kind: 'execve', res: 0, blobs: ['/bin/sh', 'sh', '', blob({ mode: 0o100755 }), taskInfo({}), new Uint8Array(0), 'dash\0bin\0usr\0'] })
  t.equal(sh.args.trusted_exepath, '/usr/bin/dash', 'the kernel\'s path, symlinks resolved, leaf first in the record')
  t.equal(sh.args.filename, '/bin/sh')
  t.equal(decode({ kind: 'execve', res: 0, blobs: ['/x', 'x', '', blob({ mode: 0o100755 }), taskInfo({}), new Uint8Array(0)] }).args.exepath, undefined, 'other executables: from the filename')
})

t.test('exec and a new child carry the task\'s terminal, login uid, session and process group', async t => {
  const ti = taskInfo({ tty: 34816, loginuid: 1000, sid: 4000, pgid: 4100, vpid: 7, vpgid: 5 })
  const ex = decode({ kind: 'execve', res: 0, blobs: ['/bin/bash', 'bash', '', exeInfo({ mode: 0o100755 }), ti] })
  t.match(ex.args, { tty: 34816, loginuid: 1000, sid: 4000, pgid: 5, host_pgid: 4100, vpid: 7 })
  const unset = decode({ kind: 'execve', res: 0, blobs: ['/bin/bash', 'bash', '', exeInfo({ mode: 0o100755 }), taskInfo({})] })
  t.match(unset.args, { tty: 0, loginuid: -1 }, 'no terminal; loginuid 4294967295 is -1, as Falco shows it')
  const child = decode({ kind: 'clone', res: 0, nums: [0x11], blobs: ['sh', 'tmp\0', ti] })
  t.match(child.args, { tty: 34816, loginuid: 1000, sid: 4000, pgid: 5, vpid: 7 })
  t.equal(decode({ kind: 'clone', res: 4242, nums: [0x11] }).args.tty, undefined, 'the parent side has none')
  const old = decode({ kind: 'execve', res: 0, blobs: ['/bin/bash', 'bash', '', exeInfo({ mode: 0o100755 })] })
  t.equal(old.args.tty, undefined, 'a record without the blob leaves them absent')
  t.equal(decode({ kind: 'execve', res: 0, blobs: ['/x', 'x', '', exeInfo({ mode: 0o100755 }), Buffer.alloc(8)] }).args.tty, undefined, 'a short blob is ignored')
})

t.test('clone family: flags in the parent, process image in the child', async t => {
  const parent = decode({ kind: 'clone', res: 4242, nums: [0x11] })
  t.same(parent.args, { flags: 0x11 })
  const child = decode({ kind: 'clone3', res: 0, nums: [0x100n], blobs: ['sh\0-c\0x', 'tmp\0'] })
  t.same(child.args, { flags: 0x100, exe: 'sh', args: '-c x', cwd: '/tmp' })
  t.same(decode({ kind: 'fork', res: 5 }).args, {})
  t.same(decode({ kind: 'vfork', res: 0, blobs: ['a', ''] }).args, { exe: 'a', args: '', cwd: '/' })
})

t.test('procexit splits the wait status', async t => {
  t.same(decode({ kind: 'procexit', dir: '>', nums: [3 << 8] }).args, { status: 768, ret: 3, sig: 0, core: 0 })
  t.same(decode({ kind: 'procexit', dir: '>', nums: [0x80 | 11] }).args, { status: 139, ret: 0, sig: 11, core: 1 })
})

const V4 = tuple({ family: 2, proto: 6, sport: 40000, dport: 8080, saddr: [127, 0, 0, 1], daddr: [10, 0, 0, 2] })

t.test('connect: socket tuple local->remote, sockaddr as addr; falls back to the sockaddr', async t => {
  const r = decode({ kind: 'connect', res: -115, nums: [5], blobs: [V4, sockaddrIn([10, 0, 0, 2], 8080)] })
  t.same(r.args, {
    fd: 5, family: 'ipv4', l4proto: 'tcp', lip: '127.0.0.1', lport: 40000, rip: '10.0.0.2', rport: 8080,
    tuple: '127.0.0.1:40000->10.0.0.2:8080', addr: '10.0.0.2:8080'
  })
  t.equal(r.res, -115, 'EINPROGRESS is kept as the result')
  const unconnected = tuple({ family: 2, proto: 17, sport: 5353, saddr: [0, 0, 0, 0] })
  const udp = decode({ kind: 'connect', res: -111, nums: [6], blobs: [unconnected, sockaddrIn([1, 2, 3, 4], 53)] })
  t.match(udp.args, { l4proto: 'udp', rip: '1.2.3.4', rport: 53, tuple: '0.0.0.0:5353->1.2.3.4:53' })
  const unix = decode({ kind: 'connect', nums: [3], blobs: [new Uint8Array(0), sockaddrUn('/run/docker.sock')] })
  t.same(unix.args, { fd: 3, addr: '/run/docker.sock', family: 'unix' })
  const abstract = decode({ kind: 'connect', nums: [3], blobs: [new Uint8Array(0), sockaddrUn('\0hidden')] })
  t.equal(abstract.args.addr, '@hidden')
})

t.test('accept: the new fd is the result and the tuple lists the client first', async t => {
  const r = decode({ kind: 'accept4', res: 9, nums: [4, 0x80000], blobs: [V4] })
  t.match(r.args, { fd: 9, flags: 0x80000, lip: '127.0.0.1', lport: 40000, tuple: '10.0.0.2:8080->127.0.0.1:40000' })
  t.equal(decode({ kind: 'accept', res: -11, nums: [4, 0], blobs: [new Uint8Array(0)] }).args.fd, -11)
})

t.test('IPv6 tuples use RFC 5952 text', async t => {
  const v6 = tuple({ family: 10, proto: 6, sport: 1, dport: 443, saddr: [...Array(15).fill(0), 1], daddr: [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1] })
  const r = decode({ kind: 'connect', res: 0, nums: [3], blobs: [v6, new Uint8Array(0)] })
  t.match(r.args, { family: 'ipv6', lip: '::1', rip: '2001:db8::1', tuple: '[::1]:1->[2001:db8::1]:443' })
  t.equal(ipv6Text(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]), 0), '::ffff:10.1.2.3')
  t.equal(ipv6Text(Buffer.from([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]), 0), 'fe80::1:0:0:1')
})

t.test('bind, listen, sendto, sendmsg', async t => {
  const local = tuple({ family: 2, sport: 8080, saddr: [0, 0, 0, 0] })
  t.match(decode({ kind: 'bind', nums: [3], blobs: [local, sockaddrIn([0, 0, 0, 0], 8080)] }).args, { fd: 3, addr: '0.0.0.0:8080', lport: 8080 })
  t.match(decode({ kind: 'listen', nums: [3, 128], blobs: [local] }).args, { fd: 3, backlog: 128, lport: 8080 })
  const send = decode({ kind: 'sendto', res: 12, nums: [7, 12], blobs: [tuple({ family: 2, proto: 17, sport: 999 }), sockaddrIn([8, 8, 8, 8], 53)] })
  t.match(send.args, { fd: 7, size: 12, addr: '8.8.8.8:53', rip: '8.8.8.8', rport: 53, l4proto: 'udp' })
  t.match(decode({ kind: 'sendmsg', res: 3, nums: [7], blobs: [V4, new Uint8Array(0)] }).args, { fd: 7, tuple: '127.0.0.1:40000->10.0.0.2:8080' })
})

t.test('recvfrom, recvmsg: the source address', async t => {
  const udp = tuple({ family: 2, proto: 17, sport: 5000, saddr: [127, 0, 0, 1] })
  t.match(decode({ kind: 'recvfrom', res: 5, nums: [3, 100], blobs: [udp, sockaddrIn([127, 0, 0, 1], 6000)] }).args,
    { fd: 3, size: 100, addr: '127.0.0.1:6000', rip: '127.0.0.1', rport: 6000, lport: 5000, l4proto: 'udp' })
  t.match(decode({ kind: 'recvmsg', res: 5, nums: [3], blobs: [udp, new Uint8Array(0)] }).args, { fd: 3, lport: 5000 })
})

t.test('open family: result fd, path, flags, mode', async t => {
  t.same(decode({ kind: 'open', res: 3, nums: [0o101, 0o644], blobs: ['/tmp/x'] }).args, { fd: 3, name: '/tmp/x', flags: 0o101, mode: 0o644 })
  t.same(decode({ kind: 'openat', res: -2, nums: [-100, 0, 0], blobs: ['/nope'] }).args, { fd: -2, dirfd: -100, name: '/nope', flags: 0, mode: 0 })
  t.same(decode({ kind: 'openat2', res: 4, nums: [5, 2, 0o600, 8], blobs: ['rel'] }).args, { fd: 4, dirfd: 5, name: 'rel', flags: 2, mode: 0o600, resolve: 8 })
})

t.test('unlink, rename, chmod families', async t => {
  t.same(decode({ kind: 'unlink', blobs: ['/tmp/a'] }).args, { path: '/tmp/a' })
  t.same(decode({ kind: 'unlinkat', nums: [-100, 0x200], blobs: ['/tmp/d'] }).args, { dirfd: -100, name: '/tmp/d', flags: 0x200 })
  t.same(decode({ kind: 'rename', blobs: ['/a', '/b'] }).args, { oldpath: '/a', newpath: '/b' })
  t.same(decode({ kind: 'renameat', nums: [3, 4], blobs: ['a', 'b'] }).args, { olddirfd: 3, oldpath: 'a', newdirfd: 4, newpath: 'b', flags: 0 })
  t.same(decode({ kind: 'renameat2', nums: [-100, -100, 1], blobs: ['a', 'b'] }).args, { olddirfd: -100, oldpath: 'a', newdirfd: -100, newpath: 'b', flags: 1 })
  t.same(decode({ kind: 'chmod', nums: [0o4755], blobs: ['/bin/x'] }).args, { filename: '/bin/x', mode: 0o4755 })
  t.same(decode({ kind: 'fchmodat', nums: [-100, 0o777], blobs: ['f'] }).args, { dirfd: -100, filename: 'f', mode: 0o777 })
  t.same(decode({ kind: 'fchmod', nums: [3, 0o600] }).args, { fd: 3, mode: 0o600 })
})

t.test('credentials, ptrace, mount', async t => {
  t.same(decode({ kind: 'setuid', nums: [0] }).args, { uid: 0 })
  t.same(decode({ kind: 'setgid', nums: [50] }).args, { gid: 50 })
  t.same(decode({ kind: 'setresuid', nums: [1, 2, 3] }).args, { ruid: 1, euid: 2, suid: 3 })
  t.same(decode({ kind: 'setresgid', nums: [4, 5, 0xffffffff] }).args, { rgid: 4, egid: 5, sgid: 0xffffffff })
  t.same(decode({ kind: 'ptrace', nums: [16, 1234, 0x7fff0000n, 0n] }).args, { request: 16, pid: 1234, addr: 0x7fff0000n, data: 0n })
  t.same(decode({ kind: 'mount', nums: [0x1000], blobs: ['/dev/sda1', '/mnt', 'ext4'] }).args, { flags: 0x1000, dev: '/dev/sda1', dir: '/mnt', type: 'ext4' })
})

t.test('links, directories, fds, sockets, namespaces, memfd, modules', async t => {
  t.same(decode({ kind: 'creat', res: 5, nums: [0o644], blobs: ['/tmp/n'] }).args, { fd: 5, name: '/tmp/n', flags: 0o1101, mode: 0o644 })
  t.same(decode({ kind: 'symlink', blobs: ['/etc/shadow', '/tmp/s'] }).args, { target: '/etc/shadow', linkpath: '/tmp/s' })
  t.same(decode({ kind: 'symlinkat', nums: [-100], blobs: ['/etc/shadow', 's'] }).args, { target: '/etc/shadow', linkdirfd: -100, linkpath: 's' })
  t.same(decode({ kind: 'link', blobs: ['/etc/shadow', '/tmp/h'] }).args, { oldpath: '/etc/shadow', newpath: '/tmp/h' })
  t.same(decode({ kind: 'linkat', nums: [-100, 3, 0x400], blobs: ['a', 'b'] }).args, { olddir: -100, oldpath: 'a', newdir: 3, newpath: 'b', flags: 0x400 })
  t.same(decode({ kind: 'mkdir', nums: [0o755], blobs: ['/bin/x'] }).args, { path: '/bin/x', mode: 0o755 })
  t.same(decode({ kind: 'mkdirat', nums: [-100, 0o700], blobs: ['d'] }).args, { dirfd: -100, path: 'd', mode: 0o700 })
  t.same(decode({ kind: 'rmdir', blobs: ['/tmp/d'] }).args, { path: '/tmp/d' })
  t.same(decode({ kind: 'dup', res: 4, nums: [3] }).args, { oldfd: 3 })
  t.same(decode({ kind: 'dup2', res: 1, nums: [3, 1] }).args, { oldfd: 3, newfd: 1 })
  t.same(decode({ kind: 'dup3', res: 1, nums: [3, 1, 0x80000] }).args, { oldfd: 3, newfd: 1, flags: 0x80000 })
  t.same(decode({ kind: 'socket', res: 6, nums: [2, 1, 0] }).args, { fd: 6, domain: 2, type: 1, proto: 0 })
  t.same(decode({ kind: 'unshare', nums: [0x10000000] }).args, { flags: 0x10000000 })
  t.same(decode({ kind: 'setns', nums: [5, 0x20000] }).args, { fd: 5, nstype: 0x20000 })
  t.same(decode({ kind: 'memfd_create', res: 3, nums: [1], blobs: ['x'] }).args, { fd: 3, name: 'x', flags: 1 })
  t.same(decode({ kind: 'init_module', nums: [4096], blobs: [''] }).args, { length: 4096, uargs: '' })
  t.same(decode({ kind: 'finit_module', nums: [3, 0], blobs: ['debug=1'] }).args, { fd: 3, uargs: 'debug=1', flags: 0 })
  t.same(decode({ kind: 'userfaultfd', res: 7, nums: [0x800] }).args, { fd: 7, flags: 0x800 })
  t.same(decode({ kind: 'bpf', res: 9, nums: [5] }).args, { cmd: 5, fd: 9 })
  t.same(decode({ kind: 'bpf', res: -1, nums: [0] }).args, { cmd: 0 })
})

t.test('chdir and fchdir: the path as given, the fd; the result is the record\'s', async t => {
  const ch = decode({ kind: 'chdir', res: 0, blobs: ['../build'] })
  t.match(ch, { type: 'chdir', dir: '<', res: 0 })
  t.same(ch.args, { path: '../build' }, 'a relative path stays relative: the process table resolves it')
  t.same(decode({ kind: 'chdir', res: -2, blobs: ['/nonexistent'] }).args, { path: '/nonexistent' })
  t.same(decode({ kind: 'chdir', dir: '>', blobs: ['/tmp'] }).args, { path: '/tmp' })
  const fch = decode({ kind: 'fchdir', res: 0, nums: [5] })
  t.match(fch, { type: 'fchdir', dir: '<', res: 0 })
  t.same(fch.args, { fd: 5 })
  t.same(decode({ kind: 'fchdir', res: -9, nums: [0xffffffff] }).args, { fd: -1 }, 'fd -1 as the kernel got it (EBADF)')
  t.equal(decodeErr(record({ kind: 'fchdir', res: 0 })).code, 'ERR_SYSCALL_SHORT_RECORD', 'fchdir without its fd slot')
})

t.test('setsid and setpgid: Falco\'s arguments, and the caller\'s session after a successful call', async t => {
  const ti = taskInfo({ sid: 4200, pgid: 4200, vpid: 7, vpgid: 7 })
  const sid = decode({ kind: 'setsid', res: 7, blobs: [ti] })
  t.match(sid, { type: 'setsid', dir: '<', res: 7 })
  t.same(sid.args, {}, 'setsid\'s only argument is its result, the record\'s')
  t.same(sid.session, { sid: 4200, pgid: 4200, vpid: 7, vpgid: 7 }, 'host sid and pgid, the numbers in its own pid namespace')
  const refused = decode({ kind: 'setsid', res: -1 })
  t.same(refused.args, {})
  t.equal(refused.session, undefined, 'EPERM: nothing changed, nothing carried')
  t.equal(decode({ kind: 'setsid', dir: '>' }).session, undefined)
  const own = decode({ kind: 'setpgid', res: 0, nums: [0, 0], blobs: [taskInfo({ sid: 100, pgid: 4300, vpid: 9, vpgid: 9 })] })
  t.match(own, { type: 'setpgid', dir: '<', res: 0 })
  t.same(own.args, { pid: 0, pgid: 0 }, 'pid and pgid as given')
  t.same(own.session, { sid: 100, pgid: 4300, vpid: 9, vpgid: 9 })
  const child = decode({ kind: 'setpgid', res: 0, nums: [4301, 4301], blobs: [ti] })
  t.same(child.args, { pid: 4301, pgid: 4301 })
  t.same(child.session, { sid: 4200, pgid: 4200, vpid: 7, vpgid: 7 }, 'the caller\'s, even when it moved a child')
  const bad = decode({ kind: 'setpgid', res: -22, nums: [0, 0xfffffffe] })
  t.same(bad.args, { pid: 0, pgid: -2 }, 'a negative pgid as the kernel got it (EINVAL)')
  t.equal(bad.session, undefined)
  t.same(decode({ kind: 'setpgid', dir: '>', nums: [5, 6] }).args, { pid: 5, pgid: 6 }, 'enter: the same arguments')
  t.equal(decode({ kind: 'setpgid', res: 0, nums: [0, 0], blobs: [Buffer.alloc(8)] }).session, undefined, 'a short blob is ignored')
  t.equal(decodeErr(record({ kind: 'setpgid', res: 0, nums: [0] })).code, 'ERR_SYSCALL_SHORT_RECORD', 'setpgid without its pgid slot')
})

t.test('every kind id in abi.ts has a decoder', async t => {
  for (const [name, id] of Object.entries(KIND_IDS)) {
    const buf = record({ kind: id, nums: [0, 0, 0, 0, 0, 0] })
    const out = decodeRecord(buf, 0, buf.length, newDecodeContext())
    t.equal('code' in out ? out.code : out.type, name, name)
  }
})

t.test('bad records become DecodeErrors with stable codes', async t => {
  const good = record({ kind: 'openat', res: 3, nums: [-100, 0, 0], blobs: ['/etc/hostname'] })
  t.equal(decodeErr(good.subarray(0, 40), 40).code, 'ERR_SYSCALL_SHORT_RECORD', 'shorter than the header')
  t.equal(decodeErr(good, good.length + 10).code, 'ERR_SYSCALL_SHORT_RECORD', 'length past the buffer')
  const unknown = decodeErr(record({ kind: 999, nums: [1] }))
  t.equal(unknown.code, 'ERR_SYSCALL_UNKNOWN_OP')
  t.equal(unknown.kind, 999)
  t.equal(decodeErr(record({ kind: 'openat', nums: [1] })).code, 'ERR_SYSCALL_SHORT_RECORD', 'too few numeric slots')
  const cut = Buffer.from(good)
  cut.writeUInt16LE(cut.length - 4, 0)
  t.equal(decodeErr(cut, cut.length - 4).code, 'ERR_SYSCALL_SHORT_RECORD', 'blob runs past the record')
})

t.test('stream decoder: frames split across chunks, control frames, errors counted not thrown', async t => {
  const d = new StreamDecoder()
  const a = record({ kind: 'close', nums: [3], ts: 10n })
  const b = record({ kind: 'unlink', blobs: ['/tmp/x'], ts: 20n })
  const bad = record({ kind: 77 })
  const stream = Buffer.concat([hello(555, 1000n), a, bad, b, stats(3, [0, 4], 2000n)])
  const out1 = d.push(stream.subarray(0, 30))
  t.equal(out1.hello?.helperPid, 555)
  t.equal(out1.records.length, 0)
  const out2 = d.push(stream.subarray(30, 100))
  t.same(out2.records.map(r => [r.type, r.ts]), [['close', 1010n]], 'clock offset from HELLO applies')
  const out3 = d.push(stream.subarray(100))
  t.same(out3.records.map(r => [r.type, r.ts]), [['unlink', 1020n]])
  t.same(out3.errors.map(e => e.code), ['ERR_SYSCALL_UNKNOWN_OP'])
  t.same(out3.stats[0]?.dropsPerCpu, [0, 4])
  t.equal(d.ctx.clockOffset, 2000n, 'STATS refreshes the clock offset')
  t.equal(d.errorCount, 1)
  const broken = d.push(Buffer.from([2, 0, 1, 0, 9, 9, 9, 9]))
  t.same(broken.errors.map(e => e.code), ['ERR_SYSCALL_SHORT_RECORD'], 'a frame length below 4 drops the rest')
  const after = d.push(a)
  t.equal(after.records.length, 1, 'decoding resumes with the next chunk')
})

t.test('control frames: kinds answers, and frames too short for their type become errors, the stream goes on', async t => {
  const d = new StreamDecoder()
  const close = record({ kind: 'close', nums: [4], ts: 5n })
  const out = d.push(Buffer.concat([
    conf(7, 12, 3), conf(8, 0xffffffff, 0),
    shortFrame(HELLO.type, 8), shortFrame(STATS.type, 16), shortFrame(CONF.type, 12),
    close
  ]))
  t.same(out.conf, [{ seq: 7, rejected: false, nExit: 12, nEnter: 3 }, { seq: 8, rejected: true, nExit: 0, nEnter: 0 }])
  t.same(out.errors, [
    { code: 'ERR_SYSCALL_SHORT_RECORD', message: 'hello frame of 8 bytes' },
    { code: 'ERR_SYSCALL_SHORT_RECORD', message: 'stats frame of 16 bytes' },
    { code: 'ERR_SYSCALL_SHORT_RECORD', message: 'conf frame of 12 bytes' }
  ])
  t.equal(out.hello, undefined)
  t.same(out.stats, [])
  t.same(out.records.map((r) => [r.type, r.args.fd]), [['close', 4]], 'the record after them decodes')
  t.equal(d.errorCount, 3)
  // a stats frame whose CPU count runs past its length
  const lying = stats(1, [0, 0], 0n)
  lying.writeUInt32LE(64, STATS.ncpu)
  t.same(d.push(lying).errors, [{ code: 'ERR_SYSCALL_SHORT_RECORD', message: 'stats frame too short for 64 CPUs' }])
  t.equal(d.push(Buffer.alloc(0)).records.length, 0, 'an empty chunk yields nothing')
})

t.test('records whose counts run past their length', async t => {
  const base = record({ kind: 'close', nums: [3], blobs: ['x'] })
  const slots = Buffer.from(base)
  slots[HDR.nnum] = 200
  t.same(decodeErr(slots), { code: 'ERR_SYSCALL_SHORT_RECORD', message: 'close record too short for 200 numeric arguments', kind: KIND_IDS.close })
  const blobs = Buffer.from(base)
  blobs[HDR.nblob] = 3 // the cgroup blob and 'x' are there; a third length field is not
  t.same(decodeErr(blobs), { code: 'ERR_SYSCALL_SHORT_RECORD', message: 'close record ends inside blob 2', kind: KIND_IDS.close })
})

t.test('a record in a plain Uint8Array (not a Buffer) decodes the same', async t => {
  const buf = record({ kind: 'openat', res: 3, nums: [-100, 0, 0], blobs: ['/etc/hostname'], cgroup: HEX })
  const plain = new Uint8Array(buf.length + 8)
  plain.set(buf, 8)
  const out = decodeRecord(plain, 8, buf.length, newDecodeContext())
  t.equal('code' in out, false)
  const r = out as SyscallRecord
  t.same(r.args, { fd: 3, dirfd: -100, name: '/etc/hostname', flags: 0, mode: 0 })
  t.equal(r.containerId, HEX)
  t.equal(r.res, 3)
})

t.test('socket edge cases the kernel produces: ICMP sockets, short IPv6 sockaddrs, bind after the kernel chose the port', async t => {
  // a ping socket (SOCK_DGRAM, IPPROTO_ICMP / ICMPV6) connecting
  const ping = tuple({ family: 2, proto: 1, sport: 7, saddr: [10, 0, 0, 5], daddr: [10, 0, 0, 9] })
  t.match(decode({ kind: 'connect', nums: [3], blobs: [ping, new Uint8Array(0)] }).args, { family: 'ipv4', l4proto: 'icmp' })
  const ping6 = tuple({ family: 10, proto: 58 })
  t.match(decode({ kind: 'connect', nums: [3], blobs: [ping6, new Uint8Array(0)] }).args, { family: 'ipv6', l4proto: 'icmp' })
  // a sockaddr_in6 cut at 20 bytes (addrlen too small): no addr, nothing invented
  const short6 = Buffer.alloc(20)
  short6.writeUInt16LE(10, 0)
  short6.writeUInt16BE(443, 2)
  const cut = decode({ kind: 'connect', res: -22, nums: [3], blobs: [tuple({ family: 10, proto: 6, sport: 0 }), short6] })
  t.equal(cut.args.addr, undefined)
  t.equal(cut.args.rport, 0, 'the kernel tuple stays as it was')
  // bind: the socket's own tuple already names the bound port; the sockaddr does not override it
  const bound = tuple({ family: 2, proto: 6, sport: 8080, saddr: [127, 0, 0, 1] })
  t.match(decode({ kind: 'bind', nums: [3], blobs: [bound, sockaddrIn([0, 0, 0, 0], 0)] }).args, { addr: '0.0.0.0:0', lip: '127.0.0.1', lport: 8080 })
  t.match(decode({ kind: 'bind', nums: [3], blobs: [tuple({ family: 2, proto: 17 }), sockaddrIn([127, 0, 0, 1], 5353)] }).args,
    { addr: '127.0.0.1:5353', lip: '127.0.0.1', lport: 5353 }, 'an unbound tuple takes the sockaddr\'s end')
})

t.test('execve with an empty argv (execve(path, {NULL}, env), as exploits do)', async t => {
  const r = decode({ kind: 'execve', res: 0, blobs: ['/tmp/x', new Uint8Array(0), 'tmp\0'] })
  t.same(r.argv, [])
  t.same(r.args, { filename: '/tmp/x', exe: '', args: '', cwd: '/tmp' })
})
