// fd kinds of processes found at start, from /proc/<pid>/fd link targets as the kernel writes them
// (fs/anon_inodes.c names with and without brackets, memfd's "/memfd:<name> (deleted)", pipes,
// sockets), through a fake /proc and the enricher, the way fd.type/fd.typechar/fd.name read them.
import t from 'tap'
import { kindFromLink } from '../../../src/syscall/state/fd-info.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { fakeProc, rec } from './fake-proc.ts'

const LINKS: Array<[string, string]> = [
  ['/etc/passwd', 'file'],
  ['/memfd:payload (deleted)', 'memfd'],
  ['pipe:[41077]', 'pipe'],
  ['socket:[41078]', 'unknown'],
  ['anon_inode:[eventfd]', 'event'],
  ['anon_inode:[eventpoll]', 'eventpoll'],
  ['anon_inode:inotify', 'inotify'],
  ['anon_inode:[signalfd]', 'signalfd'],
  ['anon_inode:[timerfd]', 'timerfd'],
  ['anon_inode:bpf-map', 'bpf'],
  ['anon_inode:bpf-prog', 'bpf'],
  ['anon_inode:bpf_link', 'bpf'],
  ['anon_inode:[userfaultfd]', 'userfaultfd'],
  ['anon_inode:[io_uring]', 'io_uring'],
  ['anon_inode:[pidfd]', 'pidfd'],
  ['anon_inode:[perf_event]', 'unknown'],
  ['net:[4026531840]', 'unknown']
]

t.test('kinds from link targets', async (t) => {
  for (const [target, kind] of LINKS) t.equal(kindFromLink(target), kind, target)
})

t.test('inherited fds of a scanned process: fd.type and fd.name as the fields read them', async (t) => {
  const fds: Record<number, string> = {}
  LINKS.forEach(([target], i) => { fds[3 + i] = target })
  const fp = fakeProc([{ pid: 70, ppid: 1, comm: 'agent', argv: ['agent'], fds }])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []) })
  const type = syscallFields.bind('fd.type', undefined)
  const name = syscallFields.bind('fd.name', undefined)
  const got: Array<[string, unknown, unknown]> = []
  LINKS.forEach(([target], i) => {
    // a write to each inherited fd: the event's fd is looked up in the scanned table
    const ev = en.enrich(rec('write', { pid: 70, res: 1, args: { fd: 3 + i } }))
    got.push([target, type(ev), name(ev)])
  })
  t.same(got.find(([l]) => l === '/memfd:payload (deleted)'), ['/memfd:payload (deleted)', 'memfd', 'memfd:payload'], 'a memfd keeps its memfd_create name')
  t.same(got.find(([l]) => l === '/etc/passwd'), ['/etc/passwd', 'file', '/etc/passwd'])
  t.same(got.find(([l]) => l === 'anon_inode:[eventfd]')?.[1], 'event')
  t.same(got.find(([l]) => l === 'anon_inode:inotify')?.[1], 'inotify')
})
