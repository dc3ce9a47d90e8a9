import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadUserDb, parseGroup, parsePasswd } from '../../../src/syscall/state/users.ts'
import { listPids, readProc, readBootTime, splitNul } from '../../../src/syscall/state/proc-scan.ts'
import { fakeProc, BOOT_TIME, HEX_A } from './fake-proc.ts'

t.test('passwd and group files parse, skipping broken lines', async (t) => {
  const users = parsePasswd('root:x:0:0:root:/root:/bin/bash\n# comment\nbroken:line\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nbad:x::0:::\n')
  t.same(users.map((u) => [u.name, u.uid, u.home, u.shell]), [['root', 0, '/root', '/bin/bash'], ['nobody', 65534, '/nonexistent', '/usr/sbin/nologin']])
  t.same(parseGroup('root:x:0:\nadm:x:4:syslog\nnope\n'), [{ name: 'root', gid: 0 }, { name: 'adm', gid: 4 }])
})

t.test("the node's passwd is read through <procRoot>/1/root when present", async (t) => {
  const fp = fakeProc([], { passwd: 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/zsh\n', group: 'root:x:0:\nstaff:x:1000:\n' })
  t.teardown(fp.cleanup)
  const db = loadUserDb({ procRoot: fp.root })
  t.equal(db.user(1000)?.name, 'alice')
  t.equal(db.user(1000)?.shell, '/bin/zsh')
  t.equal(db.group(1000)?.name, 'staff')
  t.equal(db.user(4242), undefined)
})

t.test('one process read from a fake /proc', async (t) => {
  const fp = fakeProc([{
    pid: 42, ppid: 7, comm: 'my (odd) name', argv: ['/bin/sh', '-c', 'echo hi'], exe: '/usr/bin/dash', cwd: '/tmp',
    uid: 1000, loginuid: 1000, tty: 34816, sid: 7, cgroup: `1:name=systemd:/docker/${HEX_A}\n0::/\n`, capEff: '00000000a80425fb'
  }])
  t.teardown(fp.cleanup)
  t.equal(readBootTime(fp.root), BOOT_TIME)
  const p = readProc(fp.root, 42, BOOT_TIME)
  t.ok(p)
  t.equal(p?.comm, 'my (odd) name', 'comm with parentheses survives')
  t.equal(p?.ppid, 7)
  t.same(p?.argv, ['/bin/sh', '-c', 'echo hi'])
  t.equal(p?.exepath, '/usr/bin/dash')
  t.equal(p?.cwd, '/tmp')
  t.equal(p?.uid, 1000)
  t.equal(p?.loginuid, 1000)
  t.equal(p?.tty, 34816)
  t.equal(p?.sid, 7)
  t.equal(p?.container?.id, HEX_A.slice(0, 12))
  t.equal(p?.startTs, BigInt(BOOT_TIME) * 1_000_000_000n + 5_000_000_000n, 'starttime 500 ticks after boot')
  t.equal(p?.caps?.effective, 0xa80425fbn)
  t.equal(readProc(fp.root, 43), undefined, 'a pid that is gone')
  t.same(listPids(fp.root), [42])
})

t.test('unset loginuid reads as -1; the real /proc/self is readable', async (t) => {
  const fp = fakeProc([{ pid: 5, ppid: 1, comm: 'x', argv: [] }])
  t.teardown(fp.cleanup)
  t.equal(readProc(fp.root, 5)?.loginuid, -1)
  const self = readProc('/proc', process.pid)
  t.equal(self?.pid, process.pid)
  t.equal(self?.ppid, process.ppid)
  t.ok(self?.argv.some((a) => a.includes('node')), 'argv of this node process')
  t.same(splitNul('a\0b\0'), ['a', 'b'])
  t.same(splitNul(''), [])
})

t.test('the effective uid/gid is the process\'s user, as Falco reads it (status column 2), and NSpid gives the pid in a container', async (t) => {
  // a setuid-root program started by uid 1000: real 1000, effective 0, saved 0, fs 0; setgid group 42
  const fp = fakeProc([
    { pid: 51, ppid: 1, comm: 'passwd', argv: ['passwd'], uid: 0, realUid: 1000, savedUid: 0, fsUid: 0, gid: 42, realGid: 1000 },
    { pid: 4242, ppid: 1, comm: 'nginx', argv: ['nginx'], nsPid: 7 }
  ], { passwd: 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n', group: 'root:x:0:\nshadow:x:42:\nalice:x:1000:\n' })
  t.teardown(fp.cleanup)
  const setuid = readProc(fp.root, 51, BOOT_TIME)
  t.equal(setuid?.uid, 0, 'user.uid is the effective uid (root), not the real one (1000)')
  t.equal(setuid?.gid, 42, 'group.gid is the effective gid')
  t.equal(loadUserDb({ procRoot: fp.root }).user(setuid?.uid ?? -1)?.name, 'root')
  const ctr = readProc(fp.root, 4242, BOOT_TIME)
  t.equal(ctr?.pid, 4242)
  t.equal(ctr?.vpid, 7, 'proc.vpid: the last NSpid column')
})

t.test('the node\'s users: a miss re-reads the files at most every 10 s; unreadable files keep what was known', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-etc-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  let ms = 5_000_000
  const now = (): number => ms
  // nothing there at start: an empty database, no throw
  const db = loadUserDb({ etcDir: dir, now })
  t.equal(db.user(0), undefined)
  writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n')
  writeFileSync(join(dir, 'group'), 'root:x:0:\n')
  t.equal(db.user(0), undefined, 'a miss within 10 s of the last read does not read again')
  ms += 10_000
  t.equal(db.user(0)?.name, 'root', 'a miss 10 s later does')
  t.equal(db.group(0)?.name, 'root')
  writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n')
  writeFileSync(join(dir, 'group'), 'root:x:0:\nalice:x:1000:\n')
  t.equal(db.group(1000), undefined, 'a group miss waits the same 10 s')
  ms += 10_000
  t.equal(db.group(1000)?.name, 'alice')
  t.equal(db.user(1000)?.name, 'alice', 'hits come from what was read, without a read')
  rmSync(join(dir, 'passwd'))
  ms += 10_000
  t.equal(db.user(4242), undefined, 'a miss re-reads: passwd is gone')
  t.equal(db.user(1000)?.name, 'alice', 'the users read before stay')
  t.same(parsePasswd('x:x:notanumber:0:::\n'), [], 'a uid that is no number: skipped')
  t.same(parseGroup('g:x:notanumber:\n'), [], 'a gid that is no number: skipped')
})

t.test("without <procRoot>/1/root/etc/passwd, the files this process sees (/etc)", async (t) => {
  const fp = fakeProc([])
  t.teardown(fp.cleanup)
  const root = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === '0')?.split(':')[0]
  t.equal(loadUserDb({ procRoot: fp.root }).user(0)?.name, root)
})
