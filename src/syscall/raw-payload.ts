// The payload shape every kind decoder reads. Its own file so decode-kinds.ts (the registry) and
// the per-family decoders it registers (decode-kinds-fs.ts) share it without importing each other.

/** A record's payload as the decoders see it: numeric slots and blobs (blob 0, the cgroup, excluded). */
export interface RawPayload {
  dir: '>' | '<'
  res: number
  /** slot i as a signed 32-bit value (fds, dirfds) */
  i32(i: number): number
  /** slot i as an unsigned 32-bit value (flags, modes, ids) */
  u32(i: number): number
  /** slot i as a full unsigned 64-bit value */
  u64(i: number): bigint
  readonly nnum: number
  /** blobs after the cgroup name: views into the decoder's chunk */
  readonly blobs: Buffer[]
  /** realtime − boottime (HELLO/STATS clock_offset): turns a boot-time kernel value into epoch ns */
  readonly clockOffset: bigint
}
