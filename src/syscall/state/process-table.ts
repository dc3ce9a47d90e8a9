// The process table: one entry per thread group, seeded from /proc and kept current by exec,
// clone and exit records. Entries are replaced (never mutated) on exec, so an event that already
// holds a process keeps seeing the process as it was when the event happened.
import type { ContainerRef } from './container-id.ts'
import type { FdInfo } from './fd-info.ts'
import { listPids, readBootTime, readProc, type ProcSnapshot } from './proc-scan.ts'

export interface ProcessInfo {
  readonly pid: number
  readonly ppid: number
  /** comm: Falco's proc.name */
  readonly name: string
  /** argv[0]: Falco's proc.exe */
  readonly exe: string
  /** full executable path: proc.exepath */
  readonly exepath: string
  /** argv[1..] */
  readonly args: readonly string[]
  readonly cwd: string | undefined
  readonly uid: number
  readonly gid: number
  readonly loginuid: number | undefined
  readonly tty: number | undefined
  readonly sid: number | undefined
  readonly pgid: number | undefined
  readonly vpid: number | undefined
  /** process group id in the process's own pid namespace (from the probe; absent for /proc seeds) */
  readonly vpgid?: number | undefined
  readonly startTs: bigint | undefined
  readonly container: ContainerRef | undefined
  readonly env: readonly string[] | undefined
  readonly caps: ProcSnapshot['caps']
  /** the executable as the probe saw it at the last exec (absent for processes seeded from /proc) */
  readonly exeFacts?: ExeFacts | undefined
  /** start of the init of the process's pid namespace, epoch ns (from the probe: exec, new child) */
  readonly pidnsStartTs?: bigint | undefined
  /** shared with forked children until they diverge (copied on fork, kept on exec) */
  readonly fds: Map<number, FdInfo>
  exited: boolean
}

/** Facts about the executable file, from the execve exit record's exe_* args (proc.is_exe_*). */
export interface ExeFacts {
  readonly ino: number
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly nlink: number
  /** writable by the process's uid/gid (or root) at exec */
  readonly writable: boolean
  /** an overlayfs upper-layer copy: written after the container image was built */
  readonly upperLayer: boolean
  /** a memfd (fileless execution) */
  readonly fromMemfd: boolean
  /** the inode's last status change and modification at exec, epoch ns (absent: not recorded) */
  readonly ctime?: bigint | undefined
  readonly mtime?: bigint | undefined
}

export interface ProcessTableOptions {
  procRoot?: string
  /** live processes kept before the oldest are dropped (default 65536) */
  maxProcesses?: number
  /** exited processes kept for their children's ancestry fields (default 4096) */
  maxExited?: number
  /** fds kept per process (default 1024) */
  maxFdsPerProcess?: number
}

export function fromSnapshot (s: ProcSnapshot): ProcessInfo {
  const name = s.comm !== '' ? s.comm : (s.argv[0] ?? '')
  return {
    pid: s.pid,
    ppid: s.ppid,
    name,
    exe: s.argv[0] ?? name,
    exepath: s.exepath,
    args: s.argv.slice(1),
    cwd: s.cwd,
    uid: s.uid,
    gid: s.gid,
    loginuid: s.loginuid,
    tty: s.tty,
    sid: s.sid,
    pgid: s.pgid,
    vpid: s.vpid,
    startTs: s.startTs,
    container: s.container,
    env: undefined,
    caps: s.caps,
    fds: new Map(),
    exited: false
  }
}

export class ProcessTable {
  readonly procRoot: string
  readonly maxFdsPerProcess: number
  private readonly procs = new Map<number, ProcessInfo>()
  /** exited entries, oldest first (a Set: evicting the oldest is O(1), unlike Array.shift) */
  private readonly exitedQueue = new Set<ProcessInfo>()
  private readonly maxProcesses: number
  private readonly maxExited: number
  private bootTime: number | undefined
  /** pids whose /proc lookup failed recently: not retried until the next exec/clone names them */
  private readonly missing = new Set<number>()

  constructor (opts: ProcessTableOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc'
    this.maxProcesses = opts.maxProcesses ?? 65536
    this.maxExited = opts.maxExited ?? 4096
    this.maxFdsPerProcess = opts.maxFdsPerProcess ?? 1024
  }

  /** Seed from every process currently in the /proc root. */
  scan (): number {
    this.bootTime = readBootTime(this.procRoot)
    let n = 0
    for (const pid of listPids(this.procRoot)) {
      const s = readProc(this.procRoot, pid, this.bootTime)
      if (s === undefined) continue
      this.set(fromSnapshot(s))
      n++
    }
    return n
  }

  get size (): number { return this.procs.size }

  /** Known entry only: never touches /proc. */
  peek (pid: number): ProcessInfo | undefined { return this.procs.get(pid) }

  /**
   * Entry of `pid`, reading /proc once for a process we never saw (started before a missed
   * clone, or before the probe attached). Negative results are remembered.
   */
  get (pid: number): ProcessInfo | undefined {
    const p = this.procs.get(pid)
    if (p !== undefined || pid <= 0 || this.missing.has(pid)) return p
    return this.refresh(pid)
  }

  /**
   * The running process behind a record of `pid`. An exited entry is kept for its children's
   * ancestry, but a record from its pid comes from a later process that reused the number (its
   * clone was not seen): that one is read from /proc, once (a failed read is remembered).
   */
  live (pid: number): ProcessInfo | undefined {
    const p = this.procs.get(pid)
    if (p === undefined) return this.get(pid)
    if (!p.exited || this.missing.has(pid)) return p
    return this.refresh(pid)
  }

  /** Re-read one process from /proc, replacing (and keeping the fds of) any entry we had. */
  refresh (pid: number): ProcessInfo | undefined {
    this.bootTime ??= readBootTime(this.procRoot)
    const s = readProc(this.procRoot, pid, this.bootTime)
    if (s === undefined) {
      if (this.missing.size > 4096) this.missing.clear()
      this.missing.add(pid)
      return this.procs.get(pid)
    }
    const old = this.procs.get(pid)
    const fresh = fromSnapshot(s)
    // an exited entry is another process that had the same number: nothing of it carries over
    const info = old === undefined || old.exited ? fresh : { ...fresh, fds: old.fds, env: old.env }
    this.set(info)
    return info
  }

  set (info: ProcessInfo): void {
    this.missing.delete(info.pid)
    this.procs.delete(info.pid) // re-insert so Map order tracks recency for eviction
    this.procs.set(info.pid, info)
    if (this.procs.size > this.maxProcesses) {
      const oldest = this.procs.keys().next().value
      if (oldest !== undefined) this.procs.delete(oldest)
    }
  }

  /** Mark exited; the entry stays for a while so children still resolve their ancestry. */
  exit (pid: number): ProcessInfo | undefined {
    const p = this.procs.get(pid)
    if (p === undefined || p.exited) return p
    p.exited = true
    p.fds.clear()
    this.exitedQueue.add(p)
    while (this.exitedQueue.size > this.maxExited) {
      const old = this.exitedQueue.values().next().value as ProcessInfo
      this.exitedQueue.delete(old)
      // a reused pid has a new entry by now: only drop the one that exited
      if (this.procs.get(old.pid) === old) this.procs.delete(old.pid)
    }
    return p
  }

  /** How full the bounded tables are (tests, diagnostics); fds is the sum over live entries. */
  sizes (): { procs: number, exited: number, missing: number, fds: number, maxFdsOfOne: number } {
    let fds = 0
    let maxFdsOfOne = 0
    for (const p of this.procs.values()) {
      fds += p.fds.size
      if (p.fds.size > maxFdsOfOne) maxFdsOfOne = p.fds.size
    }
    return { procs: this.procs.size, exited: this.exitedQueue.size, missing: this.missing.size, fds, maxFdsOfOne }
  }

  /** Pids of live processes the table places in a container (newest last); a full scan: for rare lookups only. */
  * livePidsIn (fullId: string): Iterable<number> {
    for (const p of this.procs.values()) if (!p.exited && p.container?.fullId === fullId) yield p.pid
  }

  /**
   * A live process of `ppid`'s pid namespace known by its number there (`vpid`): `ppid` itself or
   * one of its children, the only processes setpgid can name. A full scan: only setpgid on
   * another process inside a container asks (job-control shells, once per job).
   */
  byVpidNear (ppid: number, vpid: number): ProcessInfo | undefined {
    for (const p of this.procs.values()) {
      if (!p.exited && p.vpid === vpid && (p.pid === ppid || p.ppid === ppid)) return p
    }
    return undefined
  }

  /** Ancestor `n` (1 = parent) of a process, or undefined past the root or an unknown pid. */
  ancestor (p: ProcessInfo, n: number): ProcessInfo | undefined {
    let cur: ProcessInfo | undefined = p
    for (let i = 0; i < n && cur !== undefined; i++) {
      if (cur.ppid <= 0 || cur.ppid === cur.pid) return undefined
      cur = this.get(cur.ppid)
    }
    return cur
  }

  /** Remember an fd, keeping the per-process table bounded (oldest dropped first). */
  setFd (p: ProcessInfo, fd: FdInfo): void {
    p.fds.delete(fd.num)
    p.fds.set(fd.num, fd)
    if (p.fds.size > this.maxFdsPerProcess) {
      const oldest = p.fds.keys().next().value
      if (oldest !== undefined) p.fds.delete(oldest)
    }
  }
}
