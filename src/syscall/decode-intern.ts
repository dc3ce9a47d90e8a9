// Values the decoder meets over and over (comm, the cgroup leaf and its container id), found by
// their bytes in a small direct-mapped table before any slicing or UTF-8 decoding: both are on
// every record, take a handful of distinct values, and decoding them was most of the per-record
// cost after the header reads.

/**
 * Byte range → value memo. A slot holds a copy of the bytes it was filled from and is only used
 * when they are equal to the range asked for, so a hit returns exactly what `make` returned for the
 * same bytes; a colliding range just replaces the slot.
 */
export class ByteInterner<T> {
  private readonly keys: (Buffer | undefined)[]
  private readonly vals: (T | undefined)[]
  private readonly mask: number

  /** `slots`: a power of two; `make` turns the bytes (without trailing NULs) into the value */
  constructor (slots: number, private readonly make: (b: Buffer, start: number, end: number) => T) {
    this.keys = new Array<Buffer | undefined>(slots).fill(undefined)
    this.vals = new Array<T | undefined>(slots).fill(undefined)
    this.mask = slots - 1
  }

  /** the value for b[start, end) with trailing NULs left out (as text() does) */
  get (b: Buffer, start: number, end: number): T {
    while (end > start && b[end - 1] === 0) end--
    const len = end - start
    // a few sampled words: the distinct leaves differ in their middle (the container id)
    let h = len
    if (len >= 4) {
      h = Math.imul(h ^ b.readUInt32LE(start), 0x9e3779b1)
      h = Math.imul(h ^ b.readUInt32LE(start + (len >> 2)), 0x85ebca6b)
      h = Math.imul(h ^ b.readUInt32LE(start + (len >> 1) - 2), 0xc2b2ae35)
      h = Math.imul(h ^ b.readUInt32LE(end - 4), 0x27d4eb2f)
    } else {
      for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x9e3779b1)
    }
    const slot = (h ^ (h >>> 15)) & this.mask
    const key = this.keys[slot]
    if (key !== undefined && key.length === len && sameBytes(key, b, start, len)) return this.vals[slot] as T
    const v = this.make(b, start, end)
    this.keys[slot] = Buffer.from(b.subarray(start, end))
    this.vals[slot] = v
    return v
  }
}

function sameBytes (key: Buffer, b: Buffer, start: number, len: number): boolean {
  let i = 0
  for (; i + 4 <= len; i += 4) if (key.readUInt32LE(i) !== b.readUInt32LE(start + i)) return false
  for (; i < len; i++) if (key[i] !== b[start + i]) return false
  return true
}
