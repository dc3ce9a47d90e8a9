import t from 'tap'
import { capsText, cloneFlagsText, errnoName, modeText, openFlagsText, ptraceRequestText, resultText, socketFamilyText } from '../../../src/fields/syscall/render-flags.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { syscallFields } from '../../../src/fields/syscall/index.ts'
import { fakeProc, rec } from '../../syscall/state/fake-proc.ts'

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

t.test('malformed records never throw out of enrich or the extractors', async (t) => {
  const fp = fakeProc([{ pid: 5, ppid: 1, comm: 'x', argv: ['x'] }])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []) })
  const odd = [
    rec('openat', { pid: 5, res: 3, args: { dirfd: 'nope', name: 42 as unknown as string, flags: 'x' } }),
    rec('connect', { pid: 5, res: 0, args: { fd: 3n, addr: new Uint8Array([2]), lip: new Uint8Array(3), lport: 'x' } }),
    rec('execve', { pid: 5, res: 0, argv: [], args: { filename: new Uint8Array([0xff, 0xfe, 0]) } }),
    rec('clone', { pid: 99999, res: 7, args: { flags: -1 } }),
    rec('close', { pid: 5, res: 0, args: {} }),
    rec('dup2', { pid: 5, res: 9, args: { oldfd: 12345 } }),
    rec('made_up', { pid: -1, res: undefined, args: { x: undefined } })
  ]
  for (const r of odd) {
    const ev = en.enrich(r)
    for (const f of syscallFields.list()) {
      if (f.arg === 'required') continue
      t.doesNotThrow(() => syscallFields.bind(f.name, undefined)(ev), `${r.type} ${f.name}`)
    }
  }
  t.equal(en.stateErrors, 0)
})
