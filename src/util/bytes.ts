// Byte helpers for bytebuf fields: hex constants, UTF-8 encoding, and search without copying.

const HEX_RE = /^(?:[0-9a-fA-F]{2})+$/

/** Decode an even-length hex string; undefined when it is not one. */
export function decodeHex (s: string): Uint8Array | undefined {
  if (!HEX_RE.test(s)) return undefined
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16)
  return out
}

const encoder = new TextEncoder()
export function utf8 (s: string): Uint8Array { return encoder.encode(s) }

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function bytesStartWith (a: Uint8Array, prefix: Uint8Array, at = 0): boolean {
  if (at < 0 || a.length - at < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (a[at + i] !== prefix[i]) return false
  return true
}

export function bytesEndWith (a: Uint8Array, suffix: Uint8Array): boolean {
  return bytesStartWith(a, suffix, a.length - suffix.length)
}

/** Whether `needle` occurs in `hay` (naive scan: event buffers are small). */
export function bytesContain (hay: Uint8Array, needle: Uint8Array): boolean {
  const n = needle.length
  if (n === 0) return true
  const first = needle[0]
  const last = hay.length - n
  for (let i = 0; i <= last; i++) {
    if (hay[i] === first && bytesStartWith(hay, needle, i)) return true
  }
  return false
}
