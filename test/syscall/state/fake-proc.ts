// Test helper: a fake /proc tree in a tmp dir, and a record builder. Not a test file itself.
// The files follow proc(5): /proc/<pid>/stat fields in kernel order; status with the four Uid/Gid
// columns (real, effective, saved set, filesystem) and NSpid listing the pid in each pid namespace
// from the host's outwards-in (a container process shows "NSpid: <host pid> <pid in container>").
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SyscallRecord } from '../../../src/syscall/record.ts'

export interface FakeProcess {
  pid: number
  ppid: number
  comm: string
  argv: string[]
  exe?: string
  cwd?: string
  /** the effective uid (status column 2, what Falco's user.uid reports) */
  uid?: number
  /** the other Uid columns (default: equal to uid), e.g. a setuid program: real 1000, effective 0 */
  realUid?: number
  savedUid?: number
  fsUid?: number
  /** effective gid (default: uid) and the real gid (default: gid) */
  gid?: number
  realGid?: number
  /** pid inside the process's own pid namespace (a container's): NSpid gets a second column */
  nsPid?: number
  loginuid?: number
  tty?: number
  sid?: number
  cgroup?: string
  fds?: Record<number, string>
  capEff?: string
  /** network namespace inode: ns/net reads `net:[<inode>]` (processes sharing one share socket tables) */
  netns?: number
  /** the process's root filesystem /etc/passwd (a container image's) */
  rootPasswd?: string
}

export const BOOT_TIME = 1_700_000_000

export function fakeProc (procs: readonly FakeProcess[], files: { passwd?: string, group?: string } = {}): { root: string, add(p: FakeProcess): void, cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'lanner-proc-'))
  writeFileSync(join(root, 'stat'), `cpu  1 2 3 4\nbtime ${BOOT_TIME}\nprocesses 10\n`)
  function add (p: FakeProcess): void {
    const dir = join(root, String(p.pid))
    mkdirSync(join(dir, 'fd'), { recursive: true })
    const sid = p.sid ?? p.pid
    // all 52 fields (Linux ≥ 3.5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt
    // cminflt majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue
    // starttime vsize rss rsslim startcode endcode startstack kstkesp kstkeip signal blocked
    // sigignore sigcatch wchan nswap cnswap exit_signal processor rt_priority policy
    // delayacct_blkio_ticks guest_time cguest_time start_data end_data start_brk arg_start
    // arg_end env_start env_end exit_code
    writeFileSync(join(dir, 'stat'), `${p.pid} (${p.comm}) S ${p.ppid} ${p.pid} ${sid} ${p.tty ?? 0} -1 4194560 98 0 0 0 0 0 0 0 20 0 1 0 500 3133440 361 18446744073709551615 94366604414976 94366604434857 140728611743296 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94366604450864 94366604452480 94367165517824 140728611744482 140728611744502 140728611744502 140728611745771 0\n`)
    const uid = p.uid ?? 0
    const gid = p.gid ?? uid
    const uids = [p.realUid ?? uid, uid, p.savedUid ?? uid, p.fsUid ?? uid].join('\t')
    const gids = [p.realGid ?? gid, gid, gid, gid].join('\t')
    const nspid = p.nsPid === undefined ? `${p.pid}` : `${p.pid}\t${p.nsPid}`
    const cap = p.capEff ?? '0000000000000000'
    // a session led from outside the process's pid namespace reads 0 there
    const nssid = p.nsPid === undefined ? `${sid}` : `${sid}\t${sid === p.pid ? p.nsPid : 0}`
    // the lines and their order as Linux 6.x writes them (fs/proc/array.c), the memory and
    // scheduling ones trimmed from the middle: nothing reads them
    writeFileSync(join(dir, 'status'), [
      `Name:\t${p.comm}`, 'Umask:\t0022', 'State:\tS (sleeping)', `Tgid:\t${p.pid}`, 'Ngid:\t0', `Pid:\t${p.pid}`, `PPid:\t${p.ppid}`,
      'TracerPid:\t0', `Uid:\t${uids}`, `Gid:\t${gids}`, 'FDSize:\t64', 'Groups:\t ', `NStgid:\t${nspid}`, `NSpid:\t${nspid}`,
      `NSpgid:\t${nspid}`, `NSsid:\t${nssid}`, 'Kthread:\t0', 'VmPeak:\t    2928 kB', 'Threads:\t1', 'SigQ:\t0/96367',
      `CapInh:\t0000000000000000`, `CapPrm:\t${cap}`, `CapEff:\t${cap}`, 'CapBnd:\t000001ffffffffff', 'CapAmb:\t0000000000000000',
      'NoNewPrivs:\t0', 'Seccomp:\t0', 'Cpus_allowed_list:\t0-1', 'voluntary_ctxt_switches:\t0', 'nonvoluntary_ctxt_switches:\t0', ''
    ].join('\n'))
    writeFileSync(join(dir, 'comm'), p.comm + '\n')
    writeFileSync(join(dir, 'cmdline'), p.argv.map((a) => a + '\0').join(''))
    writeFileSync(join(dir, 'cgroup'), p.cgroup ?? '0::/user.slice/session-1.scope\n')
    writeFileSync(join(dir, 'loginuid'), String(p.loginuid ?? 4294967295))
    if (p.exe !== undefined) symlinkSync(p.exe, join(dir, 'exe'))
    if (p.cwd !== undefined) symlinkSync(p.cwd, join(dir, 'cwd'))
    if (p.netns !== undefined) {
      mkdirSync(join(dir, 'ns'))
      symlinkSync(`net:[${p.netns}]`, join(dir, 'ns', 'net'))
    }
    for (const [n, target] of Object.entries(p.fds ?? {})) symlinkSync(target, join(dir, 'fd', n))
    if (p.rootPasswd !== undefined) {
      mkdirSync(join(dir, 'root', 'etc'), { recursive: true })
      writeFileSync(join(dir, 'root', 'etc', 'passwd'), p.rootPasswd)
      writeFileSync(join(dir, 'root', 'etc', 'group'), 'root:x:0:\nwww-data:x:33:\n')
    }
  }
  for (const p of procs) add(p)
  if (files.passwd !== undefined) {
    mkdirSync(join(root, '1', 'root', 'etc'), { recursive: true })
    writeFileSync(join(root, '1', 'root', 'etc', 'passwd'), files.passwd)
    writeFileSync(join(root, '1', 'root', 'etc', 'group'), files.group ?? '')
  }
  return { root, add, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

let clock = 1_700_000_100_000_000_000n

/** An exit record with defaults; `args` and the rest override. */
export function rec (type: string, over: Partial<SyscallRecord> = {}): SyscallRecord {
  clock += 1000n
  return { type, dir: '<', ts: clock, cpu: 0, tid: over.pid ?? 100, pid: 100, ppid: 1, uid: 0, gid: 0, res: 0, args: {}, ...over }
}

export const HEX_A = 'a'.repeat(8) + '0123456789abcdef'.repeat(3) + 'b'.repeat(8)
export const HEX_B = 'fedcba9876543210'.repeat(4)
