// Socket endpoints from record arguments, as the decoder writes them (record.ts): the socket's own
// view in text parts (`family` ipv4/ipv6/unix, `l4proto`, `lip`/`lport` local, `rip`/`rport`
// remote, `tuple` "local->remote"), and for connect/sendto/sendmsg `addr`, the user's sockaddr as
// "ip:port". This module turns them into Falco's client/server tuple. Arguments of another shape
// (a hand-made or damaged record) read as absent, never as a guess.
import { argNum, type ArgValue } from './args.ts'
import type { L4Proto, SocketTuple } from './fd-info.ts'

type Args = Readonly<Record<string, ArgValue>>

export const AF_UNIX = 1
export const AF_INET = 2
export const AF_INET6 = 10

export interface Endpoint { family: 4 | 6, ip: string, port: number }
export interface Endpoints { local?: Endpoint, remote?: Endpoint, l4proto: L4Proto }

export function protoName (ipproto: number | undefined): L4Proto {
  switch (ipproto) {
    case 6: return 'tcp'
    case 17: return 'udp'
    case 1: case 58: return 'icmp'
    case 255: return 'raw'
    default: return 'unknown'
  }
}

/**
 * An address as Falco shows it: IPv4-mapped IPv6 (::ffff:a.b.c.d, a dual-stack socket talking
 * IPv4) as IPv4, as libsinsp turns such a connection into an IPv4 one.
 */
function endpoint (ip: string, port: number): Endpoint {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return { family: 4, ip: ip.slice(7), port }
  return { family: ip.includes(':') ? 6 : 4, ip, port }
}

/** `ip:port`; an IPv6 address keeps its colons (bracketed or not): the port is after the last one. */
function parseTupleSide (s: string): Endpoint | undefined {
  const c = s.lastIndexOf(':')
  if (c < 0) return undefined
  const port = Number(s.slice(c + 1))
  if (!Number.isInteger(port)) return undefined
  return endpoint(s.slice(0, c).replace(/^\[|\]$/g, ''), port)
}

/** `a:1->b:2` (local->remote), IPv6 ends bracketed (the decoder's form) or not. */
export function parseTupleText (s: string): Endpoints | undefined {
  const arrow = s.indexOf('->')
  if (arrow < 0) return undefined
  const local = parseTupleSide(s.slice(0, arrow))
  const remote = parseTupleSide(s.slice(arrow + 2))
  if (local === undefined || remote === undefined) return undefined
  return { local, remote, l4proto: 'unknown' }
}

function endpointFromParts (args: Args, ipKey: string, portKey: string): Endpoint | undefined {
  const ip = args[ipKey]
  const port = argNum(args[portKey])
  if (typeof ip !== 'string' || ip === '' || port === undefined) return undefined
  return endpoint(ip, port)
}

function l4Of (v: ArgValue): L4Proto | undefined {
  return v === 'tcp' || v === 'udp' || v === 'icmp' || v === 'raw' ? v : undefined
}

/**
 * Endpoints from whatever the record carries, most explicit first: the decoded parts, else the
 * `tuple` text; then `addr` (the destination of connect/sendto/sendmsg) where the kernel had no
 * remote end yet. bind's `addr` is the local end it asked for (the decoder already made it the
 * local part where the kernel had none): `addrIsDestination` false leaves it out.
 */
export function endpointsFromArgs (args: Args, addrIsDestination = true): Endpoints | undefined {
  const l4proto = l4Of(args.l4proto) ?? 'unknown'
  const local = endpointFromParts(args, 'lip', 'lport')
  const remote = endpointFromParts(args, 'rip', 'rport')
  let ep: Endpoints | undefined
  if (local !== undefined || remote !== undefined) ep = { local, remote, l4proto }
  else if (typeof args.tuple === 'string') {
    const t = parseTupleText(args.tuple)
    if (t !== undefined) ep = { ...t, l4proto }
  }
  const dest = addrIsDestination && typeof args.addr === 'string' ? parseTupleSide(args.addr) : undefined
  if (dest !== undefined) {
    // the sockaddr is what the process asked for; an unconnected socket has no kernel remote yet
    const r = ep?.remote
    if (r === undefined || r.port === 0 || isAny(r.ip)) ep = { local: ep?.local, remote: dest, l4proto }
  }
  return ep
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
