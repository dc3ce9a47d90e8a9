// One small decoder per record kind: turns a record's numeric slots and blobs into the Falco
// argument names listed in record.ts. The registry is keyed by the kind id from abi.ts.
import { EXE, KIND_IDS, TASK, type KindName } from './abi.ts'
import { addSockaddr, addTuple } from './decode-net.ts'
import type { SyscallRecord } from './record.ts'
import { cwdText, strings, text } from './decode-text.ts'
import {
  decodeChmod, decodeCreat, decodeFchmod, decodeFchmodat, decodeLinkat, decodeMkdir, decodeMkdirat,
  decodeMount, decodeOpen, decodeOpenat, decodeOpenat2, decodeRename, decodeRenameat, decodeSymlink,
  decodeSymlinkat, decodeUnlink, decodeUnlinkat, withFd
} from './decode-kinds-fs.ts'
import type { RawPayload } from './raw-payload.ts'

export { cwdText, strings, text }
export type { RawPayload }

type Args = SyscallRecord['args']

export type KindDecoder = (p: RawPayload, args: Args, rec: SyscallRecord) => void

function setProcess (p: RawPayload, args: Args, rec: SyscallRecord, first: number): void {
  const argv = strings(p.blobs[first])
  if (p.blobs[first] !== undefined) {
    rec.argv = argv
    args.exe = argv[0] ?? ''
    args.args = argv.slice(1).join(' ')
  }
  const cwd = cwdText(p.blobs[first + 1])
  if (cwd !== undefined) args.cwd = cwd
}

const EXE_WRITABLE = 1
const EXE_UPPER_LAYER = 2
const EXE_FROM_MEMFD = 4
const EXE_LOWER_LAYER = 8

/** exe_* args from an ln_exe_info blob; exe_writable follows owner/group/other write bits (root: always) */
function setExeInfo (buf: Buffer | undefined, args: Args, rec: SyscallRecord): void {
  if (buf === undefined || buf.length < EXE.size) return
  const mode = buf.readUInt32LE(EXE.mode)
  const uid = buf.readUInt32LE(EXE.uid)
  const gid = buf.readUInt32LE(EXE.gid)
  args.exe_ino = Number(buf.readBigUInt64LE(EXE.ino))
  // epoch ns as the kernel keeps them (Falco's exe_ino_ctime/_mtime); 0 (unknown) is left out
  setNonZero(args, 'exe_ino_ctime', buf.readBigUInt64LE(EXE.ctime))
  setNonZero(args, 'exe_ino_mtime', buf.readBigUInt64LE(EXE.mtime))
  args.exe_mode = mode
  args.exe_uid = uid
  args.exe_gid = gid
  args.exe_nlink = buf.readUInt32LE(EXE.nlink)
  args.exe_upper_layer = buf[EXE.upper] === 1 ? 1 : 0
  args.exe_from_memfd = buf[EXE.memfd] === 1 ? 1 : 0
  const writable = rec.uid === 0 || (mode & 0o002) !== 0 ||
    (uid === rec.uid && (mode & 0o200) !== 0) || (gid === rec.gid && (mode & 0o020) !== 0)
  args.exe_writable = writable ? 1 : 0
  // Falco's execve exit `flags` (PPM_EXE_*): what evt.arg.flags shows, e.g. exe_flags=EXE_WRITABLE
  args.flags = (writable ? EXE_WRITABLE : 0) | (buf[EXE.upper] === 1 ? EXE_UPPER_LAYER : 0) |
    (buf[EXE.memfd] === 1 ? EXE_FROM_MEMFD : 0) | (buf[EXE.lower] === 1 ? EXE_LOWER_LAYER : 0)
}

function setNonZero (args: Args, key: string, v: bigint): void {
  if (v !== 0n) args[key] = v
}

const UNSET_LOGINUID = 0xffffffff

/**
 * tty, loginuid (-1 unset), sid, pgid (in the process's pid namespace, as Falco's execve/clone
 * `pgid`), host_pgid, vpid and pidns_init_start_ts from an ln_task_info blob.
 */
function setTaskInfo (buf: Buffer | undefined, args: Args, clockOffset: bigint): void {
  if (buf === undefined || buf.length < TASK.size) return
  // boot-time in the kernel, epoch ns here (Falco's pidns_init_start_ts)
  const pidnsStart = buf.readBigUInt64LE(TASK.pidnsStart)
  if (pidnsStart !== 0n) args.pidns_init_start_ts = pidnsStart + clockOffset
  const login = buf.readUInt32LE(TASK.loginuid)
  args.tty = buf.readUInt32LE(TASK.tty)
  args.loginuid = login === UNSET_LOGINUID ? -1 : login
  args.sid = buf.readUInt32LE(TASK.sid)
  args.pgid = buf.readUInt32LE(TASK.vpgid)
  args.host_pgid = buf.readUInt32LE(TASK.pgid)
  args.vpid = buf.readUInt32LE(TASK.vpid)
}

function decodeExec (p: RawPayload, args: Args, rec: SyscallRecord): void {
  args.filename = text(p.blobs[0])
  if (p.dir === '<' && p.res === 0) {
    setProcess(p, args, rec, 1)
    setExeInfo(p.blobs[3], args, rec)
    setTaskInfo(p.blobs[4], args, p.clockOffset)
    // a memfd executable: its own name is the path (the exec was given an fd)
    const memfdName = p.blobs[5] === undefined ? '' : text(p.blobs[5])
    if (memfdName !== '') args.exepath = memfdName
    // the file the kernel runs, symlinks resolved (Falco's trusted_exepath); absent if not whole
    const exe = p.blobs[6]
    if (exe !== undefined && exe.length > 0) args.trusted_exepath = cwdText(exe)
  }
}

function decodeExecveat (p: RawPayload, args: Args, rec: SyscallRecord): void {
  if (p.dir === '>') {
    args.dirfd = p.i32(0)
    args.flags = p.u32(1)
  }
  decodeExec(p, args, rec)
}

function decodeClone (p: RawPayload, args: Args, rec: SyscallRecord): void {
  if (p.nnum > 0) args.flags = Number(p.u64(0) & 0xffffffffn)
  if (p.dir === '<' && p.res === 0) {
    setProcess(p, args, rec, 0)
    setTaskInfo(p.blobs[2], args, p.clockOffset)
  }
}

function decodeProcexit (p: RawPayload, args: Args): void {
  const status = p.u32(0)
  args.status = status
  args.ret = (status >> 8) & 0xff
  args.sig = status & 0x7f
  args.core = (status & 0x80) !== 0 ? 1 : 0
}

function decodeConnect (p: RawPayload, args: Args): void {
  args.fd = p.i32(0)
  addTuple(args, p.blobs[0], false)
  addSockaddr(args, p.blobs[1], 'remote')
}

function decodeBind (p: RawPayload, args: Args): void {
  args.fd = p.i32(0)
  addTuple(args, p.blobs[0], false)
  addSockaddr(args, p.blobs[1], 'local')
}

function decodeAccept (p: RawPayload, args: Args): void {
  if (p.dir === '<') args.fd = p.res
  if (p.nnum > 1) args.flags = p.u32(1)
  addTuple(args, p.blobs[0], true)
}

function decodeListen (p: RawPayload, args: Args): void {
  args.fd = p.i32(0)
  args.backlog = p.i32(1)
  addTuple(args, p.blobs[0], false)
}

function decodeSend (p: RawPayload, args: Args): void {
  args.fd = p.i32(0)
  if (p.nnum > 1) args.size = p.u32(1)
  addTuple(args, p.blobs[0], false)
  addSockaddr(args, p.blobs[1], 'remote')
}

function decodeRecv (p: RawPayload, args: Args): void {
  args.fd = p.i32(0)
  if (p.nnum > 1) args.size = p.u32(1)
  addTuple(args, p.blobs[0], false)
  addSockaddr(args, p.blobs[1], 'remote')
}

function decodeSetuid (p: RawPayload, args: Args): void { args.uid = p.u32(0) }
function decodeSetgid (p: RawPayload, args: Args): void { args.gid = p.u32(0) }

function decodeSetresuid (p: RawPayload, args: Args): void {
  args.ruid = p.u32(0)
  args.euid = p.u32(1)
  args.suid = p.u32(2)
}

function decodeSetresgid (p: RawPayload, args: Args): void {
  args.rgid = p.u32(0)
  args.egid = p.u32(1)
  args.sgid = p.u32(2)
}

function decodePtrace (p: RawPayload, args: Args): void {
  args.request = p.u32(0)
  args.pid = p.i32(1)
  args.addr = p.u64(2)
  args.data = p.u64(3)
}

function decodeClose (p: RawPayload, args: Args): void { args.fd = p.i32(0) }

function decodeDup (p: RawPayload, args: Args): void {
  args.oldfd = p.i32(0)
  if (p.nnum > 1) args.newfd = p.i32(1)
  if (p.nnum > 2) args.flags = p.u32(2)
}

function decodeSocket (p: RawPayload, args: Args): void {
  withFd(p, args)
  args.domain = p.u32(0)
  args.type = p.u32(1)
  args.proto = p.u32(2)
}

function decodeUnshare (p: RawPayload, args: Args): void { args.flags = p.u32(0) }

function decodeSetns (p: RawPayload, args: Args): void {
  args.fd = p.i32(0)
  args.nstype = p.u32(1)
}

function decodeMemfd (p: RawPayload, args: Args): void {
  withFd(p, args)
  args.name = text(p.blobs[0])
  args.flags = p.u32(0)
}

function decodeInitModule (p: RawPayload, args: Args): void {
  args.length = p.u32(0)
  args.uargs = text(p.blobs[0])
}

function decodeUserfaultfd (p: RawPayload, args: Args): void {
  withFd(p, args)
  args.flags = p.u32(0)
}

function decodeBpf (p: RawPayload, args: Args): void {
  args.cmd = p.i32(0)
  if (p.dir === '<' && p.res >= 0) args.fd = p.res
}

/** chdir: the path as the process gave it (resolved against the old cwd by the process table) */
function decodeChdir (p: RawPayload, args: Args): void { args.path = text(p.blobs[0]) }

function decodeFchdir (p: RawPayload, args: Args): void { args.fd = p.i32(0) }

/** the caller's session and group after a successful setsid/setpgid (ln_task_info blob) */
function setSession (buf: Buffer | undefined, rec: SyscallRecord): void {
  if (buf === undefined || buf.length < TASK.size) return
  rec.session = {
    sid: buf.readUInt32LE(TASK.sid),
    pgid: buf.readUInt32LE(TASK.pgid),
    vpid: buf.readUInt32LE(TASK.vpid),
    vpgid: buf.readUInt32LE(TASK.vpgid)
  }
}

/** setsid: Falco's only argument is res (the new session id), the record's */
function decodeSetsid (p: RawPayload, _args: Args, rec: SyscallRecord): void {
  if (p.dir === '<' && p.res >= 0) setSession(p.blobs[0], rec)
}

/** setpgid: Falco's pid and pgid as given (0: the caller / the target's own pid) */
function decodeSetpgid (p: RawPayload, args: Args, rec: SyscallRecord): void {
  args.pid = p.i32(0)
  args.pgid = p.i32(1)
  if (p.dir === '<' && p.res === 0) setSession(p.blobs[0], rec)
}

function decodeFinitModule (p: RawPayload, args: Args): void {
  args.fd = p.i32(0)
  args.uargs = text(p.blobs[0])
  args.flags = p.u32(1)
}

export interface KindSpec {
  name: KindName
  /** numeric slots the kernel always writes for this kind (fewer means a short record) */
  minNums: number
  decode: KindDecoder
}

const SPECS: Record<KindName, Omit<KindSpec, 'name'>> = {
  execve: { minNums: 0, decode: decodeExec },
  execveat: { minNums: 2, decode: decodeExecveat },
  clone: { minNums: 1, decode: decodeClone },
  clone3: { minNums: 1, decode: decodeClone },
  fork: { minNums: 0, decode: decodeClone },
  vfork: { minNums: 0, decode: decodeClone },
  procexit: { minNums: 1, decode: decodeProcexit },
  connect: { minNums: 1, decode: decodeConnect },
  accept: { minNums: 2, decode: decodeAccept },
  accept4: { minNums: 2, decode: decodeAccept },
  sendto: { minNums: 2, decode: decodeSend },
  sendmsg: { minNums: 1, decode: decodeSend },
  bind: { minNums: 1, decode: decodeBind },
  listen: { minNums: 2, decode: decodeListen },
  open: { minNums: 2, decode: decodeOpen },
  openat: { minNums: 3, decode: decodeOpenat },
  openat2: { minNums: 4, decode: decodeOpenat2 },
  unlink: { minNums: 0, decode: decodeUnlink },
  unlinkat: { minNums: 2, decode: decodeUnlinkat },
  rename: { minNums: 0, decode: decodeRename },
  renameat: { minNums: 2, decode: decodeRenameat },
  renameat2: { minNums: 3, decode: decodeRenameat },
  chmod: { minNums: 1, decode: decodeChmod },
  fchmodat: { minNums: 2, decode: decodeFchmodat },
  fchmod: { minNums: 2, decode: decodeFchmod },
  setuid: { minNums: 1, decode: decodeSetuid },
  setgid: { minNums: 1, decode: decodeSetgid },
  setresuid: { minNums: 3, decode: decodeSetresuid },
  setresgid: { minNums: 3, decode: decodeSetresgid },
  ptrace: { minNums: 4, decode: decodePtrace },
  mount: { minNums: 1, decode: decodeMount },
  close: { minNums: 1, decode: decodeClose },
  creat: { minNums: 1, decode: decodeCreat },
  symlink: { minNums: 0, decode: decodeSymlink },
  symlinkat: { minNums: 1, decode: decodeSymlinkat },
  link: { minNums: 0, decode: decodeRename },
  linkat: { minNums: 3, decode: decodeLinkat },
  mkdir: { minNums: 1, decode: decodeMkdir },
  mkdirat: { minNums: 2, decode: decodeMkdirat },
  rmdir: { minNums: 0, decode: decodeUnlink },
  dup: { minNums: 1, decode: decodeDup },
  dup2: { minNums: 2, decode: decodeDup },
  dup3: { minNums: 3, decode: decodeDup },
  socket: { minNums: 3, decode: decodeSocket },
  unshare: { minNums: 1, decode: decodeUnshare },
  setns: { minNums: 2, decode: decodeSetns },
  memfd_create: { minNums: 1, decode: decodeMemfd },
  init_module: { minNums: 1, decode: decodeInitModule },
  finit_module: { minNums: 2, decode: decodeFinitModule },
  recvfrom: { minNums: 2, decode: decodeRecv },
  recvmsg: { minNums: 1, decode: decodeRecv },
  userfaultfd: { minNums: 1, decode: decodeUserfaultfd },
  bpf: { minNums: 1, decode: decodeBpf },
  chdir: { minNums: 0, decode: decodeChdir },
  fchdir: { minNums: 1, decode: decodeFchdir },
  setsid: { minNums: 0, decode: decodeSetsid },
  setpgid: { minNums: 2, decode: decodeSetpgid }
}

/** kind id → spec */
export const KIND_REGISTRY: ReadonlyMap<number, KindSpec> = new Map(
  (Object.keys(KIND_IDS) as KindName[]).map(function entry (name): [number, KindSpec] {
    return [KIND_IDS[name], { name, ...SPECS[name] }]
  })
)
