// IPv4/IPv6 addresses and CIDR networks: parsing into bytes, canonical text (dotted quad; RFC 5952
// for IPv6), and containment tests. Pure; used to parse rule constants once.

export interface IpNet {
  /** 4 or 16 bytes, host bits already cleared */
  bytes: Uint8Array
  prefix: number
}

const V4_RE = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/

export function parseIPv4 (s: string): Uint8Array | undefined {
  if (!V4_RE.test(s)) return undefined
  return Uint8Array.from(s.split('.').map(Number))
}

export function parseIPv6 (s: string): Uint8Array | undefined {
  if (s.length < 2 || s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  const groups = (part: string): number[] | undefined => {
    if (part === '') return []
    const out: number[] = []
    const pieces = part.split(':')
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i] as string
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p)
        if (v4 === undefined) return undefined
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number))
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined
        out.push(parseInt(p, 16))
      }
    }
    return out
  }
  const head = groups(halves[0] as string)
  const tail = halves.length === 2 ? groups(halves[1] as string) : []
  if (head === undefined || tail === undefined) return undefined
  const fill = 8 - head.length - tail.length
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail]
  const bytes = new Uint8Array(16)
  all.forEach((g, i) => { bytes[2 * i] = g >> 8; bytes[2 * i + 1] = g & 0xff })
  return bytes
}

export function parseIp (s: string): Uint8Array | undefined {
  return s.includes(':') ? parseIPv6(s) : parseIPv4(s)
}

/** Dotted-quad text of the 4 bytes at `off`. */
export function formatIPv4At (b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`
}

/**
 * RFC 5952 text of the 16 bytes at `off`: lowercase, the longest run (>= 2) of zero groups as
 * '::' (the first on ties), IPv4-mapped addresses as ::ffff:a.b.c.d (RFC 5952 section 5).
 */
export function formatIPv6At (b: Uint8Array, off = 0): string {
  const g: number[] = []
  for (let i = 0; i < 8; i++) g.push(((b[off + 2 * i] as number) << 8) | (b[off + 2 * i + 1] as number))
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4At(b, off + 12)}`
  }
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) { best = i; bestLen = j - i }
    i = j
  }
  const hex = g.map((x) => x.toString(16))
  if (best < 0) return hex.join(':')
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':')
}

export function formatIp (b: Uint8Array): string {
  return b.length === 4 ? formatIPv4At(b) : formatIPv6At(b)
}

/** Canonical text of an address, or undefined when it is not one. */
export function canonicalIp (s: string): string | undefined {
  const b = parseIp(s)
  return b === undefined ? undefined : formatIp(b)
}

/** `addr/prefix` or a bare address (a host network: /32 or /128). */
export function parseCidr (s: string): IpNet | undefined {
  const slash = s.indexOf('/')
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash))
  if (addr === undefined) return undefined
  const max = addr.length * 8
  let prefix = max
  if (slash >= 0) {
    const p = s.slice(slash + 1)
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined
    prefix = Number(p)
    if (prefix > max) return undefined
  }
  const bytes = addr.slice()
  for (let bit = prefix; bit < max; bit++) bytes[bit >> 3] = (bytes[bit >> 3] as number) & ~(0x80 >> (bit & 7))
  return { bytes, prefix }
}

/** Whether address bytes fall inside a network (families must agree). */
export function netContains (net: IpNet, addr: Uint8Array): boolean {
  if (addr.length !== net.bytes.length) return false
  const full = net.prefix >> 3
  for (let i = 0; i < full; i++) if (addr[i] !== net.bytes[i]) return false
  const rest = net.prefix & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return ((addr[full] as number) & mask) === net.bytes[full]
}
