// Decodes the helper's byte stream ({u16 len, u16 type}-framed kernel records and control frames)
// into SyscallRecords, ProbeStats inputs and counted DecodeErrors. Never throws on bad bytes: a
// record that cannot be used becomes a DecodeError and decoding continues with the next frame.
import { COMM_LEN, CONF, CONF_REJECTED, DIR_ENTER, HDR, HELLO, STATS } from './abi.ts'
import { ByteInterner } from './decode-intern.ts'
import { containerFromCgroupPath } from './state/container-id.ts'
import { KIND_REGISTRY, type RawPayload } from './decode-kinds.ts'
import type { DecodeError, SyscallRecord } from './record.ts'

export interface HelloFrame { abi: number, helperPid: number, ncpu: number, clockOffset: bigint }
export interface StatsFrame {
  records: number
  bytes: number
  polls: number
  clockOffset: bigint
  /** the helper's self-check calls seen by its sys_enter / sys_exit programs: rising while they run */
  selfEnter: number
  selfExit: number
  dropsPerCpu: number[]
}

export interface DecodeContext {
  /** realtime − boottime in ns, from the helper's HELLO/STATS frames */
  clockOffset: bigint
}

export function newDecodeContext (clockOffset = 0n): DecodeContext {
  return { clockOffset }
}

/**
 * The 64-hex container id a cgroup leaf name (plain, docker-<id>.scope, cri-containerd-<id>…)
 * stands for, '' for the host: the same parser as /proc/<pid>/cgroup paths, so that a runtime's
 * monitor (crio-conmon-<id>.scope, a host process) is not taken for the container it watches.
 * Records memoise it per leaf through the leaf interner below.
 */
export function containerIdOf (leaf: string): string {
  return containerFromCgroupPath(leaf)?.fullId ?? ''
}

function err (code: DecodeError['code'], message: string, kind?: number): DecodeError {
  return kind === undefined ? { code, message } : { code, message, kind }
}

/** Reusable view over one record's numeric slots (allocation-free accessors). */
class Payload implements RawPayload {
  dir: '>' | '<' = '<'
  res = 0
  nnum = 0
  blobs: Buffer[] = []
  clockOffset = 0n
  private buf: Buffer = Buffer.alloc(0)
  private base = 0
  reset (buf: Buffer, base: number, nnum: number, dir: '>' | '<', res: number, blobs: Buffer[], clockOffset: bigint): void {
    this.clockOffset = clockOffset
    this.buf = buf
    this.base = base
    this.nnum = nnum
    this.dir = dir
    this.res = res
    this.blobs = blobs
  }

  // decodeRecord checks each kind's minNums and decoders test nnum before an optional slot, so
  // i < nnum always holds for the kinds in KIND_REGISTRY; the check keeps a decoder that forgot
  // from reading blob bytes as a number (the false side: no registered decoder takes it)
  i32 (i: number): number { return i < this.nnum ? this.buf.readInt32LE(this.base + i * 8) : 0 }
  u32 (i: number): number { return i < this.nnum ? this.buf.readUInt32LE(this.base + i * 8) : 0 }
  u64 (i: number): bigint { return i < this.nnum ? this.buf.readBigUInt64LE(this.base + i * 8) : 0n }
}

const payload = new Payload()

interface Leaf { leaf: string, containerId: string }
const NO_LEAF: Leaf = { leaf: '', containerId: '' }
function utf8At (b: Buffer, start: number, end: number): string { return b.toString('utf8', start, end) }
function leafAt (b: Buffer, start: number, end: number): Leaf {
  const leaf = b.toString('utf8', start, end)
  return { leaf, containerId: leaf === '' || leaf === '/' ? '' : containerIdOf(leaf) }
}
// by bytes, before decoding: a node runs a few hundred distinct comms and cgroups at a time
const comms = new ByteInterner(1024, utf8At)
const leaves = new ByteInterner(512, leafAt)

/**
 * Decodes one kernel record occupying buf[off, off+len). `len` is the frame length already read
 * from the record's first field.
 */
export function decodeRecord (buf: Uint8Array, off: number, len: number, ctx: DecodeContext): SyscallRecord | DecodeError {
  if (len < HDR.size || off + len > buf.length) {
    return err('ERR_SYSCALL_SHORT_RECORD', `record of ${len} bytes is shorter than its ${HDR.size}-byte header`)
  }
  // Buffer's typed reads are the fastest way to pull little-endian fields in Node (no DataView)
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  const kind = b.readUInt16LE(off + HDR.kind)
  const spec = KIND_REGISTRY.get(kind)
  if (spec === undefined) return err('ERR_SYSCALL_UNKNOWN_OP', `unknown record kind ${kind}`, kind)
  const nnum = b[off + HDR.nnum]!
  const nblob = b[off + HDR.nblob]!
  if (nnum < spec.minNums) {
    return err('ERR_SYSCALL_SHORT_RECORD', `${spec.name} record has ${nnum} numeric arguments, needs ${spec.minNums}`, kind)
  }
  const end = off + len
  let p = off + HDR.size + nnum * 8
  if (p > end) return err('ERR_SYSCALL_SHORT_RECORD', `${spec.name} record too short for ${nnum} numeric arguments`, kind)
  const blobs: Buffer[] = []
  let cgStart = 0
  let cgEnd = 0
  for (let i = 0; i < nblob; i++) {
    if (p + 2 > end) return err('ERR_SYSCALL_SHORT_RECORD', `${spec.name} record ends inside blob ${i}`, kind)
    const n = b.readUInt16LE(p)
    p += 2
    if (p + n > end) return err('ERR_SYSCALL_SHORT_RECORD', `${spec.name} record blob ${i} runs past the record end`, kind)
    if (i === 0) { cgStart = p; cgEnd = p + n } else blobs.push(b.subarray(p, p + n))
    p += n
  }
  const dir = b[off + HDR.dir] === DIR_ENTER ? '>' : '<'
  // s64 result without a BigInt: high word signed, low word unsigned
  const res = b.readInt32LE(off + HDR.res + 4) * 0x1_0000_0000 + b.readUInt32LE(off + HDR.res)
  const leaf = cgEnd === cgStart ? NO_LEAF : leaves.get(b, cgStart, cgEnd)
  const rec: SyscallRecord = {
    type: spec.name,
    dir,
    ts: b.readBigUInt64LE(off + HDR.ts) + ctx.clockOffset,
    cpu: b.readUInt32LE(off + HDR.cpu),
    tid: b.readUInt32LE(off + HDR.tid),
    pid: b.readUInt32LE(off + HDR.pid),
    ppid: b.readUInt32LE(off + HDR.ppid),
    uid: b.readUInt32LE(off + HDR.uid),
    gid: b.readUInt32LE(off + HDR.gid),
    args: {},
    comm: comms.get(b, off + HDR.comm, off + HDR.comm + COMM_LEN),
    // set in the literal: one object shape for every record
    cgroup: leaf.leaf,
    containerId: leaf.containerId
  }
  if (dir === '<') rec.res = res
  payload.reset(b, off + HDR.size, nnum, dir, res, blobs, ctx.clockOffset)
  spec.decode(payload, rec.args, rec)
  return rec
}

export function decodeHello (buf: Uint8Array, off: number, len: number): HelloFrame | DecodeError {
  if (len < HELLO.size) return err('ERR_SYSCALL_SHORT_RECORD', `hello frame of ${len} bytes`)
  const dv = new DataView(buf.buffer, buf.byteOffset + off, len)
  return {
    abi: dv.getUint32(HELLO.abi, true),
    helperPid: dv.getUint32(HELLO.helperPid, true),
    ncpu: dv.getUint32(HELLO.ncpu, true),
    clockOffset: dv.getBigInt64(HELLO.clockOffset, true)
  }
}

export function decodeStats (buf: Uint8Array, off: number, len: number): StatsFrame | DecodeError {
  if (len < STATS.size) return err('ERR_SYSCALL_SHORT_RECORD', `stats frame of ${len} bytes`)
  const dv = new DataView(buf.buffer, buf.byteOffset + off, len)
  const ncpu = dv.getUint32(STATS.ncpu, true)
  if (STATS.size + ncpu * 8 > len) return err('ERR_SYSCALL_SHORT_RECORD', `stats frame too short for ${ncpu} CPUs`)
  const dropsPerCpu: number[] = []
  for (let i = 0; i < ncpu; i++) dropsPerCpu.push(Number(dv.getBigUint64(STATS.size + i * 8, true)))
  return {
    records: Number(dv.getBigUint64(STATS.records, true)),
    bytes: Number(dv.getBigUint64(STATS.bytes, true)),
    polls: Number(dv.getBigUint64(STATS.polls, true)),
    clockOffset: dv.getBigInt64(STATS.clockOffset, true),
    selfEnter: Number(dv.getBigUint64(STATS.selfEnter, true)),
    selfExit: Number(dv.getBigUint64(STATS.selfExit, true)),
    dropsPerCpu
  }
}

/** The helper applied (or rejected) a new set of event kinds sent on its stdin. */
export interface ConfFrame {
  seq: number
  rejected: boolean
  /** kinds now recording exit / enter records */
  nExit: number
  nEnter: number
}

export function decodeConf (buf: Uint8Array, off: number, len: number): ConfFrame | DecodeError {
  if (len < CONF.size) return err('ERR_SYSCALL_SHORT_RECORD', `conf frame of ${len} bytes`)
  const dv = new DataView(buf.buffer, buf.byteOffset + off, len)
  const nExit = dv.getUint32(CONF.nExit, true)
  return { seq: dv.getUint32(CONF.seq, true), rejected: nExit === CONF_REJECTED, nExit: nExit === CONF_REJECTED ? 0 : nExit, nEnter: dv.getUint32(CONF.nEnter, true) }
}

export interface ChunkResult {
  records: SyscallRecord[]
  errors: DecodeError[]
  hello?: HelloFrame
  stats: StatsFrame[]
  /** answers to kinds changes (absent when there were none) */
  conf?: ConfFrame[]
}

/**
 * Reassembles frames across pipe chunks. A frame whose length field is below 4 cannot be skipped
 * safely: the rest of the pending bytes is dropped as one error (the helper never writes one).
 */
export class StreamDecoder {
  readonly ctx: DecodeContext
  private pending: Buffer | undefined
  errorCount = 0

  constructor (ctx: DecodeContext = newDecodeContext()) {
    this.ctx = ctx
  }

  push (chunk: Buffer): ChunkResult {
    const buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk])
    this.pending = undefined
    const out: ChunkResult = { records: [], errors: [], stats: [] }
    let off = 0
    while (off + 4 <= buf.length) {
      const len = buf.readUInt16LE(off)
      const type = buf.readUInt16LE(off + 2)
      if (len < 4) {
        out.errors.push(err('ERR_SYSCALL_SHORT_RECORD', `frame length ${len} at stream offset ${off}; ${buf.length - off} bytes dropped`))
        off = buf.length
        break
      }
      if (off + len > buf.length) break
      if (type === HELLO.type) {
        const h = decodeHello(buf, off, len)
        if ('code' in h) out.errors.push(h)
        else { out.hello = h; this.ctx.clockOffset = h.clockOffset }
      } else if (type === STATS.type) {
        const s = decodeStats(buf, off, len)
        if ('code' in s) out.errors.push(s)
        else { out.stats.push(s); this.ctx.clockOffset = s.clockOffset }
      } else if (type === CONF.type) {
        const c = decodeConf(buf, off, len)
        if ('code' in c) out.errors.push(c)
        else (out.conf ??= []).push(c)
      } else {
        const r = decodeRecord(buf, off, len, this.ctx)
        if ('code' in r) out.errors.push(r)
        else out.records.push(r)
      }
      off += len
    }
    if (off < buf.length) this.pending = buf.subarray(off)
    this.errorCount += out.errors.length
    return out
  }
}
