// What Lanner knows about one file descriptor: Falco's fd kinds, socket tuples and the name
// rules (`a:1->b:2` for IP sockets, the path for files). Pure helpers; tables live elsewhere.

export type FdKind =
  | 'file' | 'directory' | 'ipv4' | 'ipv6' | 'unix' | 'pipe' | 'event' | 'signalfd'
  | 'eventpoll' | 'inotify' | 'timerfd' | 'netlink' | 'bpf' | 'userfaultfd' | 'io_uring'
  | 'memfd' | 'pidfd' | 'unknown'

const TYPECHAR: Readonly<Record<FdKind, string>> = {
  file: 'f', directory: 'd', ipv4: '4', ipv6: '6', unix: 'u', pipe: 'p', event: 'e',
  signalfd: 's', eventpoll: 'l', inotify: 'i', timerfd: 't', netlink: 'n', bpf: 'b',
  userfaultfd: 'u', io_uring: 'r', memfd: 'm', pidfd: 'P', unknown: 'o'
}
// userfaultfd shares 'u' with unix upstream; keep the table total rather than invent a letter
export function typeChar (kind: FdKind): string { return TYPECHAR[kind] }

export type L4Proto = 'tcp' | 'udp' | 'icmp' | 'raw' | 'unknown'

/** A connection as Falco sees it: the client is whoever connected (or sent first). */
export interface SocketTuple {
  family: 4 | 6
  l4proto: L4Proto
  cip: string
  cport: number
  sip: string
  sport: number
  /** true when this process is the server side (accept), so local = server */
  isServer: boolean
}

export interface FdInfo {
  num: number
  kind: FdKind
  /** Falco's fd.name: path, `cip:cport->sip:sport`, unix path, or '' */
  name: string
  /** as passed by the process, before resolution against cwd/dirfd */
  nameRaw: string
  openFlags?: number
  tuple?: SocketTuple
  connected: boolean
  /** the event that produced this fd info changed its name (sendto on an unconnected socket…) */
  nameChanged: boolean
  ino?: number
  dev?: number
}

/** Falco's socket fd name: `cip:cport->sip:sport`. */
export function tupleName (t: SocketTuple): string {
  return `${t.cip}:${t.cport}->${t.sip}:${t.sport}`
}

/** Local and remote ends of a tuple from this process's point of view. */
export function localRemote (t: SocketTuple): { lip: string, lport: number, rip: string, rport: number } {
  return t.isServer
    ? { lip: t.sip, lport: t.sport, rip: t.cip, rport: t.cport }
    : { lip: t.cip, lport: t.cport, rip: t.sip, rport: t.sport }
}

export function socketFd (num: number, tuple: SocketTuple, connected: boolean, nameChanged: boolean): FdInfo {
  const name = tupleName(tuple)
  return { num, kind: tuple.family === 6 ? 'ipv6' : 'ipv4', name, nameRaw: name, tuple, connected, nameChanged }
}

/**
 * Kind of an fd from the target of /proc/<pid>/fd/<n> ("socket:[123]", "pipe:[4]",
 * "anon_inode:[eventpoll]", a path…). Sockets of unknown family stay 'unknown' until an event
 * tells more.
 */
export function kindFromLink (target: string): FdKind {
  // a memfd links as "/memfd:<name> (deleted)": before the path rule, or it reads as a file
  if (target.startsWith('/memfd:')) return 'memfd'
  if (target.startsWith('/')) return 'file'
  if (target.startsWith('pipe:')) return 'pipe'
  if (target.startsWith('socket:')) return 'unknown'
  if (target.startsWith('anon_inode:')) {
    const what = target.slice('anon_inode:'.length).replace(/^\[|\]$/g, '')
    switch (what) {
      case 'eventfd': return 'event'
      case 'eventpoll': return 'eventpoll'
      case 'inotify': return 'inotify'
      case 'signalfd': return 'signalfd'
      case 'timerfd': return 'timerfd'
      case 'bpf-map': case 'bpf-prog': case 'bpf_link': return 'bpf'
      case 'userfaultfd': return 'userfaultfd'
      case 'io_uring': return 'io_uring'
      case 'pidfd': return 'pidfd'
      default: return 'unknown'
    }
  }
  return 'unknown'
}
