// Socket endpoints from record arguments. The probe reports the socket's own view (local and
// remote address of the kernel sock) and, for connect/sendto/sendmsg, the user's sockaddr; the
// decoder may pass them as raw bytes or as decoded parts. This module turns any of those forms
// into Falco's client/server tuple.
import { formatIp } from '../../util/index.ts'
import type { L4Proto, SocketTuple } from './fd-info.ts'

type ArgValue = string | number | bigint | Uint8Array | undefined
type Args = Readonly<Record<string, ArgValue>>

export const AF_UNIX = 1
export const AF_INET = 2
export const AF_INET6 = 10

export interface Endpoint { family: 4 | 6, ip: string, port: number }
export interface Endpoints { local?: Endpoint, remote?: Endpoint, l4proto: L4Proto }

function num (v: ArgValue): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return Number(v)
  return undefined
}

export function protoName (ipproto: number | undefined): L4Proto {
  switch (ipproto) {
    case 6: return 'tcp'
    case 17: return 'udp'
    case 1: case 58: return 'icmp'
    case 255: return 'raw'
    default: return 'unknown'
  }
}

function familyOf (v: ArgValue): 4 | 6 | undefined {
  const n = num(v)
  if (n === AF_INET || n === 4) return 4
  if (n === AF_INET6 || n === 6) return 6
  if (v === 'AF_INET' || v === 'ipv4') return 4
  if (v === 'AF_INET6' || v === 'ipv6') return 6
  return undefined
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is shown as IPv4, as Falco does. */
function ipText (bytes: Uint8Array): { family: 4 | 6, ip: string } {
  if (bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return { family: 4, ip: formatIp(bytes.subarray(12, 16)) }
  }
  return { family: bytes.length === 4 ? 4 : 6, ip: formatIp(bytes) }
}

/** struct sockaddr_in / sockaddr_in6 as user space passed it (family host order, port network order). */
export function parseSockaddr (b: Uint8Array): Endpoint | undefined {
  if (b.length < 2) return undefined
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const family = dv.getUint16(0, true)
  if (family === AF_INET && b.length >= 8) {
    return { family: 4, port: dv.getUint16(2, false), ip: formatIp(b.subarray(4, 8)) }
  }
  if (family === AF_INET6 && b.length >= 24) {
    const t = ipText(b.subarray(8, 24))
    return { ...t, port: dv.getUint16(2, false) }
  }
  return undefined
}

/** struct ln_tuple from the probe: {u16 family, u16 sport, u16 dport, u8 proto, u8 pad, u8 saddr[16], u8 daddr[16]}. */
export function parseProbeTuple (b: Uint8Array): Endpoints | undefined {
  if (b.length < 40) return undefined
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const fam = dv.getUint16(0, true)
  if (fam !== AF_INET && fam !== AF_INET6) return undefined
  const len = fam === AF_INET ? 4 : 16
  const l = ipText(b.subarray(8, 8 + len))
  const r = ipText(b.subarray(24, 24 + len))
  return {
    local: { ...l, port: dv.getUint16(2, true) },
    remote: { ...r, port: dv.getUint16(4, true) },
    l4proto: protoName(b[6])
  }
}

/** `a:1->b:2` (local->remote). IPv6 addresses keep their colons; the port is after the last one. */
export function parseTupleText (s: string): Endpoints | undefined {
  const arrow = s.indexOf('->')
  if (arrow < 0) return undefined
  const side = (t: string): Endpoint | undefined => {
    const c = t.lastIndexOf(':')
    if (c < 0) return undefined
    const ip = t.slice(0, c).replace(/^\[|\]$/g, '')
    const port = Number(t.slice(c + 1))
    if (!Number.isInteger(port)) return undefined
    return { family: ip.includes(':') ? 6 : 4, ip, port }
  }
  const local = side(s.slice(0, arrow)); const remote = side(s.slice(arrow + 2))
  if (local === undefined || remote === undefined) return undefined
  return { local, remote, l4proto: 'unknown' }
}

function endpointFromParts (args: Args, ipKey: string, portKey: string, fam: 4 | 6 | undefined): Endpoint | undefined {
  const ip = args[ipKey]
  const port = num(args[portKey])
  if (ip === undefined || port === undefined) return undefined
  if (ip instanceof Uint8Array) return { ...ipText(ip), port }
  if (typeof ip !== 'string' || ip === '') return undefined
  return { family: fam ?? (ip.includes(':') ? 6 : 4), ip, port }
}

/**
 * Endpoints from whatever form the record carries, most explicit first: decoded parts (`lip`/
 * `lport` local, `rip`/`rport` remote, as the decoder writes them; `saddr`/`daddr` likewise),
 * then `tuple` (probe bytes, or `local->remote` text), and `addr` (the user's sockaddr: the
 * destination of connect/sendto/sendmsg) where the kernel had no remote end yet.
 */
export function endpointsFromArgs (args: Args): Endpoints | undefined {
  let ep: Endpoints | undefined
  const fam = familyOf(args.family)
  const local = endpointFromParts(args, 'lip', 'lport', fam) ?? endpointFromParts(args, 'saddr', 'sport', fam)
  const remote = endpointFromParts(args, 'rip', 'rport', fam) ?? endpointFromParts(args, 'daddr', 'dport', fam)
  if (local !== undefined || remote !== undefined) ep = { local, remote, l4proto: 'unknown' }
  if (ep === undefined) {
    const tuple = args.tuple
    if (tuple instanceof Uint8Array) ep = parseProbeTuple(tuple)
    else if (typeof tuple === 'string') ep = parseTupleText(tuple)
  }
  const l4 = args.l4proto
  const proto = num(args.proto)
  if (ep !== undefined && ep.l4proto === 'unknown') {
    if (l4 === 'tcp' || l4 === 'udp' || l4 === 'icmp' || l4 === 'raw') ep = { ...ep, l4proto: l4 }
    else if (proto !== undefined) ep = { ...ep, l4proto: protoName(proto) }
  }
  const addr = args.addr
  const dest = addr instanceof Uint8Array ? parseSockaddr(addr) : typeof addr === 'string' ? parseTupleSide(addr) : undefined
  if (dest !== undefined) {
    // the sockaddr is what the process asked for; an unconnected socket has no kernel remote yet
    const r = ep?.remote
    if (r === undefined || r.port === 0 || isAny(r.ip)) ep = { local: ep?.local, remote: dest, l4proto: ep?.l4proto ?? 'unknown' }
  }
  return ep
}

function parseTupleSide (s: string): Endpoint | undefined {
  const c = s.lastIndexOf(':')
  if (c < 0) return undefined
  const ip = s.slice(0, c).replace(/^\[|\]$/g, '')
  const port = Number(s.slice(c + 1))
  return Number.isInteger(port) ? { family: ip.includes(':') ? 6 : 4, ip, port } : undefined
}

function isAny (ip: string): boolean { return ip === '0.0.0.0' || ip === '::' }

/**
 * Falco's tuple: the process that connected or sent is the client; an accepting process is the
 * server. Missing ends are filled with the unspecified address and port 0.
 */
export function toTuple (ep: Endpoints, isServer: boolean): SocketTuple {
  const fam = ep.local?.family ?? ep.remote?.family ?? 4
  const any = fam === 6 ? '::' : '0.0.0.0'
  const local = ep.local ?? { family: fam, ip: any, port: 0 }
  const remote = ep.remote ?? { family: fam, ip: any, port: 0 }
  return isServer
    ? { family: fam, l4proto: ep.l4proto, sip: local.ip, sport: local.port, cip: remote.ip, cport: remote.port, isServer }
    : { family: fam, l4proto: ep.l4proto, cip: local.ip, cport: local.port, sip: remote.ip, sport: remote.port, isServer }
}
