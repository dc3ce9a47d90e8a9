// Decoders for file-system record kinds (open family, unlink, rename, chmod, links, directories,
// mount). Registered by kind in decode-kinds.ts; argument names are listed in record.ts.
import type { RawPayload } from './raw-payload.ts'
import type { SyscallRecord } from './record.ts'
import { text } from './decode-text.ts'

type Args = SyscallRecord['args']

const O_CREAT_WRONLY_TRUNC = 0o1101

export function withFd (p: RawPayload, args: Args): void {
  if (p.dir === '<') args.fd = p.res
}

export function decodeOpen (p: RawPayload, args: Args): void {
  withFd(p, args)
  args.name = text(p.blobs[0])
  args.flags = p.u32(0)
  args.mode = p.u32(1)
}

export function decodeOpenat (p: RawPayload, args: Args, _rec?: SyscallRecord): void {
  withFd(p, args)
  args.dirfd = p.i32(0)
  args.name = text(p.blobs[0])
  args.flags = p.u32(1)
  args.mode = p.u32(2)
}

export function decodeOpenat2 (p: RawPayload, args: Args, rec: SyscallRecord): void {
  decodeOpenat(p, args, rec)
  args.resolve = p.u32(3)
}

export function decodeUnlink (p: RawPayload, args: Args): void {
  args.path = text(p.blobs[0])
}

export function decodeUnlinkat (p: RawPayload, args: Args): void {
  args.dirfd = p.i32(0)
  args.name = text(p.blobs[0])
  args.flags = p.u32(1)
}

export function decodeRename (p: RawPayload, args: Args): void {
  args.oldpath = text(p.blobs[0])
  args.newpath = text(p.blobs[1])
}

export function decodeRenameat (p: RawPayload, args: Args): void {
  args.olddirfd = p.i32(0)
  args.oldpath = text(p.blobs[0])
  args.newdirfd = p.i32(1)
  args.newpath = text(p.blobs[1])
  args.flags = p.nnum > 2 ? p.u32(2) : 0
}

export function decodeChmod (p: RawPayload, args: Args): void {
  args.filename = text(p.blobs[0])
  args.mode = p.u32(0)
}

export function decodeFchmodat (p: RawPayload, args: Args): void {
  args.dirfd = p.i32(0)
  args.filename = text(p.blobs[0])
  args.mode = p.u32(1)
}

export function decodeFchmod (p: RawPayload, args: Args): void {
  args.fd = p.i32(0)
  args.mode = p.u32(1)
}

export function decodeMount (p: RawPayload, args: Args): void {
  args.flags = p.u32(0)
  args.dev = text(p.blobs[0])
  args.dir = text(p.blobs[1])
  args.type = text(p.blobs[2])
}

export function decodeCreat (p: RawPayload, args: Args): void {
  withFd(p, args)
  args.name = text(p.blobs[0])
  args.flags = O_CREAT_WRONLY_TRUNC
  args.mode = p.u32(0)
}

export function decodeSymlink (p: RawPayload, args: Args): void {
  args.target = text(p.blobs[0])
  args.linkpath = text(p.blobs[1])
}

export function decodeSymlinkat (p: RawPayload, args: Args): void {
  args.target = text(p.blobs[0])
  args.linkdirfd = p.i32(0)
  args.linkpath = text(p.blobs[1])
}

export function decodeLinkat (p: RawPayload, args: Args): void {
  args.olddir = p.i32(0)
  args.oldpath = text(p.blobs[0])
  args.newdir = p.i32(1)
  args.newpath = text(p.blobs[1])
  args.flags = p.u32(2)
}

export function decodeMkdir (p: RawPayload, args: Args): void {
  args.path = text(p.blobs[0])
  args.mode = p.u32(0)
}

export function decodeMkdirat (p: RawPayload, args: Args): void {
  args.dirfd = p.i32(0)
  args.path = text(p.blobs[0])
  args.mode = p.u32(1)
}
