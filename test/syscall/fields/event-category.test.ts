// evt.category as Falco's event table sets it (libscap's event table: EC_FILE, EC_NET, EC_PROCESS,
// EC_USER…; fd-based I/O is refined by the fd's type, which Lanner's recorded kinds resolve to
// file or net): a rule on `evt.category = user` sees the uid changes, not process events.
import t from 'tap'
import { eventCategory } from '../../../src/syscall/fields/event-types.ts'

t.test('categories of the recorded event types, from Falco\'s event table', async (t) => {
  const expected: Record<string, string> = {
    chdir: 'file', fchdir: 'file', openat: 'file', unlinkat: 'file',
    setuid: 'user', setgid: 'user', setresuid: 'user', setresgid: 'user',
    setsid: 'process', setpgid: 'process', execve: 'process', clone: 'process', procexit: 'process',
    connect: 'net', accept4: 'net'
  }
  for (const [type, category] of Object.entries(expected)) t.equal(eventCategory(type), category, `${type}: ${category}`)
  t.equal(eventCategory('no-such-type'), 'other')
})
