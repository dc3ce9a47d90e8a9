// fd.*, fdlist.*, fs.path.*: the file descriptor an event is about (the opened file, the socket
// it connects…). fd.ip/fd.port/fd.net/fd.proto are match-any fields: conditions test both ends
// of the connection (client and server; `!=` only when both differ), outputs print the server
// end as Falco does.
import { posix } from 'node:path'
import { argStr } from '../state/args.ts'
import { localRemote, typeChar, type FdInfo, type SocketTuple } from '../state/fd-info.ts'
import type { Extract, FieldValue } from '../../fields/index.ts'
import { absentField, argField, field, type Def, type Ev } from './define.ts'
import { nameOf, watchName, type DnsEntry } from './dns-names.ts'
import { portConstant } from './port-names.ts'

function ff (name: string, type: Def['type'], desc: string, get: (fd: FdInfo, ev: Ev) => FieldValue): Def {
  return field(name, type, desc, (ev) => {
    const fd = ev.fd
    return fd === undefined ? undefined : get(fd, ev)
  })
}
function tf (name: string, type: Def['type'], desc: string, get: (t: SocketTuple, fd: FdInfo) => FieldValue): Def {
  return ff(name, type, desc, (fd) => fd.tuple === undefined ? undefined : get(fd.tuple, fd))
}
/** Port fields take service names as constants (`fd.sport = https`), as libsinsp's PT_PORT parser. */
function port (d: Def): Def {
  return { ...d, normalizeConstant: portConstant }
}

/**
 * A bound or listening socket with no peer yet: libsinsp's SCAP_FD_IPV4/6_SERVSOCK, whose
 * match-any checks compare the bound address and port only.
 */
function isServerSocket (t: SocketTuple): boolean {
  return t.isServer && t.cport === 0 && (t.cip === '0.0.0.0' || t.cip === '::')
}

/**
 * A match-any tuple field: prints the server end, conditions test [client, server] (a server
 * socket: its bound end only); `!=` needs both ends to differ (FieldInfo.notEqualAll).
 */
function eitherEnd (name: string, type: Def['type'], desc: string, client: (t: SocketTuple) => string | number, server: (t: SocketTuple) => string | number): Def {
  const printed = tf(name, type, desc, server)
  return {
    ...printed,
    matchAny: true,
    notEqualAll: true,
    candidates: function bothEnds (ev) {
      const t = ev.fd?.tuple
      if (t === undefined) return undefined
      return isServerSocket(t) ? [server(t)] : [client(t), server(t)]
    }
  }
}

/** The connection end a domain field looks at: connected IP sockets only (libsinsp compare_domain). */
function endOf (end: (t: SocketTuple) => string): (ev: Ev) => string | undefined {
  return function connectionEnd (ev) {
    const t = ev.fd?.tuple
    return t === undefined || isServerSocket(t) ? undefined : end(t)
  }
}

/**
 * fd.*ip.name as libsinsp's dns_manager provides them (see dns-names.ts): `=`, `!=` and `in`
 * resolve the rule's names and compare the address; the value printed is the watched name that
 * resolves to the address.
 */
function domainField (name: string, which: string, end: (t: SocketTuple) => string): Def {
  const ip = endOf(end)
  return {
    ...field(name, 'string', `domain name of the ${which} address: a name the rules compare it with, resolved by the node's DNS (no reverse lookups, as in Falco)`, function domainOfEnd (ev) {
      const a = ip(ev)
      return a === undefined ? undefined : nameOf(a)
    }),
    compareConstants (op, values) {
      const watched = values.map((v) => watchName(v))
      const hit = (a: string): boolean => {
        for (let i = 0; i < watched.length; i++) if ((watched[i] as DnsEntry).addrs.has(a)) return true
        return false
      }
      switch (op) {
        case '=': case 'in': case 'intersects': return function addressOfName (ev) {
          const a = ip(ev)
          return a !== undefined && hit(a)
        }
        case '!=': return function notAddressOfName (ev) {
          const a = ip(ev)
          return a !== undefined && !hit(a)
        }
      }
      return undefined
    }
  }
}

/**
 * fd.cproto/sproto/lproto/rproto as Falco prints them: libsinsp's port_to_string with host name
 * and port resolution off (Falco turns it off), i.e. the port in decimal. A bound or listening
 * socket has no client end: fd.cproto and fd.sproto read "" there (libsinsp leaves the string
 * empty), fd.lproto and fd.rproto are absent.
 */
function protoField (name: string, which: string, port: (t: SocketTuple) => number): Def {
  const emptyOnServerSocket = name === 'fd.cproto' || name === 'fd.sproto'
  return tf(name, 'string', `${which} port as Falco prints it (decimal: Falco resolves no service names)`, function portText (t) {
    if (!isServerSocket(t)) return String(port(t))
    return emptyOnServerSocket ? '' : undefined
  })
}

const isFile = (fd: FdInfo): boolean => fd.kind === 'file' || fd.kind === 'directory'

function directory (fd: FdInfo): string | undefined {
  if (fd.kind === 'directory') return fd.name
  if (fd.kind !== 'file' || !fd.name.startsWith('/')) return undefined
  return posix.dirname(fd.name)
}

function l4 (t: SocketTuple): string | undefined { return t.l4proto === 'unknown' ? undefined : t.l4proto }

function fsPath (key: string, raw: boolean): Extract<Ev> {
  // the path arguments of file-system events, as Falco's fs.path.* read them
  const names: Record<string, readonly string[]> = {
    name: ['name', 'pathname', 'path', 'filename'],
    source: ['oldpath', 'source', 'dev', 'target'],
    target: ['newpath', 'linkpath', 'dir']
  }
  return (ev) => {
    for (const n of names[key] ?? []) {
      const v = argStr(ev.rec.args[n])
      if (v === undefined) continue
      if (raw || v.startsWith('/')) return v
      const fdName = key === 'name' ? ev.fd?.name : undefined
      if (fdName !== undefined && fdName.startsWith('/')) return fdName
      const cwd = ev.proc?.cwd
      return cwd === undefined ? v : posix.join(cwd, v)
    }
    return undefined
  }
}

export const fdFields: readonly Def[] = [
  ff('fd.num', 'int', 'fd number (-1 for a failed open)', (fd) => fd.num),
  ff('fd.type', 'string', 'fd type: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, bpf…', (fd) => fd.kind === 'unknown' ? undefined : fd.kind),
  ff('fd.typechar', 'string', "fd type as one character: f d 4 6 u p e s l i t n b, 'o' unknown", (fd) => typeChar(fd.kind)),
  ff('fd.name', 'string', 'full name: absolute path, or cip:cport->sip:sport for IP sockets', (fd) => fd.name === '' ? undefined : fd.name),
  ff('fd.nameraw', 'string', 'the name as the process passed it (relative paths stay relative)', (fd) => fd.nameRaw === '' ? undefined : fd.nameRaw),
  ff('fd.directory', 'string', 'directory of a file fd (the directory itself for a directory fd)', (fd) => directory(fd)),
  ff('fd.filename', 'string', 'file name without the directory', (fd) => fd.kind === 'file' && fd.name.startsWith('/') ? posix.basename(fd.name) : undefined),
  eitherEnd('fd.ip', 'ipaddr', 'IP address of either end of the connection (conditions match client or server; outputs print the server end)', (t) => t.cip, (t) => t.sip),
  tf('fd.cip', 'ipaddr', 'client IP address', (t) => t.cip),
  tf('fd.sip', 'ipaddr', 'server IP address', (t) => t.sip),
  tf('fd.lip', 'ipaddr', 'local IP address', (t) => localRemote(t).lip),
  tf('fd.rip', 'ipaddr', 'remote IP address', (t) => localRemote(t).rip),
  port(eitherEnd('fd.port', 'int', 'port of either end of the connection (conditions match client or server; outputs print the server end)', (t) => t.cport, (t) => t.sport)),
  port(tf('fd.cport', 'int', 'client port', (t) => t.cport)),
  port(tf('fd.sport', 'int', 'server port', (t) => t.sport)),
  port(tf('fd.lport', 'int', 'local port', (t) => localRemote(t).lport)),
  port(tf('fd.rport', 'int', 'remote port', (t) => localRemote(t).rport)),
  eitherEnd('fd.net', 'ipnet', 'network of either end of the connection, for CIDR matches (conditions match client or server; outputs print the server end)', (t) => t.cip, (t) => t.sip),
  tf('fd.cnet', 'ipnet', 'client network', (t) => t.cip),
  tf('fd.snet', 'ipnet', 'server network', (t) => t.sip),
  tf('fd.lnet', 'ipnet', 'local network', (t) => localRemote(t).lip),
  tf('fd.rnet', 'ipnet', 'remote network', (t) => localRemote(t).rip),
  tf('fd.l4proto', 'string', 'layer-4 protocol: tcp, udp, icmp or raw', (t) => l4(t)),
  ff('fd.sockfamily', 'string', "socket family: 'ip' or 'unix'", (fd) => fd.kind === 'ipv4' || fd.kind === 'ipv6' ? 'ip' : fd.kind === 'unix' ? 'unix' : undefined),
  tf('fd.is_server', 'bool', 'this process is the server end', (t) => t.isServer),
  ff('fd.connected', 'bool', 'the socket is connected', (fd) => fd.connected),
  ff('fd.name_changed', 'bool', 'this event changed the fd name (e.g. sendto on an unconnected socket)', (fd) => fd.nameChanged),
  field('fd.uid', 'string', 'unique fd id: thread id and fd number', (ev) => {
    const fd = ev.fd
    return fd === undefined ? undefined : `${ev.rec.tid}${fd.num}`
  }),
  field('fd.containername', 'string', 'container id followed by fd.name', (ev) => {
    const fd = ev.fd
    return fd === undefined ? undefined : `${ev.container?.id ?? 'host'}:${fd.name}`
  }),
  field('fd.containerdirectory', 'string', 'container id followed by fd.directory', (ev) => {
    const fd = ev.fd
    const dir = fd === undefined ? undefined : directory(fd)
    return dir === undefined ? undefined : `${ev.container?.id ?? 'host'}:${dir}`
  }),
  ff('fd.dev', 'int', 'device number of a file fd', (fd) => isFile(fd) ? fd.dev : undefined),
  ff('fd.dev.major', 'int', 'device major number', (fd) => isFile(fd) && fd.dev !== undefined ? fd.dev >>> 20 : undefined),
  ff('fd.dev.minor', 'int', 'device minor number', (fd) => isFile(fd) && fd.dev !== undefined ? fd.dev & 0xfffff : undefined),
  ff('fd.ino', 'int', 'inode number of a file fd', (fd) => isFile(fd) ? fd.ino : undefined),
  argField('fd.types', 'string', 'types of all open fds of the process (or of one fd: fd.types[3])', 'optional', 'index', (arg) => (ev) => {
    const p = ev.proc
    if (p === undefined) return undefined
    if (arg !== undefined) {
      const k = p.fds.get(Number(arg))?.kind
      return k === undefined || k === 'unknown' ? undefined : [k]
    }
    const kinds = new Set<string>()
    for (const fd of p.fds.values()) if (fd.kind !== 'unknown') kinds.add(fd.kind)
    return [...kinds]
  }, { isList: true }),
  domainField('fd.cip.name', 'client', (t) => t.cip),
  domainField('fd.sip.name', 'server', (t) => t.sip),
  domainField('fd.lip.name', 'local', (t) => localRemote(t).lip),
  domainField('fd.rip.name', 'remote', (t) => localRemote(t).rip),
  // libsinsp's fd.proto is a port field compared like fd.port (compare_port): `fd.proto = http` is port 80 at either end
  port(eitherEnd('fd.proto', 'int', 'port of either end, for comparisons with a service name (fd.proto = https); outputs print the server port', (t) => t.cport, (t) => t.sport)),
  protoField('fd.cproto', 'client', (t) => t.cport),
  protoField('fd.sproto', 'server', (t) => t.sport),
  protoField('fd.lproto', 'local', (t) => localRemote(t).lport),
  protoField('fd.rproto', 'remote', (t) => localRemote(t).rport),
  absentField('fd.is_upper_layer', 'bool', 'file is in an overlayfs upper layer'),
  absentField('fd.is_lower_layer', 'bool', 'file is in an overlayfs lower layer'),
  absentField('fdlist.nums', 'int', 'fd numbers of a poll event', { isList: true }),
  absentField('fdlist.names', 'string', 'fd names of a poll event', { isList: true }),
  absentField('fdlist.cips', 'ipaddr', 'client IPs of a poll event', { isList: true }),
  absentField('fdlist.sips', 'ipaddr', 'server IPs of a poll event', { isList: true }),
  absentField('fdlist.cports', 'int', 'client ports of a poll event', { isList: true }),
  absentField('fdlist.sports', 'int', 'server ports of a poll event', { isList: true }),
  field('fs.path.name', 'string', 'path argument of a file-system event, made absolute', fsPath('name', false)),
  field('fs.path.nameraw', 'string', 'path argument as passed', fsPath('name', true)),
  field('fs.path.source', 'string', 'source path of a two-path event (rename, link, mount), made absolute', fsPath('source', false)),
  field('fs.path.sourceraw', 'string', 'source path as passed', fsPath('source', true)),
  field('fs.path.target', 'string', 'target path of a two-path event, made absolute', fsPath('target', false)),
  field('fs.path.targetraw', 'string', 'target path as passed', fsPath('target', true))
]
