// readProc on the real /proc of real processes: this test's own, a child with a comm made to
// confuse the stat parser, a kernel thread, a process in its own pid namespace (NSpid with two
// columns) and a pid that does not exist; then the files a process can lose while we read them.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { listPids, readBootTime, readProc } from '../../../src/syscall/state/proc-scan.ts'
import { skipUnlessRequired } from '../../helpers/probe-required.ts'
import { fakeProc } from './fake-proc.ts'

const boot = readBootTime('/proc')

/** resolves with `get()` once defined, polling every 50 ms for at most `ms` */
async function until<T> (get: () => T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = get()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function stopped (child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else { child.once('exit', () => resolve()); child.kill('SIGKILL') }
  })
}

t.test('this process', async (t) => {
  t.type(boot, 'number')
  const me = readProc('/proc', process.pid, boot)
  t.ok(me !== undefined)
  if (me === undefined) return
  t.equal(me.pid, process.pid)
  t.equal(me.ppid, process.ppid)
  t.equal(me.uid, process.geteuid?.())
  t.equal(me.gid, process.getegid?.())
  t.equal(me.exepath, realpathSync(process.execPath))
  t.equal(me.cwd, process.cwd())
  t.equal(me.argv[0], process.argv0, 'cmdline starts with argv[0]')
  t.ok(me.argv.includes(process.argv[1] as string), 'and holds the script node runs')
  t.equal(me.vpid, process.pid, 'the host pid namespace: NSpid has one column')
  // starttime (clock ticks since boot) + btime is when this process began: before now, and
  // not long before node started (a wrong clock tick or unit would be off by hours)
  const startMs = Number((me.startTs ?? 0n) / 1_000_000n)
  const nodeStart = Date.now() - process.uptime() * 1000
  t.ok(startMs <= Date.now() && Math.abs(startMs - nodeStart) < 30_000, `start ${new Date(startMs).toISOString()} near ${new Date(nodeStart).toISOString()}`)
  t.ok(listPids('/proc').includes(process.pid))
})

t.test('a child whose comm holds ") (" and spaces: stat is split after the last parenthesis', async (t) => {
  const comm = 'x) (y 1 2'
  const code = `import sys\nopen('/proc/self/comm', 'w').write(sys.argv[1])\nprint('ready', flush=True)\nsys.stdin.read()`
  const child = spawn('python3', ['-c', code, comm], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.teardown(() => stopped(child))
  await new Promise((resolve) => child.stdout?.once('data', resolve))
  const p = readProc('/proc', child.pid as number, boot)
  t.equal(p?.comm, comm)
  t.equal(p?.ppid, process.pid, 'fields after the comm read from the right place')
  t.same(p?.argv.slice(1), ['-c', code, comm])
  t.match(p?.argv[0], /python3$/, 'argv[0] as the launcher gave it (a pyenv shim gives the full path)')
  t.match(p?.exepath, /\/python3[.0-9]*$/)
})

t.test('a kernel thread: no cmdline, no exe, no login', async (t) => {
  const kthreadd = readProc('/proc', 2, boot)
  t.equal(kthreadd?.comm, 'kthreadd')
  t.same(kthreadd?.argv, [])
  t.equal(kthreadd?.exepath, '')
  t.equal(kthreadd?.ppid, 0)
  t.equal(kthreadd?.loginuid, -1, '4294967295 (unset) reads as -1')
})

const unshareMissing = skipUnlessRequired(process.getuid?.() === 0 && existsSync('/usr/bin/unshare') ? undefined : 'needs root and unshare(1)')
t.test('a process in its own pid namespace: vpid from the last NSpid column', { skip: unshareMissing ?? false }, async (t) => {
  const outer = spawn('unshare', ['--pid', '--fork', '--kill-child', 'sleep', '300'], { stdio: 'ignore' })
  t.teardown(() => stopped(outer))
  // the sleep is unshare's child: pid 1 of the new namespace
  const inner = await until(() => {
    const kids = readFileSync(`/proc/${outer.pid}/task/${outer.pid}/children`, 'utf8').trim()
    return kids === '' ? undefined : Number(kids.split(' ')[0])
  })
  const p = await until(() => { const s = readProc('/proc', inner, boot); return s?.comm === 'sleep' ? s : undefined })
  t.equal(p.pid, inner)
  t.equal(p.vpid, 1, 'pid 1 inside')
  t.equal(p.ppid, outer.pid)
  t.same(p.argv, ['sleep', '300'])
})

t.test('a pid that does not exist, and a /proc root that does not', async (t) => {
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'))
  t.equal(readProc('/proc', pidMax + 1, boot), undefined, 'above pid_max: never a process')
  t.same(listPids('/nonexistent/proc'), [])
  t.equal(readBootTime('/nonexistent/proc'), undefined)
})

t.test('files a process loses while it is read', async (t) => {
  const fp = fakeProc([{ pid: 10, ppid: 1, comm: 'gone', argv: ['gone'], uid: 1000 }])
  t.teardown(fp.cleanup)
  t.equal(readProc(fp.root, 10, undefined)?.startTs, undefined, 'no boot time: no start time')
  t.equal(readProc(fp.root, 10, 1_700_000_000)?.uid, 1000)
  // the process exits between the stat read and the status read: not reported as root
  writeFileSync(`${fp.root}/10/status`, '')
  t.equal(readProc(fp.root, 10, 1_700_000_000), undefined, 'a status without its lines: not a process we can describe')
  // cmdline and cgroup gone (the process exited after its status was read): no argv, no container
  rmSync(`${fp.root}/10/cmdline`)
  rmSync(`${fp.root}/10/cgroup`)
  writeFileSync(`${fp.root}/10/status`, 'Name:\tgone\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n')
  t.match(readProc(fp.root, 10, 1_700_000_000), { argv: [], container: undefined, uid: 1000, caps: undefined })
  rmSync(`${fp.root}/10/status`)
  t.equal(readProc(fp.root, 10, 1_700_000_000), undefined, 'status gone: not a process of uid 0')
  writeFileSync(`${fp.root}/10/stat`, '10 (gone')
  t.equal(readProc(fp.root, 10, 1_700_000_000), undefined, 'a stat cut inside the comm')
  writeFileSync(`${fp.root}/10/stat`, '10 (gone) S 1 10 10 0 -1 4194560\n')
  t.equal(readProc(fp.root, 10, 1_700_000_000), undefined, 'a stat cut before starttime')
})

t.test('a kernel before 4.1 (no NSpid line) and one without CONFIG_AUDIT (no loginuid file)', async (t) => {
  const fp = fakeProc([{ pid: 10, ppid: 1, comm: 'old', argv: ['old'], uid: 1000 }])
  t.teardown(fp.cleanup)
  // Linux 3.10's status lines (RHEL 7), trimmed of the memory and signal lines
  writeFileSync(`${fp.root}/10/status`, 'Name:\told\nState:\tS (sleeping)\nTgid:\t10\nPid:\t10\nPPid:\t1\nTracerPid:\t0\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nFDSize:\t64\nGroups:\t\nThreads:\t1\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000001fffffffff\n')
  rmSync(`${fp.root}/10/loginuid`)
  const p = readProc(fp.root, 10, 1_700_000_000)
  t.equal(p?.vpid, 10, 'no NSpid: the pid itself')
  t.equal(p?.loginuid, undefined, 'no loginuid file: unknown, not unset')
  t.equal(p?.uid, 1000)
  t.equal(p?.caps?.effective, 0n)
})
