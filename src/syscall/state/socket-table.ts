// Socket-by-inode lookups for fds the tables never saw created, through one indexed snapshot of
// /proc/<pid>/net/* per network namespace. Those files list every socket of the namespace (tens of
// thousands on a busy node, TIME_WAIT included; ~0.1 s of kernel time each), so reading them once
// per lookup stalled the event stream long enough for the kernel ring to overflow.
import { readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { NET_TABLES, indexNetTable, readNetTable, type NetTable, type NetTableIndex, type SocketEntry } from './proc-scan.ts'

export interface SocketLookupOptions {
  procRoot: string
  /** a table snapshot older than this is read again on a miss (default 1000 ms) */
  maxAgeMs?: number
  /** namespaces kept (default 64); snapshots past maxAgeMs are dropped whenever one is read */
  maxNamespaces?: number
  /** ms clock (tests) */
  now?: () => number
}

/** one table as read at `at` (index undefined: unreadable) */
interface TableSnap { at: number, index: NetTableIndex | undefined }
type Namespace = Map<NetTable, TableSnap>

export type SocketLookup = (pid: number, ino: number) => SocketEntry | undefined

/**
 * A lookup that reads each table of a namespace at most once per maxAgeMs, and only as far as
 * the search goes (unix first: pipes between processes are the common case, and the TCP tables
 * are the big ones). A socket missing from snapshots younger than that reads as unknown. The
 * sockets looked up are nearly always ones that existed before the probe attached, so any
 * snapshot taken since then lists them.
 */
export function createSocketLookup (opts: SocketLookupOptions): SocketLookup {
  const maxAge = opts.maxAgeMs ?? 1000
  const maxNamespaces = opts.maxNamespaces ?? 64
  const now = opts.now ?? Date.now
  const namespaces = new Map<string, Namespace>()

  function namespaceOf (pid: number): string {
    try {
      return readlinkSync(join(opts.procRoot, String(pid), 'ns', 'net'))
    } catch {
      return `pid:${pid}` // no ns link (a fake tree, or the process is gone): per process
    }
  }

  function tablesOf (key: string, t: number): Namespace {
    let ns = namespaces.get(key)
    if (ns !== undefined) return ns
    // a namespace not seen lately: forget the ones whose snapshots all aged out
    for (const [k, n] of namespaces) {
      if ([...n.values()].every(function old (s) { return t - s.at >= maxAge })) namespaces.delete(k)
    }
    ns = new Map()
    namespaces.set(key, ns)
    if (namespaces.size > maxNamespaces) {
      const oldest = namespaces.keys().next().value
      if (oldest !== undefined) namespaces.delete(oldest)
    }
    return ns
  }

  function snapshot (ns: Namespace, pid: number, table: NetTable, t: number): TableSnap {
    let snap = ns.get(table)
    if (snap === undefined) {
      const text = readNetTable(opts.procRoot, pid, table)
      snap = { at: t, index: text === undefined ? undefined : indexNetTable(table, text) }
      ns.set(table, snap)
    }
    return snap
  }

  function search (ns: Namespace, pid: number, ino: number, t: number, reread: boolean): SocketEntry | undefined {
    for (const table of NET_TABLES) {
      if (reread) {
        // the first pass read every table: read again only the ones that aged out
        if (t - (ns.get(table) as TableSnap).at < maxAge) continue
        ns.delete(table)
      }
      const hit = snapshot(ns, pid, table, t).index?.get(ino)
      if (hit !== undefined) return hit
    }
    return undefined
  }

  /**
   * A connection whose local port a server socket of the namespace serves was accepted there: the
   * server end (libsinsp patches /proc-found connections on its server ports the same way).
   */
  function withRole (ns: Namespace, pid: number, s: SocketEntry, t: number): SocketEntry {
    if (s.role === 'server' || (s.l4proto !== 'tcp' && s.l4proto !== 'udp')) return s
    const tables: readonly NetTable[] = s.l4proto === 'tcp' ? ['tcp', 'tcp6'] : ['udp', 'udp6']
    for (const table of tables) {
      if (snapshot(ns, pid, table, t).index?.serverPorts.has(s.lport) === true) return { ...s, role: 'server' }
    }
    return s
  }

  return function socketOf (pid: number, ino: number): SocketEntry | undefined {
    const t = now()
    const ns = tablesOf(namespaceOf(pid), t)
    // first what we have (reading tables never read), then the tables that aged out
    const hit = search(ns, pid, ino, t, false) ?? search(ns, pid, ino, t, true)
    return hit === undefined ? undefined : withRole(ns, pid, hit, t)
  }
}
