// CONTRACT between the probe decoder (src/syscall/decode*) and the enrichment/field layer
// (src/syscall/state*, src/syscall/fields). The probe side owns this file; keep it types-only.
// Changes (additive only): `comm`, `argv`, `cgroup` on SyscallRecord; ProbeStats; DecodeError;
// the per-kind `args` keys are listed below SyscallRecord. Added kinds: creat, symlink(at),
// link(at), mkdir(at), rmdir, dup/dup2/dup3, socket, unshare, setns, memfd_create, (f)init_module,
// recvfrom/recvmsg (opt-in: see DEFAULT_KINDS / STATE_KINDS in abi.ts); execve exe_* facts; userfaultfd, bpf;
// chdir, fchdir; setsid, setpgid and `session` on SyscallRecord.

/** One syscall event as decoded from a ring-buffer record, before enrichment. */
export interface SyscallRecord {
  /** Falco event type name: 'execve', 'openat', 'connect', 'clone', 'procexit'… */
  type: string
  /** '>' enter, '<' exit */
  dir: '>' | '<'
  /** ns since the epoch (converted from the kernel's monotonic clock by the decoder) */
  ts: bigint
  cpu: number
  tid: number
  pid: number
  ppid: number
  uid: number
  gid: number
  /** syscall result on exit (negative errno on failure) */
  res?: number
  /** 64-hex container id read in-kernel from the cgroup v1 leaf name, or '' for the host */
  containerId?: string
  /** raw arguments by Falco argument name (fd, name, flags, mode, tuple parts, exe, args, cwd…) */
  args: Record<string, string | number | bigint | Uint8Array | undefined>
  /** (added) the thread's comm (proc.name), at most 15 characters; after execve, the new one */
  comm?: string
  /** (added) execve exit / clone child: the full argv of the process (argv[0] first) */
  argv?: string[]
  /** (added) the raw cgroup v1 cpu leaf name the containerId was taken from */
  cgroup?: string
  /** (added) successful setsid/setpgid exit: the calling process's session and process group as
   *  the kernel has them after the call (not Falco arguments, so not in `args`) */
  session?: SessionIds
}

/** Session and process group of a process, read in-kernel. */
export interface SessionIds {
  /** session id in the initial pid namespace */
  sid: number
  /** process group id in the initial pid namespace */
  pgid: number
  /** the process's own pid in its pid namespace */
  vpid: number
  /** process group id in the process's pid namespace (0: not visible there) */
  vpgid: number
}

/*
 * args keys per type (exit records unless noted; numbers are raw Linux values: open flags, modes,
 * clone flags are the kernel's bits, not Falco's PPM flags; dirfd -100 is AT_FDCWD):
 *   execve, execveat   filename (path given to exec), exe (argv[0]), args (argv[1..] joined by ' '),
 *                      cwd (when res = 0); execveat also dirfd, flags (enter only); when res = 0
 *                      also the new executable's exe_ino, exe_mode, exe_uid, exe_gid, exe_nlink and
 *                      exe_ino_ctime, exe_ino_mtime (bigint epoch ns; absent when unknown),
 *                      0/1 flags exe_upper_layer (overlayfs upper copy), exe_from_memfd, exe_writable
 *                      (write bit for the process's uid/gid, or root) for proc.is_exe_*
 *                      and trusted_exepath (the executable's path with symlinks resolved, relative to
 *                      the process's root; absent when it could not be read whole), for a memfd
 *                      executable exepath ("memfd:<name>", its own name), flags
 *                      (Falco's PPM_EXE_* bits: 1 writable, 2 upper layer, 4 memfd, 8 lower layer)
 *                      and the task's identity (also in a new child, below): tty (tty_nr encoding, 0
 *                      none), loginuid (-1 unset), sid, pgid (in its pid namespace, 0 if not visible
 *                      there), host_pgid, vpid, pidns_init_start_ts (bigint epoch ns: start of the
 *                      init of the task's pid namespace)
 *   clone, clone3, fork, vfork   flags (clone, clone3); in the child (res = 0) exe, args, cwd and
 *                      the identity args above
 *   procexit (dir '>') status (raw wait status), ret (exit code), sig, core (0/1)
 *   connect, bind      fd, addr ("ip:port" or unix path, from the user sockaddr) and socket parts:
 *   accept, accept4    fd (= res), flags (accept4)
 *   listen             fd, backlog
 *   sendto, sendmsg    fd, size (sendto), addr (destination sockaddr if given)
 *   recvfrom, recvmsg  fd, size (recvfrom: buffer length), addr (source sockaddr if returned)
 *     socket parts (when the fd is an AF_INET/AF_INET6 socket): family 'ipv4'|'ipv6'|'unix',
 *     l4proto 'tcp'|'udp'|'raw'|…, lip, lport, rip, rport (local/remote), and tuple in Falco's
 *     form "cip:cport->sip:sport" (client first: local->remote, except accept: remote->local)
 *   open               fd (= res), name, flags, mode
 *   openat, openat2    fd (= res), dirfd, name, flags, mode; openat2 also resolve
 *   unlink             path;  unlinkat  dirfd, name, flags
 *   rename             oldpath, newpath;  renameat, renameat2  olddirfd, oldpath, newdirfd, newpath, flags
 *   chmod              filename, mode;  fchmodat  dirfd, filename, mode;  fchmod  fd, mode
 *   setuid uid; setgid gid; setresuid ruid, euid, suid; setresgid rgid, egid, sgid
 *   ptrace             request, pid, addr (bigint), data (bigint)
 *   mount              dev, dir, type, flags
 *   close              fd
 *   creat              fd (= res), name, mode, flags (always O_WRONLY|O_CREAT|O_TRUNC)
 *   symlink            target, linkpath;  symlinkat  target, linkdirfd, linkpath
 *   link               oldpath, newpath;  linkat  olddir, oldpath, newdir, newpath, flags
 *   mkdir              path, mode;  mkdirat  dirfd, path, mode;  rmdir  path
 *   dup, dup2, dup3    oldfd, newfd (dup2, dup3), flags (dup3); the new fd is res
 *   socket             fd (= res), domain, type, proto
 *   unshare flags;  setns fd, nstype;  memfd_create fd (= res), name, flags
 *   init_module        length, uargs;  finit_module  fd, uargs, flags
 *   userfaultfd        fd (= res), flags;  bpf  cmd, fd (= res when it is one)
 *   chdir              path (as given: relative to the cwd before the call);  fchdir  fd
 *   setsid             (none: res is the new session id, in the caller's pid namespace); `session`
 *   setpgid            pid, pgid (as given: 0 is the caller / the target's own pid, numbers in the
 *                      caller's pid namespace); `session` (the caller's, even when pid is a child)
 */

/** Probe health as reported by the helper every stats interval (counters since the helper started). */
export interface ProbeStats {
  /** epoch ns when the loader received the stats */
  time: bigint
  helperPid: number
  /** records the helper has forwarded */
  records: number
  bytes: number
  /** the helper's self-check calls its sys_enter / sys_exit programs saw (one per stats interval
   *  while they run): proof the kernel side works on a node where nothing the rules ask for happens */
  selfEnter: number
  selfExit: number
  /** records lost in the kernel because the ring buffer was full, per CPU (index = CPU) */
  dropsPerCpu: number[]
  /** sum of dropsPerCpu */
  drops: number
  /** drops since the previous stats of the same helper: > 0 means "events dropped" */
  dropsDelta: number
  /** records the decoder rejected (short / unknown kind), since the loader started */
  decodeErrors: number
  /** helper restarts since the loader started */
  restarts: number
}

/** A record the decoder could not use: counted and reported, never thrown. */
export interface DecodeError {
  code: 'ERR_SYSCALL_SHORT_RECORD' | 'ERR_SYSCALL_UNKNOWN_OP'
  message: string
  /** the record's kind id when it could be read */
  kind?: number
}
