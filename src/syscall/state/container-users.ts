// Users and groups as a container sees them (its image's /etc/passwd and /etc/group), for
// `user.*`/`group.*` of processes inside it. Kept per container id, never per pid: the files are
// read through /proc/<pid>/root of whichever of the container's processes is alive when they are
// needed, and a pid is trusted only while its cgroup names the container (a pid number can be
// reused by another container or the host between two reads).
import { closeSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { containerFromProcCgroup } from './container-id.ts'
import { openRoot, readInRoot, type RootRead } from './read-in-root.ts'
import { parseGroup, parsePasswd, type GroupEntry, type UserDb, type UserEntry } from './users.ts'

export interface ContainerUsersOptions {
  /** /proc by default */
  procRoot?: string
  /** containers kept (oldest dropped first); default 4096 */
  maxContainers?: number
  /** live pids of a container the enricher knows of, beyond the ones events named (process table) */
  livePids?(fullId: string): Iterable<number>
  /** clock (tests) */
  now?(): number
  /**
   * a container's passwd or group exists but was refused (FIFO, device, over 1 MiB, a symlink
   * loop: see read-in-root.ts); called once per container, for a log line
   */
  onUnreadable?(info: UnreadableEtcFile): void
}

export interface UnreadableEtcFile {
  /** the container's full id */
  containerId: string
  /** the path inside the container, e.g. /etc/passwd */
  file: string
  reason: string
}

export interface ContainerUsers {
  /** the container's users, remembering `pid` as one of its processes to read through */
  of(fullId: string, pid: number): UserDb
  /** containers held */
  readonly size: number
}

/** pids remembered per container, newest first */
const RECENT_PIDS = 8
/**
 * pids tried in one attempt (a churning container offers many dead ones). An attempt runs on the
 * event path, synchronously: each try is one small /proc read (the pid's cgroup), the one that
 * reaches a live process adds the two capped file reads; later attempts go on with the rest.
 */
const MAX_TRIES = 4
/** a container whose files were read: a missing uid re-reads them at most this often (users added later) */
const RELOAD_MS = 10_000
/** a container never read yet: retried at once for a pid not tried before, else at most this often */
const RETRY_MS = 1_000
/** pids that could not be read through, remembered so each costs one failed read at most */
const MAX_FAILED = 256

function readText (path: string): string | undefined {
  try { return readFileSync(path, 'utf8') } catch { return undefined }
}

/** true when `pid` is (still) a process of the container */
function inContainer (procRoot: string, pid: number, fullId: string): boolean {
  const cg = readText(join(procRoot, String(pid), 'cgroup'))
  return cg !== undefined && containerFromProcCgroup(cg)?.fullId === fullId
}

interface Files { passwd: RootRead, group: RootRead }

/**
 * The container's passwd and group through one of its processes; undefined when that process is
 * gone, belongs elsewhere, or its root cannot be reached. A reachable root without the files
 * (distroless images) is an answer too: no users; so is a file refused as hostile (read-in-root.ts).
 */
function readThrough (procRoot: string, pid: number, fullId: string): Files | undefined {
  if (!inContainer(procRoot, pid, fullId)) return undefined
  const root = openRoot(join(procRoot, String(pid), 'root'))
  if (root === undefined) return undefined
  try {
    // the root held is this container's only if the pid still belongs to it once it is held (the
    // fd keeps naming that root whatever the pid number becomes afterwards)
    if (!inContainer(procRoot, pid, fullId)) return undefined
    return { passwd: readInRoot(root, 'etc/passwd'), group: readInRoot(root, 'etc/group') }
  } finally {
    closeSync(root)
  }
}

function textOf (r: RootRead): string {
  return r.kind === 'text' ? r.text : ''
}

class ContainerEntry implements UserDb {
  private byUid = new Map<number, UserEntry>()
  private byGid = new Map<number, GroupEntry>()
  private loaded = false
  private lastAttempt = -Infinity
  /** pids found gone or elsewhere; a pid number reused later is tried again after a reset */
  private readonly failed = new Set<number>()
  private readonly recent: number[] = []
  private warned = false

  constructor (
    private readonly fullId: string,
    private readonly procRoot: string,
    private readonly livePids: ((fullId: string) => Iterable<number>) | undefined,
    private readonly now: () => number,
    private readonly onUnreadable: ((info: UnreadableEtcFile) => void) | undefined
  ) {}

  note (pid: number): void {
    if (this.recent[0] === pid || pid <= 0) return
    const i = this.recent.indexOf(pid)
    if (i >= 0) this.recent.splice(i, 1)
    this.recent.unshift(pid)
    if (this.recent.length > RECENT_PIDS) this.recent.pop()
  }

  user (uid: number): UserEntry | undefined {
    return this.byUid.get(uid) ?? (this.refresh() ? this.byUid.get(uid) : undefined)
  }

  group (gid: number): GroupEntry | undefined {
    return this.byGid.get(gid) ?? (this.refresh() ? this.byGid.get(gid) : undefined)
  }

  private due (): boolean {
    const elapsed = this.now() - this.lastAttempt
    if (this.loaded) return elapsed >= RELOAD_MS
    // never read: at once for a process not tried yet (the one asking is usually alive)
    return elapsed >= RETRY_MS || this.recent.some((p) => !this.failed.has(p))
  }

  /**
   * One attempt to (re)read the files through a live process; true when they were read. An
   * attempt tries at most MAX_TRIES pids not yet failed, so a container with many dead pids is
   * walked across attempts; once every candidate has failed, a timed attempt starts over (a pid
   * number may have come back in the container).
   */
  private refresh (): boolean {
    if (!this.due()) return false
    const timed = this.loaded || this.now() - this.lastAttempt >= RETRY_MS
    this.lastAttempt = this.now()
    if (this.loaded || this.failed.size > MAX_FAILED) this.failed.clear()
    let got = this.attempt()
    if (got === 'none untried' && timed) {
      this.failed.clear()
      got = this.attempt()
    }
    // nothing alive to read through: what was read before stays
    return got === 'read'
  }

  private attempt (): 'read' | 'failed' | 'none untried' {
    let tries = 0
    for (const pid of this.candidates()) {
      if (this.failed.has(pid)) continue
      if (tries++ >= MAX_TRIES) break
      const files = readThrough(this.procRoot, pid, this.fullId)
      if (files === undefined) { this.failed.add(pid); continue }
      this.set(parsePasswd(textOf(files.passwd)), parseGroup(textOf(files.group)))
      // a refused file counts as read (no entries): re-read only as a loaded container is, on a
      // miss at most every RELOAD_MS, never once per new process
      this.loaded = true
      this.warnRefused(files)
      this.failed.clear()
      return 'read'
    }
    return tries === 0 ? 'none untried' : 'failed'
  }

  private warnRefused (files: Files): void {
    if (this.warned || this.onUnreadable === undefined) return
    for (const [file, r] of [['/etc/passwd', files.passwd], ['/etc/group', files.group]] as const) {
      if (r.kind !== 'refused') continue
      this.warned = true
      this.onUnreadable({ containerId: this.fullId, file, reason: r.reason })
      return
    }
  }

  private * candidates (): Iterable<number> {
    yield * this.recent
    if (this.livePids !== undefined) yield * this.livePids(this.fullId)
  }

  private set (users: UserEntry[], groups: GroupEntry[]): void {
    const byUid = new Map<number, UserEntry>()
    const byGid = new Map<number, GroupEntry>()
    // the first entry of an id wins, as getpwuid(3) does
    for (const u of users) if (!byUid.has(u.uid)) byUid.set(u.uid, u)
    for (const g of groups) if (!byGid.has(g.gid)) byGid.set(g.gid, g)
    this.byUid = byUid
    this.byGid = byGid
  }
}

export function createContainerUsers (opts: ContainerUsersOptions = {}): ContainerUsers {
  const procRoot = opts.procRoot ?? '/proc'
  const max = opts.maxContainers ?? 4096
  const now = opts.now ?? Date.now
  const entries = new Map<string, ContainerEntry>()
  return {
    of (fullId: string, pid: number): UserDb {
      let e = entries.get(fullId)
      if (e === undefined) {
        e = new ContainerEntry(fullId, procRoot, opts.livePids, now, opts.onUnreadable)
        entries.set(fullId, e)
        if (entries.size > max) {
          const oldest = entries.keys().next().value
          if (oldest !== undefined) entries.delete(oldest)
        }
      }
      e.note(pid)
      return e
    },
    get size () { return entries.size }
  }
}
