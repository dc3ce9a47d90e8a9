// A container's users come from its own /etc/passwd, read through whichever of its processes is
// alive, cached per container id: the first process exiting does not lose them, and a pid reused
// by another container (or the host) is never read for it. Fake /proc trees.
import t from 'tap'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createContainerUsers } from '../../../src/syscall/state/container-users.ts'
import { fakeProc, HEX_A, HEX_B } from './fake-proc.ts'

const CG_A = `0::/kubepods/besteffort/pod1/${HEX_A}\n`
const CG_B = `0::/kubepods/besteffort/pod2/${HEX_B}\n`
const PASSWD_A = 'root:x:0:0::/root:/bin/sh\nctr-admin:x:1000:1000::/home/a:/bin/sh\n'
const PASSWD_B = 'root:x:0:0::/root:/bin/sh\nintruder:x:1000:1000::/home/b:/bin/sh\n'

function clock (): { now: () => number, advance (ms: number): void } {
  let ms = 1_000_000
  return { now: () => ms, advance (d) { ms += d } }
}

t.test('the first process has exited: users are read through another live process of the container', async (t) => {
  const fp = fakeProc([
    { pid: 10, ppid: 1, comm: 'sh', argv: ['sh'], cgroup: CG_A, rootPasswd: PASSWD_A },
    { pid: 11, ppid: 1, comm: 'sleep', argv: ['sleep'], cgroup: CG_A, rootPasswd: PASSWD_A }
  ])
  t.teardown(fp.cleanup)
  rmSync(join(fp.root, '10'), { recursive: true })
  const users = createContainerUsers({ procRoot: fp.root, livePids: (id) => id === HEX_A ? [11] : [] })
  t.equal(users.of(HEX_A, 10).user(1000)?.name, 'ctr-admin', 'pid 10 is gone; pid 11 (from the process table) is read')
  t.equal(users.of(HEX_A, 10).group(0)?.name, 'root')
  rmSync(join(fp.root, '11'), { recursive: true })
  t.equal(users.of(HEX_A, 12).user(1000)?.name, 'ctr-admin', 'every process gone: what was read stays')
  t.equal(users.size, 1, 'one entry per container')
})

t.test('no live process at first: a later, new process of the container is read at once', async (t) => {
  const fp = fakeProc([])
  t.teardown(fp.cleanup)
  const c = clock()
  const users = createContainerUsers({ procRoot: fp.root, now: c.now })
  t.equal(users.of(HEX_A, 10).user(1000), undefined, 'the only pid known is gone')
  t.equal(users.of(HEX_A, 10).user(1000), undefined, 'pid 10 is not read again at once')
  fp.add({ pid: 13, ppid: 1, comm: 'bash', argv: ['bash'], cgroup: CG_A, rootPasswd: PASSWD_A })
  t.equal(users.of(HEX_A, 13).user(1000)?.name, 'ctr-admin', 'pid 13 was not tried before: read at once, however soon')
})

t.test('a never-read container tries each pid once, then everything again after a second', async (t) => {
  const fp = fakeProc([])
  t.teardown(fp.cleanup)
  const c = clock()
  const users = createContainerUsers({ procRoot: fp.root, now: c.now })
  t.equal(users.of(HEX_A, 50).user(0), undefined)
  // pid 50 comes back (reused) in the container: not re-read within the second…
  fp.add({ pid: 50, ppid: 1, comm: 'app', argv: ['app'], cgroup: CG_A, rootPasswd: PASSWD_A })
  c.advance(500)
  t.equal(users.of(HEX_A, 50).user(1000), undefined, 'a failed pid is not retried at once')
  c.advance(600)
  t.equal(users.of(HEX_A, 50).user(1000)?.name, 'ctr-admin', 'but is after RETRY_MS')
})

t.test('a reused pid in another container is never read for this one', async (t) => {
  const fp = fakeProc([{ pid: 20, ppid: 1, comm: 'sh', argv: ['sh'], cgroup: CG_B, rootPasswd: PASSWD_B }])
  t.teardown(fp.cleanup)
  const users = createContainerUsers({ procRoot: fp.root })
  t.equal(users.of(HEX_A, 20).user(1000), undefined, 'pid 20 now belongs to container B')
  t.equal(users.of(HEX_B, 20).user(1000)?.name, 'intruder', 'and is read for B')
  const host = fakeProc([{ pid: 21, ppid: 1, comm: 'sh', argv: ['sh'], rootPasswd: PASSWD_B }])
  t.teardown(host.cleanup)
  t.equal(createContainerUsers({ procRoot: host.root }).of(HEX_A, 21).user(1000), undefined, 'nor a host process')
})

t.test('misses re-read at most every 10 s once read; a container without passwd has no users', async (t) => {
  const fp = fakeProc([{ pid: 30, ppid: 1, comm: 'app', argv: ['app'], cgroup: CG_A, rootPasswd: 'root:x:0:0::/root:/bin/sh\n' }])
  t.teardown(fp.cleanup)
  const c = clock()
  const users = createContainerUsers({ procRoot: fp.root, now: c.now })
  const db = users.of(HEX_A, 30)
  t.equal(db.user(0)?.name, 'root')
  fp.add({ pid: 31, ppid: 1, comm: 'app', argv: ['app'], cgroup: CG_A, rootPasswd: PASSWD_A })
  t.equal(users.of(HEX_A, 31).user(1000), undefined, 'a new user is not looked for on every miss')
  c.advance(10_001)
  t.equal(users.of(HEX_A, 31).user(1000)?.name, 'ctr-admin', 'after 10 s it is')

  const distroless = fakeProc([{ pid: 40, ppid: 1, comm: 'app', argv: ['app'], cgroup: CG_B }])
  t.teardown(distroless.cleanup)
  t.equal(createContainerUsers({ procRoot: distroless.root }).of(HEX_B, 40).user(0), undefined)
})

t.test('bounded: the oldest container is dropped', async (t) => {
  const users = createContainerUsers({ procRoot: '/nonexistent', maxContainers: 2 })
  users.of(HEX_A, 1)
  users.of(HEX_B, 2)
  users.of('c'.repeat(64), 3)
  t.equal(users.size, 2)
})

t.test('an image without /etc/passwd or /etc/group (distroless): read once, no users, no group names', async (t) => {
  const fp = fakeProc([{ pid: 60, ppid: 1, comm: 'app', argv: ['app'], cgroup: CG_A }])
  t.teardown(fp.cleanup)
  mkdirSync(join(fp.root, '60', 'root'))
  const c = clock()
  let reads = 0
  const users = createContainerUsers({ procRoot: fp.root, now: c.now, livePids: () => { reads++; return [] } })
  const db = users.of(HEX_A, 60)
  t.equal(db.user(0), undefined)
  t.equal(db.group(0), undefined)
  t.equal(reads, 0, 'pid 60 answered (no users): no other process was looked for')
})

t.test('the pids remembered per container: newest first, at most 8, each tried once per attempt', async (t) => {
  const fp = fakeProc([])
  t.teardown(fp.cleanup)
  const c = clock()
  const users = createContainerUsers({ procRoot: fp.root, now: c.now, livePids: () => [1, 2, 3] })
  for (const pid of [101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 110, 0, -1, 103]) users.of(HEX_A, pid)
  // none is alive: every lookup fails, each pid at most once; then one of them starts
  t.equal(users.of(HEX_A, 103).user(1000), undefined)
  c.advance(1_001)
  fp.add({ pid: 104, ppid: 1, comm: 'app', argv: ['app'], cgroup: CG_A, rootPasswd: PASSWD_A })
  t.equal(users.of(HEX_A, 103).group(1000), undefined, 'a group the passwd\'s image lacks')
  t.equal(users.of(HEX_A, 103).user(1000)?.name, 'ctr-admin', 'found through pid 104, one of the 8 newest')
  fp.add({ pid: 101, ppid: 1, comm: 'app', argv: ['app'], cgroup: CG_B, rootPasswd: PASSWD_B })
  const fresh = createContainerUsers({ procRoot: fp.root, now: c.now })
  for (const pid of [101, 102, 103, 105, 106, 107, 108, 109, 110]) fresh.of(HEX_B, pid)
  t.equal(fresh.of(HEX_B, 110).user(1000), undefined, 'pid 101 fell out of the 8 remembered: not read')
})

t.test('more candidates than one attempt tries (4): each attempt goes on where the last stopped', async (t) => {
  const fp = fakeProc([])
  t.teardown(fp.cleanup)
  const c = clock()
  const many = Array.from({ length: 40 }, (_, i) => 200 + i)
  const users = createContainerUsers({ procRoot: fp.root, now: c.now, livePids: () => many })
  // the one live process is the 31st candidate: an attempt runs on the event path and tries only
  // 4 pids, so it is reached by the 8th attempt (a second apart), not by the first
  fp.add({ pid: 229, ppid: 1, comm: 'app', argv: ['app'], cgroup: CG_A, rootPasswd: PASSWD_A })
  t.equal(users.of(HEX_A, 199).user(1000), undefined, 'first attempt: pid 199 and 3 dead ones')
  t.equal(users.of(HEX_A, 199).user(1000), undefined, 'no attempt again within a second')
  const found: number[] = []
  for (let attempt = 2; attempt <= 12; attempt++) {
    c.advance(1_001)
    if (users.of(HEX_A, 199).user(1000)?.name === 'ctr-admin') { found.push(attempt); break }
  }
  t.same(found, [8], 'the later attempts go on with the untried ones, 4 at a time: pid 229 is read by the 8th')
})

t.test('defaults: the real /proc, where this test\'s own process is in no container', async (t) => {
  t.equal(createContainerUsers().of(HEX_A, process.pid).user(0), undefined)
})
