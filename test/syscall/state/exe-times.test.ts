// proc.exe_ino.ctime / .mtime / .ctime_duration_proc_start / .ctime_duration_pidns_start and
// proc.pidns_init_start_ts, from records built in the C ABI layout (struct ln_exe_info's inode
// times in epoch ns, struct ln_task_info's boot-time pid namespace start) through the decoder,
// the process table and the field table. Semantics from libsinsp: the durations are
// clone_ts − ctime and ctime − pidns start, each absent when 0 (or, for the namespace, when the
// file is older than it).
import t from 'tap'
import { decodeRecord, newDecodeContext } from '../../../src/syscall/decode.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import type { SyscallEvent } from '../../../src/syscall/event.ts'
import type { SyscallRecord } from '../../../src/syscall/record.ts'
import { exeInfo, record, taskInfo, type RecordSpec } from '../../fixtures/syscall/records.ts'
import { fakeProc } from './fake-proc.ts'

// realtime − boottime, as the helper's HELLO carries it
const OFFSET = 1_764_000_000_000_000_000n
const read = (name: string, ev: SyscallEvent) => syscallFields.bind(name, undefined)(ev)

function decode (spec: RecordSpec): SyscallRecord {
  const buf = record(spec)
  const out = decodeRecord(buf, 0, buf.length, newDecodeContext(OFFSET))
  if ('code' in out) throw new Error(`unexpected ${out.code}: ${out.message}`)
  return out
}

function setup (t: { teardown(fn: () => void): void }) {
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd', cwd: '/' },
    { pid: 100, ppid: 1, comm: 'bash', argv: ['-bash'], exe: '/usr/bin/bash', cwd: '/root' }
  ])
  t.teardown(fp.cleanup)
  return createEnricher({ procRoot: fp.root, users: userDbFrom([], []), hostname: 'node-1' })
}

// boot-time clock values (ns since boot)
const FORK_AT = 500_000_000_000n
const EXEC_AT = FORK_AT + 2_000_000n
const PIDNS_START = 3_000_000_000n

const forkChild = (pid: number, pidnsStart = PIDNS_START): RecordSpec =>
  ({ kind: 'clone', res: 0, pid, tid: pid, ppid: 100, ts: FORK_AT, nums: [0x01200011], blobs: ['bash', 'root\0', taskInfo({ vpid: pid, pidnsStart })] })

const execOf = (pid: number, times: { ctime?: bigint, mtime?: bigint }, pidnsStart = PIDNS_START): RecordSpec => ({
  kind: 'execve', res: 0, pid, tid: pid, ppid: 100, ts: EXEC_AT, comm: 'dropped',
  blobs: ['/tmp/dropped', 'dropped', 'tmp\0', exeInfo({ ino: 4711, mode: 0o100755, ...times }), taskInfo({ vpid: pid, pidnsStart })]
})

t.test('the decoder reads the inode times as epoch ns and shifts the namespace start by the clock offset', async (t) => {
  const r = decode(execOf(200, { ctime: 1_764_000_400_123_456_789n, mtime: 1_700_000_000_000_000_001n }))
  t.equal(r.args.exe_ino_ctime, 1_764_000_400_123_456_789n, 'ctime exact to the ns (a bigint)')
  t.equal(r.args.exe_ino_mtime, 1_700_000_000_000_000_001n)
  t.equal(r.args.pidns_init_start_ts, PIDNS_START + OFFSET)
  const none = decode(execOf(200, {}, 0n))
  t.notOk('exe_ino_ctime' in none.args, 'ctime 0: unknown, not the epoch')
  t.notOk('exe_ino_mtime' in none.args)
  t.notOk('pidns_init_start_ts' in none.args)
  const child = decode(forkChild(200))
  t.equal(child.args.pidns_init_start_ts, PIDNS_START + OFFSET, 'a new child carries it too')
})

t.test('an exec of a file changed before the fork: every field, Falco\'s arithmetic', async (t) => {
  const en = setup(t)
  const ctime = FORK_AT + OFFSET - 7_000_000_000n // changed 7 s before the process started
  const mtime = ctime - 86_400_000_000_000n
  en.enrich(decode({ kind: 'clone', res: 200, pid: 100, tid: 100, ppid: 1, ts: FORK_AT - 1000n, nums: [0x01200011] }))
  en.enrich(decode(forkChild(200)))
  const ev = en.enrich(decode(execOf(200, { ctime, mtime })))
  t.equal(read('proc.exe_ino', ev), 4711)
  t.equal(read('proc.exe_ino.ctime', ev), ctime)
  t.equal(read('proc.exe_ino.mtime', ev), mtime)
  const start = read('proc.pid.ts', ev) as bigint
  t.equal(start, FORK_AT - 1000n + OFFSET, 'the process started when its parent forked it (clone_ts)')
  t.equal(read('proc.exe_ino.ctime_duration_proc_start', ev), start - ctime)
  t.equal(read('proc.pidns_init_start_ts', ev), PIDNS_START + OFFSET)
  t.equal(read('proc.exe_ino.ctime_duration_pidns_start', ev), ctime - (PIDNS_START + OFFSET))
  const later = en.enrich(decode({ kind: 'openat', res: 3, pid: 200, tid: 200, ppid: 100, ts: EXEC_AT + 5n, nums: [-100, 0, 0], blobs: ['/etc/hosts'] }))
  t.equal(read('proc.exe_ino.ctime', later), ctime, 'later events of the process see them')
})

t.test('absent where libsinsp leaves them absent', async (t) => {
  const en = setup(t)
  en.enrich(decode(forkChild(300)))
  // the file changed after the process started (it execs what it just wrote): libsinsp's unsigned
  // clone_ts − ctime would wrap around; no duration
  const after = en.enrich(decode(execOf(300, { ctime: EXEC_AT + OFFSET - 1000n, mtime: EXEC_AT + OFFSET - 1000n })))
  t.equal(read('proc.exe_ino.ctime', after), EXEC_AT + OFFSET - 1000n)
  t.equal(read('proc.exe_ino.ctime_duration_proc_start', after), undefined)
  // a file older than the pid namespace (an image binary in a container started later)
  en.enrich(decode(forkChild(301)))
  const old = en.enrich(decode(execOf(301, { ctime: PIDNS_START + OFFSET - 1n, mtime: 1n })))
  t.equal(read('proc.exe_ino.ctime_duration_pidns_start', old), undefined)
  t.ok((read('proc.exe_ino.ctime_duration_proc_start', old) as bigint) > 0n)
  // an inode the probe could not time, and no namespace start
  en.enrich(decode(forkChild(302, 0n)))
  const unknown = en.enrich(decode(execOf(302, {}, 0n)))
  for (const f of ['proc.exe_ino.ctime', 'proc.exe_ino.mtime', 'proc.exe_ino.ctime_duration_proc_start', 'proc.exe_ino.ctime_duration_pidns_start', 'proc.pidns_init_start_ts']) {
    t.equal(read(f, unknown), undefined, f)
  }
  t.equal(read('proc.exe_ino', unknown), 4711, 'the inode number is still known')
})

t.test('a fork inherits the times; an exec without exe facts clears them', async (t) => {
  const en = setup(t)
  const ctime = FORK_AT + OFFSET - 1_000_000_000n
  en.enrich(decode(forkChild(400)))
  en.enrich(decode(execOf(400, { ctime, mtime: ctime })))
  en.enrich(decode({ kind: 'clone', res: 401, pid: 400, tid: 400, ppid: 100, ts: EXEC_AT + 10n, nums: [0x01200011] }))
  const child = en.enrich(decode({ ...forkChild(401), ppid: 400, ts: EXEC_AT + 20n }))
  t.equal(read('proc.exe_ino.ctime', child), ctime, 'the forked child runs the same file')
  t.equal(read('proc.exe_ino.ctime_duration_proc_start', child), EXEC_AT + 10n + OFFSET - ctime, 'measured to the child\'s own start')
  const bare = en.enrich(decode({ kind: 'execve', res: 0, pid: 401, tid: 401, ppid: 400, ts: EXEC_AT + 30n, blobs: ['/bin/ls', 'ls', 'tmp\0'] }))
  t.equal(read('proc.exe_ino.ctime', bare), undefined, 'a new executable we know nothing about')
  t.equal(read('proc.pidns_init_start_ts', bare), PIDNS_START + OFFSET, 'the namespace has not changed')
})

t.test('a process seeded from /proc has none of them', async (t) => {
  const en = setup(t)
  const ev = en.enrich(decode({ kind: 'openat', res: 3, pid: 100, tid: 100, ppid: 1, nums: [-100, 0, 0], blobs: ['/etc/hosts'] }))
  t.equal(read('proc.exe_ino.ctime', ev), undefined)
  t.equal(read('proc.pidns_init_start_ts', ev), undefined)
})
