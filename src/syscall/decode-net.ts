// Socket endpoint decoding for probe records: the kernel's ln_tuple (what the socket itself says)
// and raw user sockaddrs (what the process passed), into Falco-style text fields.
import { AF_INET, AF_INET6, AF_UNIX, TUPLE } from './abi.ts'
import { formatIPv4At, formatIPv6At } from '../util/index.ts'

type Args = Record<string, string | number | bigint | Uint8Array | undefined>

/** Address text as everywhere in Lanner (rule constants are canonicalised the same way). */
export const ipv4Text = formatIPv4At
export const ipv6Text = formatIPv6At

function l4Name (proto: number, family: number): string | undefined {
  if (family === AF_UNIX) return undefined
  if (proto === 6) return 'tcp'
  if (proto === 17) return 'udp'
  if (proto === 1 || proto === 58) return 'icmp'
  return 'raw'
}

function familyName (family: number): string | undefined {
  if (family === AF_INET) return 'ipv4'
  if (family === AF_INET6) return 'ipv6'
  if (family === AF_UNIX) return 'unix'
  return undefined
}

function hostPort (ip: string, port: number, v6: boolean): string {
  return v6 ? `[${ip}]:${port}` : `${ip}:${port}`
}

/**
 * Adds family, l4proto, lip/lport/rip/rport and tuple from an ln_tuple blob. `serverSide` is true
 * for accepted sockets, whose Falco tuple lists the remote (client) end first.
 */
export function addTuple (args: Args, blob: Uint8Array | undefined, serverSide: boolean): void {
  if (blob === undefined || blob.length < TUPLE.size) return
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength)
  const family = dv.getUint16(TUPLE.family, true)
  const fam = familyName(family)
  if (fam === undefined) return
  args.family = fam
  const l4 = l4Name(blob[TUPLE.proto]!, family)
  if (l4 !== undefined) args.l4proto = l4
  if (family === AF_UNIX) return
  const v6 = family === AF_INET6
  const lip = v6 ? ipv6Text(blob, TUPLE.saddr) : ipv4Text(blob, TUPLE.saddr)
  const rip = v6 ? ipv6Text(blob, TUPLE.daddr) : ipv4Text(blob, TUPLE.daddr)
  const lport = dv.getUint16(TUPLE.sport, true)
  const rport = dv.getUint16(TUPLE.dport, true)
  args.lip = lip
  args.lport = lport
  args.rip = rip
  args.rport = rport
  const local = hostPort(lip, lport, v6)
  const remote = hostPort(rip, rport, v6)
  args.tuple = serverSide ? `${remote}->${local}` : `${local}->${remote}`
}

export interface SockAddr {
  family: 'ipv4' | 'ipv6' | 'unix'
  ip?: string
  port?: number
  path?: string
  /** Falco's rendering: "ip:port" or the unix path */
  text: string
}

/** Parses a raw struct sockaddr_{in,in6,un} as copied from user memory; undefined if not one. */
export function parseSockaddr (b: Uint8Array | undefined): SockAddr | undefined {
  if (b === undefined || b.length < 2) return undefined
  const family = b[0]! | (b[1]! << 8)
  if (family === AF_INET && b.length >= 8) {
    const ip = ipv4Text(b, 4)
    const port = (b[2]! << 8) | b[3]!
    return { family: 'ipv4', ip, port, text: `${ip}:${port}` }
  }
  if (family === AF_INET6 && b.length >= 24) {
    const ip = ipv6Text(b, 8)
    const port = (b[2]! << 8) | b[3]!
    return { family: 'ipv6', ip, port, text: `[${ip}]:${port}` }
  }
  if (family === AF_UNIX) {
    // abstract sockets start with a NUL; shown with a leading '@' as ss/Falco do
    const abstract = b.length > 2 && b[2] === 0
    let end = abstract ? 3 : 2
    while (end < b.length && b[end] !== 0) end++
    const name = Buffer.from(b.buffer, b.byteOffset + (abstract ? 3 : 2), end - (abstract ? 3 : 2)).toString('utf8')
    const path = abstract ? `@${name}` : name
    return { family: 'unix', path, text: path }
  }
  return undefined
}

/**
 * connect/sendto/bind: the sockaddr the process passed. Fills addr, and where the socket gave no
 * remote end (failed connect, unconnected UDP) the remote (or, for bind, local) parts from it.
 */
export function addSockaddr (args: Args, raw: Uint8Array | undefined, role: 'remote' | 'local'): void {
  const sa = parseSockaddr(raw)
  if (sa === undefined) return
  args.addr = sa.text
  if (args.family === undefined) args.family = sa.family
  if (sa.family === 'unix') return
  if (role === 'remote' && (args.rport === undefined || args.rport === 0)) {
    args.rip = sa.ip
    args.rport = sa.port
    if (args.lip !== undefined) args.tuple = `${hostPort(String(args.lip), Number(args.lport), sa.family === 'ipv6')}->${sa.text}`
  }
  if (role === 'local' && (args.lport === undefined || args.lport === 0)) {
    args.lip = sa.ip
    args.lport = sa.port
  }
}
