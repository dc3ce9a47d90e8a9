// proc.is_exe_writable / is_exe_upper_layer / is_exe_from_memfd / exe_ino: the probe's exe_* facts
// on a successful execve become part of the process, read through the field table; forks inherit
// them, a later exec without facts clears them, and processes seeded from /proc read as absent.
import t from 'tap'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import type { SyscallEvent } from '../../../src/syscall/event.ts'
import { fakeProc, rec } from './fake-proc.ts'

const read = (name: string, ev: SyscallEvent) => syscallFields.bind(name, undefined)(ev)
const FIELDS = ['proc.exe_ino', 'proc.is_exe_writable', 'proc.is_exe_upper_layer', 'proc.is_exe_from_memfd']

function setup (t: { teardown(fn: () => void): void }) {
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd', cwd: '/' },
    { pid: 100, ppid: 1, comm: 'bash', argv: ['-bash'], exe: '/usr/bin/bash', cwd: '/root' }
  ])
  t.teardown(fp.cleanup)
  return createEnricher({ procRoot: fp.root, users: userDbFrom([], []), hostname: 'node-1' })
}

const memfdExec = {
  filename: '/proc/self/fd/3', exe: 'memfd-marker', args: '', cwd: '/root',
  exe_ino: 4242, exe_mode: 0o100777, exe_uid: 0, exe_gid: 0, exe_nlink: 0, exe_upper_layer: 0, exe_from_memfd: 1, exe_writable: 1
}

t.test('a process seeded from /proc has no exe facts: the fields read as absent', async (t) => {
  const en = setup(t)
  const ev = en.enrich(rec('openat', { pid: 100, res: 3, args: { dirfd: -100, name: '/etc/hosts', flags: 0 } }))
  for (const f of FIELDS) t.equal(read(f, ev), undefined, f)
})

t.test('an execve exit record with exe facts sets every field', async (t) => {
  const en = setup(t)
  const ev = en.enrich(rec('execve', { pid: 100, comm: 'memfd-marker', argv: ['memfd-marker'], args: memfdExec }))
  t.equal(read('proc.exe_ino', ev), 4242)
  t.equal(read('proc.is_exe_from_memfd', ev), true)
  t.equal(read('proc.is_exe_writable', ev), true)
  t.equal(read('proc.is_exe_upper_layer', ev), false)
  const later = en.enrich(rec('openat', { pid: 100, res: 4, args: { dirfd: -100, name: '/etc/passwd', flags: 0 } }))
  t.equal(read('proc.is_exe_from_memfd', later), true, 'later events of the process see them too')
})

t.test('an image file from the upper layer, read-only for its user', async (t) => {
  const en = setup(t)
  const ev = en.enrich(rec('execve', {
    pid: 100, uid: 1000, gid: 1000, argv: ['dropped'],
    args: { filename: '/tmp/dropped', exe: 'dropped', args: '', exe_ino: 77, exe_mode: 0o100755, exe_uid: 0, exe_gid: 0, exe_nlink: 1, exe_upper_layer: 1, exe_from_memfd: 0, exe_writable: 0 }
  }))
  t.equal(read('proc.is_exe_upper_layer', ev), true)
  t.equal(read('proc.is_exe_writable', ev), false)
  t.equal(read('proc.is_exe_from_memfd', ev), false)
})

t.test('a fork inherits the facts; the next exec without facts clears them', async (t) => {
  const en = setup(t)
  en.enrich(rec('execve', { pid: 100, argv: ['memfd-marker'], args: memfdExec }))
  en.enrich(rec('clone', { pid: 100, res: 200, args: { flags: 0x01200011 } }))
  const child = en.enrich(rec('openat', { pid: 200, tid: 200, ppid: 100, res: 3, args: { dirfd: -100, name: '/etc/hosts', flags: 0 } }))
  t.equal(read('proc.is_exe_from_memfd', child), true, 'the forked child runs the same executable')
  const exec = en.enrich(rec('execve', { pid: 200, tid: 200, ppid: 100, argv: ['ls'], args: { filename: '/bin/ls', exe: 'ls', args: '' } }))
  for (const f of FIELDS) t.equal(read(f, exec), undefined, `${f}: a new executable we know nothing about`)
})

t.test('a failed execve keeps the old executable\'s facts', async (t) => {
  const en = setup(t)
  en.enrich(rec('execve', { pid: 100, argv: ['memfd-marker'], args: memfdExec }))
  const failed = en.enrich(rec('execve', { pid: 100, res: -2, args: { filename: '/nope' } }))
  t.equal(read('proc.is_exe_from_memfd', failed), true)
})
