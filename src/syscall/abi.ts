// Byte layout of the probe's records and helper frames, mirroring src/syscall/bpf/lanner-probe.h.
// test/syscall/decode-abi.test.ts compares every offset here with the helper's `--abi` output.

export const ABI_VERSION = 4

/** struct ln_hdr: fixed header of every kernel record (little-endian) */
export const HDR = Object.freeze({
  size: 64, len: 0, kind: 2, dir: 4, nnum: 5, nblob: 6, flags: 7, cpu: 8, tid: 12, ts: 16, res: 24,
  pid: 32, ppid: 36, uid: 40, gid: 44, comm: 48
})
export const COMM_LEN = 16

/** struct ln_tuple: a socket's endpoints; ports host order, addresses network order */
export const TUPLE = Object.freeze({ size: 40, family: 0, sport: 2, dport: 4, proto: 6, saddr: 8, daddr: 24 })

/** struct ln_exe_info: the new executable (inode times in epoch ns), a blob of a successful execve */
export const EXE = Object.freeze({ size: 48, ino: 0, mode: 8, uid: 12, gid: 16, nlink: 20, upper: 24, memfd: 25, lower: 26, ctime: 32, mtime: 40 })

/** struct ln_task_info: terminal, login uid, session and process group; last blob of a successful
 *  execve and of a new child's clone/fork exit, only blob of a successful setsid/setpgid exit */
export const TASK = Object.freeze({ size: 32, tty: 0, loginuid: 4, sid: 8, pgid: 12, vpid: 16, vpgid: 20, pidnsStart: 24 })

/** struct ln_ctl_hello: first frame the helper writes once the probe is attached */
export const HELLO = Object.freeze({ size: 24, type: 0xff00, abi: 4, helperPid: 8, ncpu: 12, clockOffset: 16 })

/** struct ln_ctl_stats: periodic counters (selfEnter/selfExit: the helper's self-check calls its
 *  sys_enter/sys_exit programs saw), followed by ncpu u64 per-CPU drop counts */
export const STATS = Object.freeze({ size: 56, type: 0xff01, ncpu: 4, records: 8, bytes: 16, polls: 24, clockOffset: 32, selfEnter: 40, selfExit: 48 })

/** struct ln_ctl_conf: the helper's answer to a `kinds <seq> <exit> <enter>` line on its stdin */
export const CONF = Object.freeze({ size: 16, type: 0xff02, seq: 4, nExit: 8, nEnter: 12 })
/** ln_ctl_conf.n_exit when the helper rejected the line */
export const CONF_REJECTED = 0xffffffff

export const DIR_ENTER = 0
export const DIR_EXIT = 1

/** enum ln_kind: record kind id → Falco event type name */
export const KIND_IDS = Object.freeze({
  execve: 1, execveat: 2, clone: 3, clone3: 4, fork: 5, vfork: 6, procexit: 7, connect: 8, accept: 9,
  accept4: 10, sendto: 11, sendmsg: 12, bind: 13, listen: 14, open: 15, openat: 16, openat2: 17,
  unlink: 18, unlinkat: 19, rename: 20, renameat: 21, renameat2: 22, chmod: 23, fchmodat: 24,
  setuid: 25, setgid: 26, setresuid: 27, setresgid: 28, ptrace: 29, mount: 30, close: 31, fchmod: 32,
  creat: 33, symlink: 34, symlinkat: 35, link: 36, linkat: 37, mkdir: 38, mkdirat: 39, rmdir: 40,
  dup: 41, dup2: 42, dup3: 43, socket: 44, unshare: 45, setns: 46, memfd_create: 47, init_module: 48,
  finit_module: 49, recvfrom: 50, recvmsg: 51, userfaultfd: 52, bpf: 53, chdir: 54, fchdir: 55,
  setsid: 56, setpgid: 57
})
export type KindName = keyof typeof KIND_IDS

/**
 * Kinds the process/fd tables need whatever the rules use (exec, fork, exit, fd creation and
 * closing, socket endpoints, working directory changes: proc.cwd is in many rules' outputs and
 * relative paths resolve against it; session and process group changes: proc.sid, proc.vpgid and
 * their is_*_leader fields go stale in a daemon that forks and calls setsid without exec). An app
 * can run the probe with these plus the rules' event types.
 */
export const STATE_KINDS: readonly KindName[] = Object.freeze([
  'execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork', 'procexit', 'close', 'open', 'openat',
  'openat2', 'creat', 'socket', 'connect', 'accept', 'accept4', 'bind', 'listen', 'dup', 'dup2',
  'dup3', 'memfd_create', 'setuid', 'setgid', 'setresuid', 'setresgid', 'chdir', 'fchdir',
  'setsid', 'setpgid'
] as const)

/** Kinds left out unless asked for: very frequent, and only a few rules (UDP inbound) use them. */
export const OPT_IN_KINDS: readonly KindName[] = Object.freeze(['recvfrom', 'recvmsg'] as const)

/** What the loader records when not told otherwise: every kind but the opt-in ones. */
export const DEFAULT_KINDS: readonly KindName[] = Object.freeze(
  (Object.keys(KIND_IDS) as KindName[]).filter(function notOptIn (k) { return !OPT_IN_KINDS.includes(k) })
)

export const AF_UNIX = 1
export const AF_INET = 2
export const AF_INET6 = 10
