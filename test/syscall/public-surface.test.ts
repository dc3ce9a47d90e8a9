// The syscall source as the app takes it, through src/syscall/index.ts only: an enricher over a
// /proc tree, the source definition the engine registers (its name, time and event type), and its
// field table reading an enriched event.
import t from 'tap'
import { createEnricher, syscallSource, SYSCALL_EVENT_TYPES } from '../../src/syscall/index.ts'
import { userDbFrom } from '../../src/syscall/state/users.ts'
import { fakeProc, rec } from './state/fake-proc.ts'

t.test('an enriched event through the source definition', async (t) => {
  const fp = fakeProc([{ pid: 100, ppid: 1, comm: 'cat', argv: ['cat', '/etc/shadow'], cwd: '/root' }])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []), hostname: 'node-1' })
  const ev = en.enrich(rec('openat', { pid: 100, ts: 1_700_000_000_123_000_000n, res: 3, args: { fd: 3, dirfd: -100, name: '/etc/shadow', flags: 0, mode: 0 } }))
  t.equal(syscallSource.name, 'syscall')
  t.equal(syscallSource.eventType?.(ev), 'openat')
  t.equal(syscallSource.time(ev), 1_700_000_000_123_000_000n)
  t.equal(syscallSource.fields.bind('fd.name', undefined)(ev), '/etc/shadow')
  t.equal(syscallSource.fields.bind('proc.cmdline', undefined)(ev), 'cat /etc/shadow')
  t.ok(SYSCALL_EVENT_TYPES.has('openat'), 'openat is a syscall event type rules may name')
})
