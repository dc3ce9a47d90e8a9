// A table of records (with the arguments the decoder writes) and what evt.* fields and evt.arg
// renderings a rule or an output shows for them, as Falco prints them: fd arguments as
// num(<typechar>name), AT_FDCWD by name, errno names for failures, uids by user name, address
// families and ptrace requests by name, plain modes in octal; paths made absolute against the
// dirfd or the cwd; categories and I/O directions.
import t from 'tap'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import type { SyscallRecord } from '../../../src/syscall/record.ts'
import { fakeProc, rec } from '../state/fake-proc.ts'

function setup (t: { teardown(fn: () => void): void }) {
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], cwd: '/' },
    { pid: 100, ppid: 1, comm: 'bash', argv: ['bash'], cwd: '/home/alice', uid: 1000, fds: { 1: '/dev/log' } }
  ])
  t.teardown(fp.cleanup)
  const users = userDbFrom([{ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' }, { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice', shell: '/bin/sh' }], [{ name: 'root', gid: 0 }])
  return createEnricher({ procRoot: fp.root, users, hostname: 'node-1' })
}

function fieldsOf (ev: ReturnType<ReturnType<typeof setup>['enrich']>, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const n of names) {
    // name[arg], as a rule writes evt.abspath[src] or evt.arg[0]
    const m = /^([^[]+)\[(.*)\]$/.exec(n)
    out[n] = (m === null ? syscallFields.bind(n, undefined) : syscallFields.bind(m[1] as string, m[2]))(ev)
  }
  return out
}

t.test('evt.abspath and its src/dst/target forms', async (t) => {
  const en = setup(t)
  en.enrich(rec('openat', { pid: 100, res: 5, args: { fd: 5, dirfd: -100, name: '/srv', flags: 0o200000, mode: 0 } }))
  const rows: Array<[string, SyscallRecord, Record<string, unknown>]> = [
    ['openat relative to a directory fd', rec('openat', { pid: 100, res: 6, args: { fd: 6, dirfd: 5, name: 'www/index.html', flags: 0, mode: 0 } }),
      { 'evt.abspath': '/srv/www/index.html' }],
    ['unlinkat relative to the cwd', rec('unlinkat', { pid: 100, res: 0, args: { dirfd: -100, name: 'tmp/../notes', flags: 0 } }),
      { 'evt.abspath': '/home/alice/notes' }],
    ['unlink: its path argument', rec('unlink', { pid: 100, res: 0, args: { path: 'old.log' } }),
      { 'evt.abspath': '/home/alice/old.log', 'evt.abspath[src]': undefined }],
    ['renameat: source against the old dirfd, destination against the new one', rec('renameat', { pid: 100, res: 0, args: { olddirfd: 5, oldpath: 'a', newdirfd: -100, newpath: 'b', flags: 0 } }),
      { 'evt.abspath[src]': '/srv/a', 'evt.abspath[dst]': '/home/alice/b', 'evt.abspath': undefined, 'evt.abspath[nope]': undefined }],
    ['symlinkat: the link made, against its dirfd', rec('symlinkat', { pid: 100, res: 0, args: { target: '/etc/shadow', linkdirfd: -100, linkpath: 'sh' } }),
      { 'evt.abspath[target]': '/home/alice/sh' }]
  ]
  for (const [why, r, want] of rows) {
    const ev = en.enrich(r)
    t.same(fieldsOf(ev, Object.keys(want)), want, why)
  }
})

t.test('time since the first event, categories, I/O direction and error counts', async (t) => {
  const en = setup(t)
  const first = en.enrich(rec('openat', { pid: 100, ts: 1_700_000_000_000_000_000n, res: 3, args: { fd: 3, dirfd: -100, name: '/etc/hosts', flags: 0, mode: 0 } }))
  t.same(fieldsOf(first, ['evt.reltime', 'evt.reltime.s', 'evt.reltime.ns']), { 'evt.reltime': 0n, 'evt.reltime.s': 0, 'evt.reltime.ns': 0 })
  const later = en.enrich(rec('read', { pid: 100, ts: 1_700_000_001_500_000_123n, res: 42, args: { fd: 3, size: 4096 } }))
  t.same(fieldsOf(later, ['evt.reltime', 'evt.reltime.s', 'evt.reltime.ns', 'evt.is_io', 'evt.is_io_read', 'evt.is_io_write', 'evt.io_dir', 'evt.buflen', 'syscall.type']),
    { 'evt.reltime': 1_500_000_123n, 'evt.reltime.s': 1, 'evt.reltime.ns': 500_000_123, 'evt.is_io': true, 'evt.is_io_read': true, 'evt.is_io_write': false, 'evt.io_dir': 'r', 'evt.buflen': 4096, 'syscall.type': 'read' })
  const syslog = en.enrich(rec('write', { pid: 100, res: 20, args: { fd: 1, size: 20 } }))
  t.same(fieldsOf(syslog, ['evt.is_syslog', 'evt.io_dir', 'evt.is_io_write']), { 'evt.is_syslog': true, 'evt.io_dir': 'w', 'evt.is_io_write': true })
  const close = en.enrich(rec('close', { pid: 100, res: 0, args: { fd: 3 } }))
  t.same(fieldsOf(close, ['evt.io_dir', 'evt.is_syslog', 'evt.is_io']), { 'evt.io_dir': undefined, 'evt.is_syslog': false, 'evt.is_io': false })
  const errors = ['evt.count.error', 'evt.count.error.file', 'evt.count.error.net', 'evt.count.error.other', 'evt.count.exit']
  t.same(fieldsOf(en.enrich(rec('openat', { pid: 100, res: -13, args: { fd: -13, dirfd: -100, name: '/etc/shadow', flags: 0, mode: 0 } })), errors),
    { 'evt.count.error': 1, 'evt.count.error.file': 1, 'evt.count.error.net': 0, 'evt.count.error.other': 0, 'evt.count.exit': 1 })
  t.same(fieldsOf(en.enrich(rec('connect', { pid: 100, res: -111, args: { fd: 7, addr: '10.0.0.1:80' } })), errors),
    { 'evt.count.error': 1, 'evt.count.error.file': 0, 'evt.count.error.net': 1, 'evt.count.error.other': 0, 'evt.count.exit': 1 })
  t.same(fieldsOf(en.enrich(rec('setuid', { pid: 100, res: -1, args: { uid: 0 } })), errors),
    { 'evt.count.error': 1, 'evt.count.error.file': 0, 'evt.count.error.net': 0, 'evt.count.error.other': 1, 'evt.count.exit': 1 })
  t.same(fieldsOf(en.enrich(rec('setuid', { pid: 100, dir: '>', res: undefined, args: { uid: 0 } })), errors),
    { 'evt.count.error': 0, 'evt.count.error.file': 0, 'evt.count.error.net': 0, 'evt.count.error.other': 0, 'evt.count.exit': 0 }, 'an enter event has no result')
  t.equal(fieldsOf(en.enrich(rec('procexit', { pid: 100, tid: 100, dir: '>', res: undefined, args: { status: 0 } })), ['syscall.type'])['syscall.type'], undefined, 'procexit is no syscall')
})

t.test('open flags: what the event opens for', async (t) => {
  const en = setup(t)
  const names = ['evt.is_open_read', 'evt.is_open_write', 'evt.is_open_create', 'evt.is_open_exec']
  t.same(fieldsOf(en.enrich(rec('openat', { pid: 100, res: 3, args: { fd: 3, dirfd: -100, name: '/tmp/run.sh', flags: 0o1101, mode: 0o755 } })), names),
    { 'evt.is_open_read': false, 'evt.is_open_write': true, 'evt.is_open_create': true, 'evt.is_open_exec': true }, 'O_WRONLY|O_CREAT|O_TRUNC, 0755')
  t.same(fieldsOf(en.enrich(rec('openat', { pid: 100, res: 3, args: { fd: 3, dirfd: -100, name: '/tmp/x', flags: 0o102, mode: 0o644 } })), names),
    { 'evt.is_open_read': true, 'evt.is_open_write': true, 'evt.is_open_create': true, 'evt.is_open_exec': false }, 'O_RDWR|O_CREAT, 0644')
  t.same(fieldsOf(en.enrich(rec('creat', { pid: 100, res: 3, args: { fd: 3, name: '/tmp/y', mode: 0o700 } })), names),
    { 'evt.is_open_read': false, 'evt.is_open_write': true, 'evt.is_open_create': true, 'evt.is_open_exec': true }, 'creat is O_CREAT|O_WRONLY')
  t.same(fieldsOf(en.enrich(rec('unlink', { pid: 100, res: 0, args: { path: '/tmp/y' } })), names),
    { 'evt.is_open_read': false, 'evt.is_open_write': false, 'evt.is_open_create': false, 'evt.is_open_exec': false })
})

t.test('evt.arg renderings', async (t) => {
  const en = setup(t)
  const rows: Array<[string, SyscallRecord, Record<string, unknown>]> = [
    ['openat: fd with its name, AT_FDCWD, flags by name', rec('openat', { pid: 100, res: 3, args: { fd: 3, dirfd: -100, name: 'notes', flags: 0o2000000, mode: 0 } }),
      { 'evt.arg.fd': '3(<f>/home/alice/notes)', 'evt.arg.dirfd': '-100(AT_FDCWD)', 'evt.arg.flags': 'O_RDONLY|O_CLOEXEC', 'evt.arg.mode': '0', 'evt.arg.name': 'notes', 'evt.arg[0]': '3(<f>/home/alice/notes)', 'evt.rawarg.dirfd': -100 }],
    ['a failed open: the fd argument with its errno name, as Falco prints it', rec('openat', { pid: 100, res: -2, args: { fd: -2, dirfd: -100, name: '/nope', flags: 0, mode: 0o644 } }),
      { 'evt.arg.fd': '-2(ENOENT)', 'evt.arg.mode': '0644', 'evt.res': 'ENOENT', 'evt.rawres': -2, 'evt.failed': true }],
    ['setuid: the uid by user name', rec('setuid', { pid: 100, res: 0, args: { uid: 0 } }), { 'evt.arg.uid': 'root', 'evt.res': 'SUCCESS' }],
    ['setuid to a uid with no user: the number', rec('setuid', { pid: 100, res: 0, args: { uid: 4242 } }), { 'evt.arg.uid': '4242' }],
    ['socket: the family by name', rec('socket', { pid: 100, res: 4, args: { fd: 4, domain: 10, type: 1, proto: 0 } }), { 'evt.arg.domain': 'AF_INET6', 'evt.arg.type': '1' }],
    ['ptrace: the request by name', rec('ptrace', { pid: 100, res: 0, args: { request: 16, pid: 1, addr: 0n, data: 0n } }), { 'evt.arg.request': 'PTRACE_ATTACH', 'evt.arg.pid': '1' }],
    ['an argument the event does not have', rec('close', { pid: 100, res: 0, args: { fd: 3 } }), { 'evt.arg.name': undefined, 'evt.rawarg.name': undefined }]
  ]
  for (const [why, r, want] of rows) {
    const ev = en.enrich(r)
    t.same(fieldsOf(ev, Object.keys(want)), want, why)
  }
})
