// Reading one process from a /proc tree (the real one or a fake root in tests). Side effects are
// confined here: every read tolerates a process that exits while we look at it.
import { readFileSync, readlinkSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { formatIp } from '../../util/index.ts'
import { containerFromProcCgroup, type ContainerRef } from './container-id.ts'

export interface ProcSnapshot {
  pid: number
  ppid: number
  /** task comm (≤15 chars) */
  comm: string
  /** argv as read from cmdline (argv[0] first); empty for kernel threads */
  argv: string[]
  exepath: string
  cwd: string | undefined
  uid: number
  gid: number
  /** -1 when unset (4294967295 in the file) */
  loginuid: number | undefined
  /** tty_nr from stat, 0 when none */
  tty: number
  pgid: number
  sid: number
  /** pid inside the innermost pid namespace */
  vpid: number
  /** ns since the epoch */
  startTs: bigint | undefined
  container: ContainerRef | undefined
  /** capability sets from status (CapInh/CapPrm/CapEff) */
  caps: { inheritable: bigint, permitted: bigint, effective: bigint } | undefined
}

function read (path: string): string | undefined {
  try { return readFileSync(path, 'latin1') } catch { return undefined }
}
function link (path: string): string | undefined {
  try { return readlinkSync(path) } catch { return undefined }
}

/** Boot time in seconds since the epoch, from /proc/stat `btime`. */
export function readBootTime (procRoot: string): number | undefined {
  const m = /^btime (\d+)$/m.exec(read(join(procRoot, 'stat')) ?? '')
  return m === null ? undefined : Number(m[1])
}

const CLK_TCK = 100

/** Fields of /proc/<pid>/stat after the `(comm)` part, 1-based as in proc(5) (3 = state). */
function statFields (stat: string): string[] | undefined {
  const close = stat.lastIndexOf(')')
  const f = ['', '', ''].concat(stat.slice(close + 2).split(' '))
  // cut short (no ')', or fewer fields than starttime, the 22nd): not a process to describe
  return close < 0 || f.length < 23 ? undefined : f
}

/** Split a NUL-separated buffer (cmdline/environ) into its strings. */
export function splitNul (text: string): string[] {
  if (text === '') return []
  const parts = text.split('\0')
  if (parts[parts.length - 1] === '') parts.pop()
  return parts
}

/**
 * Snapshot of one process, or undefined if it is gone (or was never there). A process can exit
 * between two reads: a file read after that is missing (cmdline, links: empty), and a status
 * without its Uid/Gid lines makes the whole snapshot undefined rather than a process of uid 0.
 */
export function readProc (procRoot: string, pid: number, bootTime?: number): ProcSnapshot | undefined {
  const dir = join(procRoot, String(pid))
  const stat = read(join(dir, 'stat'))
  if (stat === undefined) return undefined
  const f = statFields(stat)
  if (f === undefined) return undefined
  const status = read(join(dir, 'status')) ?? ''
  // columns: real, effective, saved, filesystem. The effective ids decide what the process may
  // do, and they are what Falco reports (libscap reads the second column): a setuid-root program
  // run by uid 1000 is user.uid 0.
  const uidM = /^Uid:\s+\d+\s+(\d+)/m.exec(status)
  const gidM = /^Gid:\s+\d+\s+(\d+)/m.exec(status)
  if (uidM === null || gidM === null) return undefined
  // NSpid (Linux ≥ 4.1): the pid in each pid namespace, the process's own last
  const nspid = /^NSpid:\s+([\d\s]+)$/m.exec(status)
  const nsIds = nspid === null ? [String(pid)] : (nspid[1] as string).trim().split(/\s+/)
  const capInh = /^CapInh:\s+([0-9a-f]+)$/m.exec(status)
  const capPrm = /^CapPrm:\s+([0-9a-f]+)$/m.exec(status)
  const capEff = /^CapEff:\s+([0-9a-f]+)$/m.exec(status)
  // absent on kernels built without CONFIG_AUDIT
  const loginRaw = read(join(dir, 'loginuid'))
  const loginNum = loginRaw === undefined ? undefined : Number(loginRaw)
  const startTs = bootTime === undefined
    ? undefined
    : BigInt(bootTime) * 1_000_000_000n + BigInt(f[22] as string) * (1_000_000_000n / BigInt(CLK_TCK))
  const cgroup = read(join(dir, 'cgroup'))
  return {
    pid,
    ppid: Number(f[4]),
    // the task comm, as /proc/<pid>/comm holds it too (stat prints it unescaped between the
    // first '(' and the last ')')
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    argv: splitNul(read(join(dir, 'cmdline')) ?? ''),
    exepath: link(join(dir, 'exe')) ?? '',
    cwd: link(join(dir, 'cwd')),
    uid: Number(uidM[1]),
    gid: Number(gidM[1]),
    loginuid: loginNum === 4294967295 ? -1 : loginNum,
    tty: Number(f[7]),
    pgid: Number(f[5]),
    sid: Number(f[6]),
    vpid: Number(nsIds[nsIds.length - 1]),
    startTs,
    container: cgroup === undefined ? undefined : containerFromProcCgroup(cgroup),
    caps: capInh === null || capPrm === null || capEff === null
      ? undefined
      : { inheritable: BigInt('0x' + capInh[1]), permitted: BigInt('0x' + capPrm[1]), effective: BigInt('0x' + capEff[1]) }
  }
}

/** Every numeric entry of the /proc root. */
export function listPids (procRoot: string): number[] {
  let names: string[]
  try { names = readdirSync(procRoot) } catch { return [] }
  const out: number[] = []
  for (const n of names) if (/^[1-9][0-9]*$/.test(n)) out.push(Number(n))
  return out
}

/** Target of /proc/<pid>/fd/<fd> (a path, `socket:[ino]`…), or undefined. */
export function readFdLink (procRoot: string, pid: number, fd: number): string | undefined {
  return link(join(procRoot, String(pid), 'fd', String(fd)))
}

/** What a path-named fd is, from stat(2) of the file itself (the fd link is followed). */
export interface FdFileStat { type: 'directory' | 'fifo' | 'other', ino: number }

/**
 * stat(2) of the file behind /proc/<pid>/fd/<fd>: the link's text cannot tell a directory or a
 * named pipe from a regular file (libscap's /proc scan types them by st_mode the same way).
 */
export function statFdFile (procRoot: string, pid: number, fd: number): FdFileStat | undefined {
  try {
    const st = statSync(join(procRoot, String(pid), 'fd', String(fd)))
    return { type: st.isDirectory() ? 'directory' : st.isFIFO() ? 'fifo' : 'other', ino: st.ino }
  } catch {
    return undefined // closed or exited meanwhile
  }
}

export interface SocketEntry {
  family: 4 | 6 | 'unix' | 'netlink'
  l4proto: 'tcp' | 'udp' | 'raw' | 'unknown'
  lip: string
  lport: number
  rip: string
  rport: number
  /** TCP LISTEN state */
  listening: boolean
  /**
   * The end this process holds, as libscap/libsinsp decide for sockets found in /proc: 'server'
   * when the remote address is unset (a listener, a bound UDP or raw socket: SCAP_FD_*_SERVSOCK)
   * or, decided by socket-table.ts, when the local port is one such a socket of the namespace
   * serves (an accepted connection: libsinsp's m_server_ports); 'client' otherwise.
   */
  role: 'server' | 'client'
  /** unix sockets: the bound path, '' if none */
  path: string
}

function hexIp (h: string): string {
  if (h.length === 8) {
    // one 32-bit word in host (little-endian) order
    const b = [6, 4, 2, 0].map((i) => parseInt(h.slice(i, i + 2), 16))
    return b.join('.')
  }
  const bytes: number[] = []
  for (let w = 0; w < 4; w++) {
    const word = h.slice(w * 8, w * 8 + 8)
    for (const i of [6, 4, 2, 0]) bytes.push(parseInt(word.slice(i, i + 2), 16))
  }
  // IPv4-mapped addresses read as IPv4, as Falco shows them
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.')
  return formatIp(Uint8Array.from(bytes))
}

/**
 * The socket tables of a network namespace under /proc/<pid>/net, in the order lookups search them
 * (the ones libscap reads: unix, tcp, udp, raw and netlink, v4 and v6).
 */
export const NET_TABLES = ['unix', 'tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6', 'netlink'] as const
export type NetTable = typeof NET_TABLES[number]

/** One of the process's namespace socket tables, or undefined when unreadable. */
export function readNetTable (procRoot: string, pid: number, table: NetTable): string | undefined {
  return read(join(procRoot, String(pid), 'net', table))
}

/**
 * The column holding the inode in each table: unix `Num RefCount Protocol Flags Type St Inode`;
 * netlink `sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode`; the IP tables `sl local_address
 * rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode`.
 */
function inodeColumn (table: NetTable): number { return table === 'unix' ? 6 : 9 }

function l4Of (table: NetTable): SocketEntry['l4proto'] {
  return table === 'tcp' || table === 'tcp6' ? 'tcp' : table === 'udp' || table === 'udp6' ? 'udp' : 'raw'
}

/**
 * A table line's socket (fields as split by whitespace). Only lines that reach the inode column
 * are indexed, so every field read here is there.
 */
function socketFromFields (table: NetTable, f: string[]): SocketEntry {
  if (table === 'unix') {
    // libsinsp makes a named unix socket the server end
    const path = f[7] ?? ''
    return { family: 'unix', l4proto: 'unknown', lip: '', lport: 0, rip: '', rport: 0, listening: false, role: path === '' ? 'client' : 'server', path }
  }
  if (table === 'netlink') return { family: 'netlink', l4proto: 'unknown', lip: '', lport: 0, rip: '', rport: 0, listening: false, role: 'client', path: '' }
  const l4 = l4Of(table)
  const [lh, lp] = (f[1] as string).split(':') as [string, string]
  const [rh, rp] = (f[2] as string).split(':') as [string, string]
  const lip = hexIp(lh)
  return {
    family: lip.includes(':') ? 6 : 4, l4proto: l4, lip, lport: parseInt(lp, 16), rip: hexIp(rh), rport: parseInt(rp, 16),
    listening: l4 === 'tcp' && f[3] === '0A', role: /^0+$/.test(rh) ? 'server' : 'client', path: ''
  }
}

/** A table's lines by inode, for many lookups in one read; values are resolved on use. */
export interface NetTableIndex {
  get(ino: number): SocketEntry | undefined
  /** local ports of the table's server sockets (remote address unset: listeners, bound UDP) */
  readonly serverPorts: ReadonlySet<number>
}

const SPACE = 32
const ZERO = 48
const COLON = 58

/** true when text[from, to) is `<hex address>:<port>` with an all-zero address */
function unsetAddress (text: string, from: number, to: number): boolean {
  let i = from
  while (i < to && text.charCodeAt(i) === ZERO) i++
  return i > from && i < to && text.charCodeAt(i) === COLON
}

/** Indexes a table's text: one pass over it, lines split only when looked up. */
export function indexNetTable (table: NetTable, text: string): NetTableIndex {
  const col = inodeColumn(table)
  const ipTable = table !== 'unix' && table !== 'netlink'
  const lines = new Map<number, string>()
  const serverPorts = new Set<number>()
  let start = text.indexOf('\n') + 1 // the header
  while (start > 0 && start < text.length) {
    const nl = text.indexOf('\n', start)
    const end = nl < 0 ? text.length : nl
    // the inode column without splitting the line: count whitespace-separated fields, noting
    // where the local (1) and remote (2) addresses of the IP tables are
    let field = -1
    let i = start
    let localEnd = -1
    let remoteStart = -1
    let remoteEnd = -1
    while (i < end && field < col) {
      while (i < end && text.charCodeAt(i) === SPACE) i++
      if (i >= end) break
      field++
      if (field === col) break
      const from = i
      while (i < end && text.charCodeAt(i) !== SPACE) i++
      if (field === 1) localEnd = i
      else if (field === 2) { remoteStart = from; remoteEnd = i }
    }
    if (field === col) {
      let j = i
      while (j < end && text.charCodeAt(j) !== SPACE) j++
      const ino = Number(text.slice(i, j))
      if (Number.isInteger(ino) && ino > 0) {
        lines.set(ino, text.slice(start, end))
        // the local port: the 4 hex digits that end the local address field
        if (ipTable && unsetAddress(text, remoteStart, remoteEnd)) serverPorts.add(parseInt(text.slice(localEnd - 4, localEnd), 16))
      }
    }
    start = end + 1
  }
  return {
    serverPorts,
    get (ino: number): SocketEntry | undefined {
      const line = lines.get(ino)
      return line === undefined ? undefined : socketFromFields(table, line.trim().split(/\s+/))
    }
  }
}
