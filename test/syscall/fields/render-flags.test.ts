import t from 'tap'
import { capsText, cloneFlagsText, errnoName, modeText, openFlagsText, ptraceRequestText, resultText, socketFamilyText } from '../../../src/syscall/fields/render-flags.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { fakeProc, rec } from '../state/fake-proc.ts'

t.test('errno names as Falco prints evt.res', async (t) => {
  t.equal(resultText(0), 'SUCCESS')
  t.equal(resultText(17), 'SUCCESS')
  t.equal(resultText(-2), 'ENOENT')
  t.equal(resultText(-13), 'EACCES')
  t.equal(resultText(-115), 'EINPROGRESS')
  t.equal(resultText(-111), 'ECONNREFUSED')
  t.equal(errnoName(512), 'ERESTARTSYS')
  t.equal(errnoName(4000), 'E4000', 'unknown numbers stay readable')
})

t.test('open flags, modes, clone flags', async (t) => {
  t.equal(openFlagsText(0), 'O_RDONLY')
  t.equal(openFlagsText(0o1101), 'O_WRONLY|O_CREAT|O_TRUNC')
  t.equal(openFlagsText(0o2000002), 'O_RDWR|O_CLOEXEC')
  t.equal(openFlagsText(0o4010001), 'O_WRONLY|O_SYNC', 'O_SYNC is not also printed as O_DSYNC')
  t.equal(openFlagsText(0o20200002), 'O_RDWR|O_TMPFILE', 'O_TMPFILE includes O_DIRECTORY')
  t.equal(modeText(0o4755), 'S_ISUID|S_IRUSR|S_IWUSR|S_IXUSR|S_IRGRP|S_IXGRP|S_IROTH|S_IXOTH')
  t.equal(modeText(0o2000), 'S_ISGID')
  t.equal(modeText(0), '0')
  t.equal(cloneFlagsText(0x01200011), 'CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID', 'the exit-signal byte is not a flag')
  t.equal(cloneFlagsText(0x10000 | 0x100), 'CLONE_VM|CLONE_THREAD')
  t.equal(cloneFlagsText(0x80000000), 'CLONE_IO', 'bit 31')
  t.equal(socketFamilyText(17), 'AF_PACKET')
  t.equal(socketFamilyText(99), 'AF_99')
  t.equal(ptraceRequestText(0), 'PTRACE_TRACEME')
  t.equal(ptraceRequestText(0x4206), 'PTRACE_SEIZE')
  t.equal(capsText(0n), '')
  t.equal(capsText((1n << 21n) | 1n), 'CAP_CHOWN CAP_SYS_ADMIN')
})

// Malformed records (wrong arg types, truncated addresses, undecodable bytes, unknown pids and
// fds, an unknown syscall) go through one enricher in order, as a stream would. Each row says what
// the fields that read the malformed parts render; every other field must evaluate without
// throwing (collected and compared once per record, so a failure names the fields).
t.test('malformed records: the fields render what the table says, and no extractor throws', async (t) => {
  const fp = fakeProc([{ pid: 5, ppid: 1, comm: 'x', argv: ['x'] }])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []) })
  const FFFD2 = '\ufffd\ufffd'
  const table: Array<{ why: string, record: ReturnType<typeof rec>, expect: Record<string, unknown> }> = [
    {
      why: 'openat whose dirfd/name/flags have the wrong types: the fd is still opened, the name stays absent (not "42")',
      record: rec('openat', { pid: 5, res: 3, args: { dirfd: 'nope', name: 42 as unknown as string, flags: 'x' } }),
      expect: { 'evt.type': 'openat', 'evt.res': 'SUCCESS', 'evt.rawres': 3, 'evt.failed': false, 'fd.num': 3, 'fd.type': 'file', 'fd.name': undefined, 'fd.directory': undefined, 'evt.is_open_read': false, 'evt.args': 'res=3 dirfd=nope name=42 flags=x', 'proc.name': 'x', 'proc.pid': 5 }
    },
    {
      why: 'connect with a 1-byte address and a 3-byte local ip: no tuple is invented; fd 3 keeps what openat opened',
      record: rec('connect', { pid: 5, res: 0, args: { fd: 3n, addr: new Uint8Array([2]), lip: new Uint8Array(3), lport: 'x' } }),
      expect: { 'evt.type': 'connect', 'evt.res': 'SUCCESS', 'fd.num': 3, 'fd.type': 'file', 'fd.sip': undefined, 'fd.cip': undefined, 'fd.sport': undefined, 'fd.lport': undefined, 'fd.l4proto': undefined, 'fd.name': undefined }
    },
    {
      why: 'execve of a filename that is not UTF-8 and no argv: undecodable bytes become U+FFFD, the NUL ends the name',
      record: rec('execve', { pid: 5, res: 0, argv: [], args: { filename: new Uint8Array([0xff, 0xfe, 0]) } }),
      expect: { 'evt.type': 'execve', 'proc.name': FFFD2, 'proc.exepath': FFFD2, 'proc.cmdline': FFFD2, 'proc.args': undefined, 'proc.exe': 'x', 'evt.args': `res=0 filename=${FFFD2}` }
    },
    {
      why: 'clone of an unknown pid with every flag bit set: all known flag names, no process fields',
      record: rec('clone', { pid: 99999, res: 7, args: { flags: -1 } }),
      expect: {
        'evt.type': 'clone', 'evt.rawres': 7, 'proc.pid': undefined, 'proc.name': undefined,
        'evt.arg.flags': 'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_PIDFD|CLONE_PTRACE|CLONE_VFORK|CLONE_PARENT|CLONE_THREAD|CLONE_NEWNS|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|CLONE_DETACHED|CLONE_UNTRACED|CLONE_CHILD_SETTID|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET'
      }
    },
    {
      why: 'close without an fd argument: nothing is closed, the process keeps its exec\'d name',
      record: rec('close', { pid: 5, res: 0, args: {} }),
      expect: { 'evt.type': 'close', 'evt.args': 'res=0', 'fd.num': undefined, 'proc.name': FFFD2 }
    },
    {
      why: 'dup2 of an fd the process never had: the new fd is unknown, not a copy of nothing',
      record: rec('dup2', { pid: 5, res: 9, args: { oldfd: 12345 } }),
      expect: { 'evt.type': 'dup2', 'evt.rawres': 9, 'evt.args': 'res=9 oldfd=12345', 'fd.name': undefined, 'fd.type': undefined }
    },
    {
      why: 'a syscall name no table knows, pid -1, no result: the event fields only',
      record: rec('made_up', { pid: -1, res: undefined, args: { x: undefined } }),
      expect: { 'evt.type': 'made_up', 'evt.res': undefined, 'evt.rawres': undefined, 'evt.failed': undefined, 'proc.pid': undefined, 'proc.name': undefined, 'fd.num': undefined }
    }
  ]
  const sweep = syscallFields.list().filter((f) => f.arg !== 'required')
  t.ok(sweep.length > 200, 'the sweep covers the field table')
  for (const row of table) {
    const ev = en.enrich(row.record)
    const got: Record<string, unknown> = {}
    for (const name of Object.keys(row.expect)) {
      const v = syscallFields.bind(name, undefined)(ev)
      got[name] = v === null || v === '' ? undefined : v
    }
    t.same(got, row.expect, row.why)
    const thrown: string[] = []
    for (const f of sweep) {
      try { syscallFields.bind(f.name, undefined)(ev) } catch (err) { thrown.push(`${f.name}: ${(err as Error).message}`) }
    }
    t.same(thrown, [], `${row.record.type}: no field throws`)
  }
  t.equal(en.stateErrors, 0)
})
