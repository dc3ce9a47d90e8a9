// The probe on the real kernel: an exec records the executable's inode ctime and mtime (epoch ns,
// read in-kernel under whichever names this kernel gives the inode's time fields) and the start of
// the init of the task's pid namespace; through the enricher they are proc.exe_ino.ctime/.mtime,
// proc.exe_ino.ctime_duration_proc_start/_pidns_start and proc.pidns_init_start_ts, as Falco's
// "Drop and execute new binary in container" prints them. The files are copies the test makes and
// dates itself (touch -m -d), so the expected values come from outside the product.
// Skips (with the reason) without root, BTF or clang.
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { enrichedEventOf, probeSkipReason, recordProbe, type Recorder } from '../../fixtures/syscall/probe-harness.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import type { SyscallEvent } from '../../../src/syscall/event.ts'
import { skipUnlessRequired } from '../../helpers/probe-required.ts'

function unshareMissing (): string | undefined {
  try { execFileSync('unshare', ['--pid', '--fork', 'true'], { stdio: 'ignore' }); return undefined } catch { return 'unshare (util-linux) cannot make a pid namespace here' }
}

const skip = probeSkipReason() ?? skipUnlessRequired(unshareMissing())
// 2001-02-03 04:05:06.123456789 UTC, set with touch: an mtime nothing else could produce
const MTIME_TEXT = '2001-02-03 04:05:06.123456789 UTC'
const MTIME_NS = 981_173_106_123_456_789n
const SEC = 1_000_000_000n
const read = (name: string, ev: SyscallEvent | undefined) => ev === undefined ? undefined : syscallFields.bind(name, undefined)(ev)
const EXEC_KINDS = new Set(['execve', 'execveat'])
const FORK_KINDS = new Set(['clone', 'clone3', 'fork', 'vfork'])

/** The start of the host's pid 1 from /proc (boot time in s + its start in clock ticks), epoch ns. */
function hostInitStartNs (): bigint {
  const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]
  const stat = readFileSync('/proc/1/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = BigInt(fields[19] ?? '0') // field 22 (starttime), counted from field 3
  const hz = BigInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
  return BigInt(btime ?? '0') * SEC + ticks * SEC / hz
}

if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const rec: Recorder = await recordProbe({ kinds: ['execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork', 'procexit'] })
  t.teardown(async function stopProbe () { await rec.probe.stop() })
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lanner-exe-times-')))
  t.teardown(function cleanup () { rmSync(dir, { recursive: true, force: true }) })
  const trueBin = realpathSync('/bin/true')

  t.test('a dated copy of a binary, run on the host', async t => {
    const file = join(dir, 'dropped-true')
    copyFileSync(trueBin, file)
    execFileSync('chmod', ['0755', file])
    execFileSync('touch', ['-m', '-d', MTIME_TEXT, file])
    const st = statSync(file, { bigint: true })
    t.equal(st.mtimeNs, MTIME_NS, 'touch set the mtime the test expects')
    const child = spawn(file, ['exe-times-host-marker'], { stdio: 'ignore' })
    const pid = child.pid!
    await new Promise(function exited (r) { child.on('exit', r) })
    const done = BigInt(Date.now()) * 1_000_000n
    const mine = await rec.waitFor(
      (r) => r.pid === pid || (FORK_KINDS.has(r.type) && r.res === pid),
      (m) => m.some((r) => EXEC_KINDS.has(r.type) && r.res === 0 && r.argv?.[1] === 'exe-times-host-marker')
    )
    const exec = mine.find((r) => EXEC_KINDS.has(r.type) && r.res === 0 && r.argv?.[1] === 'exe-times-host-marker')
    t.ok(exec, 'the exec of the dated copy was recorded')
    if (exec === undefined) return
    t.equal(exec.args.exe_ino, Number(st.ino), 'the copy\'s inode')
    t.equal(exec.args.exe_ino_mtime, MTIME_NS, 'mtime: what touch set, to the nanosecond')
    t.equal(exec.args.exe_ino_ctime, st.ctimeNs, 'ctime: what stat shows for the copy')
    const ns = exec.args.pidns_init_start_ts as bigint
    const init = hostInitStartNs()
    t.ok(ns >= init - 2n * SEC && ns <= init + 2n * SEC, `the host namespace started with pid 1 (${ns} vs /proc ${init})`)

    const ev = enrichedEventOf(mine, exec)
    t.equal(read('proc.exe_ino.ctime', ev), st.ctimeNs, 'proc.exe_ino.ctime')
    t.equal(read('proc.exe_ino.mtime', ev), MTIME_NS, 'proc.exe_ino.mtime')
    t.equal(read('proc.pidns_init_start_ts', ev), ns, 'proc.pidns_init_start_ts')
    const start = read('proc.pid.ts', ev) as bigint
    t.ok(start >= st.ctimeNs && start <= exec.ts, 'the process started after the copy was made and before it ran')
    const d = read('proc.exe_ino.ctime_duration_proc_start', ev) as bigint
    t.equal(d, start - st.ctimeNs, 'proc.exe_ino.ctime_duration_proc_start is the process start minus the ctime')
    t.ok(d > 0n && d <= done - st.ctimeNs + SEC, `a positive duration no longer than the test step (${d} ns)`)
    t.equal(read('proc.exe_ino.ctime_duration_pidns_start', ev), st.ctimeNs - ns, 'the file is younger than the host namespace')
  })

  t.test('in a new pid namespace: its init\'s start, and a file younger than it', async t => {
    const file = join(dir, 'ns-true')
    copyFileSync(trueBin, join(dir, 'ns-src'))
    // sh is the namespace's init; it makes the dated copy, then forks a child that runs it (the
    // pause puts the copy's ctime clearly after the namespace's start, whatever the clock's grain)
    const script = `sleep 0.1 && cp ${join(dir, 'ns-src')} ${file} && touch -m -d '${MTIME_TEXT}' ${file} && ${file} exe-times-ns-marker; true`
    const before = BigInt(Date.now()) * 1_000_000n
    const u = spawn('unshare', ['--pid', '--fork', 'sh', '-c', script], { stdio: 'ignore' })
    await new Promise(function exited (r) { u.on('exit', r) })
    const st = statSync(file, { bigint: true })
    const all = await rec.waitFor(
      (r) => r.ts >= before - SEC,
      (m) => m.some((r) => EXEC_KINDS.has(r.type) && r.res === 0 && r.argv?.[1] === 'exe-times-ns-marker')
    )
    const exec = all.find((r) => EXEC_KINDS.has(r.type) && r.res === 0 && r.argv?.[1] === 'exe-times-ns-marker')
    t.ok(exec, 'the exec inside the namespace was recorded')
    if (exec === undefined) return
    t.equal(exec.args.vpid !== exec.pid, true, `it has its own pid in the namespace (vpid ${String(exec.args.vpid)})`)
    t.equal(exec.args.exe_ino_mtime, MTIME_NS)
    t.equal(exec.args.exe_ino_ctime, st.ctimeNs)
    // the namespace's init is the sh unshare forked: its own exec record names the same start
    const initExec = all.find((r) => EXEC_KINDS.has(r.type) && r.res === 0 && r.pid === exec.ppid)
    t.ok(initExec, 'the namespace init\'s exec (sh) was recorded')
    t.equal(initExec?.args.vpid, 1, 'sh is pid 1 in its namespace')
    const ns = exec.args.pidns_init_start_ts as bigint
    // the same kernel value; each turned into epoch ns with the clock offset of its moment (the
    // helper measures realtime − boottime anew in every STATS frame: tens of ns of jitter)
    const initNs = initExec?.args.pidns_init_start_ts as bigint
    t.ok(initNs - ns < 1_000_000n && ns - initNs < 1_000_000n, `the same namespace start for the init and its child (${initNs} vs ${ns})`)
    t.ok(ns >= before - SEC && ns <= (initExec?.ts ?? 0n), 'the namespace started during the test, before its init ran sh')
    t.ok(ns < st.ctimeNs, 'the copy was made after the namespace started')

    const mine = all.filter((r) => r.pid === exec.pid || r.pid === exec.ppid || (FORK_KINDS.has(r.type) && r.res === exec.pid))
    const ev = enrichedEventOf(mine, exec)
    t.equal(read('proc.pidns_init_start_ts', ev), ns)
    t.equal(read('proc.exe_ino.ctime_duration_pidns_start', ev), st.ctimeNs - ns, 'ctime − namespace start')
    const start = read('proc.pid.ts', ev) as bigint
    t.equal(read('proc.exe_ino.ctime_duration_proc_start', ev), start - st.ctimeNs, 'forked after the copy: a positive duration')
    t.ok(start > st.ctimeNs)
  })
}
