// What an event resolves on first use when the enricher pinned nothing (a record whose state
// transition failed, or one built outside the enricher), the process table's own lookups, and
// the typed argument readers every transition uses.
import t from 'tap'
import { SyscallEvent } from '../../../src/syscall/event.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { ProcessTable } from '../../../src/syscall/state/process-table.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { argList, argNum, argStr, pick } from '../../../src/syscall/state/args.ts'
import { fakeProc, rec, HEX_A } from './fake-proc.ts'

t.test('an event with nothing pinned resolves its process, fd, container and ancestry itself', async (t) => {
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'] },
    { pid: 100, ppid: 1, comm: 'nginx', argv: ['nginx'], fds: { 3: '/var/log/nginx/access.log' }, cgroup: `0::/system.slice/docker-${HEX_A}.scope\n`, rootPasswd: 'root:x:0:0::/root:/bin/sh\nnginx:x:101:101::/var/lib/nginx:/sbin/nologin\n' }
  ])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, scan: false, users: undefined })
  const ev = new SyscallEvent(rec('write', { pid: 100, tid: 100, uid: 101, res: 10, args: { fd: 3n } }), 1, en.context)
  t.equal(ev.proc?.name, 'nginx', 'from /proc, on first use')
  t.equal(ev.fd?.name, '/var/log/nginx/access.log', 'a u64 fd argument reads as its number')
  t.equal(ev.container?.fullId, HEX_A, 'no in-kernel id in the record: the process\'s cgroup')
  t.equal(ev.users.user(101)?.name, 'nginx', 'the container\'s own passwd')
  t.equal(ev.ancestor(0), ev.proc)
  t.equal(ev.ancestor(1)?.name, 'systemd')
  const noFd = new SyscallEvent(rec('write', { pid: 100, tid: 100, res: 10, args: { fd: 'three' } }), 2, en.context)
  t.equal(noFd.fd, undefined, 'an fd argument that is no number: no fd')
  const nobody = new SyscallEvent(rec('write', { pid: 4242, tid: 4242, res: 1, args: { fd: 1 } }), 3, en.context)
  t.equal(nobody.proc, undefined)
  t.equal(nobody.fd, undefined)
  t.equal(nobody.ancestor(1), undefined, 'no process: no ancestry')
  // the in-kernel id without the raw leaf (an older helper): the id alone names the container
  const byId = new SyscallEvent(rec('write', { pid: 100, tid: 100, res: 1, containerId: HEX_A, args: { fd: 3 } }), 4, en.context)
  t.equal(byId.container?.id, HEX_A.slice(0, 12))
})

t.test('the process table on its own: the real /proc by default, refresh keeps what events taught', async (t) => {
  const table = new ProcessTable()
  t.equal(table.procRoot, '/proc')
  t.equal(table.get(process.pid)?.pid, process.pid)
  const fp = fakeProc([{ pid: 50, ppid: 1, comm: '', argv: ['/opt/app/bin/server', '--port', '80'] }])
  t.teardown(fp.cleanup)
  const fake = new ProcessTable({ procRoot: fp.root })
  const p = fake.get(50)
  t.equal(p?.name, '/opt/app/bin/server', 'an empty comm (prctl PR_SET_NAME ""): argv[0] names it')
  if (p === undefined) return
  fake.setFd(p, { num: 9, kind: 'file', name: '/tmp/x', nameRaw: '/tmp/x', connected: false, nameChanged: false })
  const again = fake.refresh(50)
  t.not(again, p, 'a new entry from /proc')
  t.equal(again?.fds.get(9)?.name, '/tmp/x', 'with the fds the events taught')
})

t.test('argument readers: numbers as numbers, bigints and digit strings; text from strings and bytes', async (t) => {
  t.equal(argNum(7), 7)
  t.equal(argNum(7n), 7)
  t.equal(argNum(2n ** 64n - 100n), -100, 'a u64 slot holding a negative int (AT_FDCWD) reads signed')
  t.equal(argNum('-100'), -100)
  t.equal(argNum('12a'), undefined)
  t.equal(argNum(new Uint8Array([1])), undefined)
  t.equal(argStr('name\0'), 'name', 'a trailing NUL dropped')
  t.equal(argStr(Buffer.from('/etc/passwd\0')), '/etc/passwd')
  t.equal(argStr(new Uint8Array(0)), '')
  t.equal(argStr(Buffer.from([0xc3, 0xa9])), 'é', 'bytes are UTF-8')
  t.equal(argStr(5), undefined)
  t.same(argList('a\0b\0c'), ['a', 'b', 'c'])
  t.same(argList(''), [])
  t.equal(argList(undefined), undefined)
  t.equal(pick({ path: '/a', name: '/b' }, 'name', 'path'), '/b', 'the first name present wins')
  t.equal(pick({ path: '/a' }, 'name', 'pathname'), undefined)
})

t.test('a record whose state transition throws still becomes an event, counted in stateErrors', async (t) => {
  const fp = fakeProc([{ pid: 100, ppid: 1, comm: 'bash', argv: ['bash'], cwd: '/root', fds: { 4: '/etc/hosts' } }])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, scan: false, users: userDbFrom([], []) })
  // no argument object at all (a damaged record): the open transition cannot read its name
  const broken = { ...rec('openat', { pid: 100, tid: 100, res: 4 }), args: null as unknown as Record<string, never> }
  const ev = en.enrich(broken)
  t.equal(en.stateErrors, 1)
  t.equal(ev.type, 'openat')
  t.equal(ev.proc?.name, 'bash', 'the process still resolves, lazily')
  const next = en.enrich(rec('openat', { pid: 100, tid: 100, res: 5, args: { fd: 5, dirfd: -100, name: 'x', flags: 0, mode: 0 } }))
  t.equal(next.fd?.name, '/root/x', 'the stream goes on')
  t.equal(en.stateErrors, 1)
})
