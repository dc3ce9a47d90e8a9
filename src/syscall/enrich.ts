// Records in, enriched events out: owns the process/fd tables, the user db and the container-id
// memo, and applies each record to them before building the event rules will see.
import { hostname as osHostname } from 'node:os'
import type { K8sMetadata } from '../events/index.ts'
import { SyscallEvent, type EventContext } from './event.ts'
import type { SyscallRecord } from './record.ts'
import { applyRecord } from './state/apply.ts'
import { containerFromCgroupPath, type ContainerRef } from './state/container-id.ts'
import { kindFromLink, socketFd, type FdInfo } from './state/fd-info.ts'
import { readFdLink, statFdFile, type FdFileStat, type SocketEntry } from './state/proc-scan.ts'
import { ProcessTable, type ProcessInfo, type ProcessTableOptions } from './state/process-table.ts'
import { createContainerUsers } from './state/container-users.ts'
import { createSocketLookup } from './state/socket-table.ts'
import { loadUserDb, type UserDb } from './state/users.ts'

export interface EnricherOptions extends ProcessTableOptions {
  /** /proc by default; tests point this at a fake tree */
  procRoot?: string
  k8s?: K8sMetadata
  /** default: the node's passwd/group (via procRoot/1/root/etc when visible) */
  users?: UserDb
  /** scan procRoot at creation (default true) */
  scan?: boolean
  hostname?: string
  /**
   * a passwd or group file refused (read-in-root.ts: a FIFO, a device, over 1 MiB, a symlink
   * loop): once per container (containerId set) and once for the node's files, for a log line
   */
  onUnreadableUsers?(info: { containerId?: string, file: string, reason: string }): void
}

export interface Enricher {
  enrich(record: SyscallRecord): SyscallEvent
  readonly procs: ProcessTable
  readonly context: EventContext
  /** records whose state transition failed (the event was still produced) */
  readonly stateErrors: number
  /** how full the bounded tables are: each stays under its cap however long the stream runs */
  sizes(): EnricherSizes
}

export interface EnricherSizes extends ReturnType<ProcessTable['sizes']> {
  containerMemo: number
  containerUsers: number
}

/** cap of the cgroup-leaf → container memo and of the per-container user databases */
export const MAX_CONTAINER_MEMO = 4096

/**
 * An fd found in /proc/<pid>/fd. A path names a file, a directory or a FIFO: stat of the file
 * itself tells which (libscap types them by st_mode), and gives the inode.
 */
function fdFromLink (n: number, target: string, stat: (() => FdFileStat | undefined)): FdInfo {
  const kind = kindFromLink(target)
  // memfd: the name memfd_create gives it ("memfd:<name>"), as when the probe saw the call
  if (kind === 'memfd') return { num: n, kind, name: target.slice(1).replace(/ \(deleted\)$/, ''), nameRaw: target, connected: false, nameChanged: false }
  if (kind !== 'file') return { num: n, kind, name: '', nameRaw: target, connected: false, nameChanged: false }
  const st = stat()
  const fileKind = st?.type === 'directory' ? 'directory' : st?.type === 'fifo' ? 'pipe' : 'file'
  return { num: n, kind: fileKind, name: target, nameRaw: target, connected: false, nameChanged: false, ino: st?.ino }
}

/**
 * An inherited socket, typed and oriented the way libsinsp does for sockets its /proc scan finds:
 * a server socket with no peer is named by its own end (`ip:port`, as at bind); the server end of
 * a connection lists the client first; anything else is the client.
 */
function fdFromSocket (n: number, target: string, s: SocketEntry | undefined): FdInfo {
  if (s === undefined) return { num: n, kind: 'unknown', name: '', nameRaw: target, connected: false, nameChanged: false }
  if (s.family === 'unix') return { num: n, kind: 'unix', name: s.path, nameRaw: target, connected: false, nameChanged: false }
  if (s.family === 'netlink') return { num: n, kind: 'netlink', name: '', nameRaw: target, connected: false, nameChanged: false }
  const connected = s.rport !== 0
  if (s.role === 'client') {
    return socketFd(n, { family: s.family, l4proto: s.l4proto, cip: s.lip, cport: s.lport, sip: s.rip, sport: s.rport, isServer: false }, connected, false)
  }
  const fd = socketFd(n, { family: s.family, l4proto: s.l4proto, sip: s.lip, sport: s.lport, cip: s.rip, cport: s.rport, isServer: true }, connected, false)
  return connected ? fd : { ...fd, name: `${s.lip}:${s.lport}` }
}

export function createEnricher (opts: EnricherOptions = {}): Enricher {
  const procRoot = opts.procRoot ?? '/proc'
  const procs = new ProcessTable({ ...opts, procRoot })
  if (opts.scan !== false) procs.scan()
  const memo = new Map<string, ContainerRef | undefined>()

  function containerOf (leaf: string): ContainerRef | undefined {
    if (leaf === '') return undefined
    if (memo.has(leaf)) return memo.get(leaf)
    if (memo.size >= MAX_CONTAINER_MEMO) memo.clear()
    const ref = containerFromCgroupPath(leaf)
    memo.set(leaf, ref)
    return ref
  }

  const socketOf = createSocketLookup({ procRoot })
  function lookupFd (proc: ProcessInfo, n: number): FdInfo | undefined {
    if (proc.exited || n < 0) return undefined
    const target = readFdLink(procRoot, proc.pid, n)
    if (target === undefined) return undefined
    const sock = /^socket:\[(\d+)\]$/.exec(target)
    const fd = sock === null
      ? fdFromLink(n, target, function statIt () { return statFdFile(procRoot, proc.pid, n) })
      : fdFromSocket(n, target, socketOf(proc.pid, Number(sock[1])))
    procs.setFd(proc, fd)
    return fd
  }

  const nodeUsers = opts.users ?? loadUserDb({ procRoot, onUnreadable: opts.onUnreadableUsers })
  // keyed by container, read through any of its live processes (the event's first)
  const perContainer = createContainerUsers({
    procRoot,
    maxContainers: MAX_CONTAINER_MEMO,
    livePids: function livePids (fullId) { return procs.livePidsIn(fullId) },
    onUnreadable: opts.onUnreadableUsers
  })
  function containerUsers (fullId: string, pid: number): UserDb {
    return opts.users ?? perContainer.of(fullId, pid)
  }

  const context: EventContext = {
    procs,
    users: nodeUsers,
    containerUsers,
    k8s: opts.k8s,
    hostname: opts.hostname ?? osHostname(),
    firstTs: undefined,
    lookupFd,
    containerOf
  }
  let num = 0
  let stateErrors = 0

  function enrich (record: SyscallRecord): SyscallEvent {
    context.firstTs ??= record.ts
    const ev = new SyscallEvent(record, ++num, context)
    try {
      const applied = applyRecord(procs, record, context)
      ev.setProc(applied.proc)
      if ('fd' in applied) ev.setFd(applied.fd)
    } catch {
      // a malformed record must not stop the stream: the event keeps its lazy lookups
      stateErrors++
    }
    return ev
  }

  function sizes (): EnricherSizes {
    return { ...procs.sizes(), containerMemo: memo.size, containerUsers: perContainer.size }
  }

  return { enrich, procs, context, get stateErrors () { return stateErrors }, sizes }
}
