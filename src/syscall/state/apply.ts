// State transitions: how each record changes the process and fd tables. Runs once per record,
// before any rule sees the event, and returns the process/fd the event should show (captured
// before a close or exit removes them).
import { posix } from 'node:path'
import type { SyscallRecord } from '../record.ts'
import { CLONE_THREAD, MFD_CLOEXEC, O_CLOEXEC_BIT, O_DIRECTORY, O_RDWR } from './flag-bits.ts'
import { argBig, argList, argNum, argStr, pick } from './args.ts'
import { socketFd, type FdInfo, type FdKind } from './fd-info.ts'
import { fromSnapshot, type ExeFacts, type ProcessInfo, type ProcessTable } from './process-table.ts'
import { endpointsFromArgs, toTuple, AF_INET, AF_INET6, AF_UNIX, protoName } from './sockets.ts'
import type { ContainerRef } from './container-id.ts'

export interface Applied { proc: ProcessInfo | undefined, fd?: FdInfo | undefined }

/** What the transitions need from the enricher besides the process table. */
export interface ApplyEnv {
  containerOf(leaf: string): ContainerRef | undefined
  /** an fd we have no record of, from /proc/<pid>/fd (opened before the probe attached) */
  lookupFd(proc: ProcessInfo, fd: number): FdInfo | undefined
}

const AT_FDCWD = -100
const EINPROGRESS = 115

/** Absolute path of `path` as the process sees it: relative to dirfd's path or the cwd. */
export function resolvePath (path: string, base: string | undefined): string {
  if (path === '') return path
  if (path.startsWith('/')) return posix.normalize(path)
  if (base === undefined || !base.startsWith('/')) return path
  return posix.normalize(posix.join(base, path))
}

function baseDir (proc: ProcessInfo | undefined, dirfd: number | undefined): string | undefined {
  if (proc === undefined) return undefined
  if (dirfd === undefined || dirfd === AT_FDCWD) return proc.cwd
  const fd = proc.fds.get(dirfd)
  return fd !== undefined && (fd.kind === 'directory' || fd.kind === 'file') ? fd.name : undefined
}

function withProc (procs: ProcessTable, p: ProcessInfo, changes: Partial<ProcessInfo>): ProcessInfo {
  const next: ProcessInfo = { ...p, ...changes, exited: false }
  procs.set(next)
  return next
}

/** The new executable's facts, when the record carries them (successful exec, probe ABI ≥ 1). */
export function exeFactsOf (a: SyscallRecord['args']): ExeFacts | undefined {
  const ino = argNum(a.exe_ino)
  if (ino === undefined) return undefined
  return {
    ino,
    mode: argNum(a.exe_mode) ?? 0,
    uid: argNum(a.exe_uid) ?? -1,
    gid: argNum(a.exe_gid) ?? -1,
    nlink: argNum(a.exe_nlink) ?? 0,
    writable: argNum(a.exe_writable) === 1,
    upperLayer: argNum(a.exe_upper_layer) === 1,
    fromMemfd: argNum(a.exe_from_memfd) === 1,
    ctime: argBig(a.exe_ino_ctime),
    mtime: argBig(a.exe_ino_mtime)
  }
}

/**
 * The terminal and session identity the probe read in-kernel (exec, new child): tty, loginuid,
 * sid, pgid, vpid, vpgid, the pid namespace's start. Only what the record carries, so a record
 * without them changes nothing.
 */
export type TaskFacts = { -readonly [K in 'tty' | 'loginuid' | 'sid' | 'pgid' | 'vpid' | 'vpgid' | 'pidnsStartTs']?: ProcessInfo[K] }

export function taskFactsOf (a: SyscallRecord['args']): TaskFacts {
  const out: TaskFacts = {}
  const tty = argNum(a.tty)
  if (tty !== undefined) out.tty = tty
  const loginuid = argNum(a.loginuid)
  // the decoder already reads an unset loginuid (4294967295) as -1
  if (loginuid !== undefined) out.loginuid = loginuid
  const sid = argNum(a.sid)
  if (sid !== undefined && sid > 0) out.sid = sid
  const hostPgid = argNum(a.host_pgid)
  if (hostPgid !== undefined && hostPgid > 0) out.pgid = hostPgid
  const vpid = argNum(a.vpid)
  if (vpid !== undefined && vpid > 0) out.vpid = vpid
  const vpgid = argNum(a.pgid)
  if (vpgid !== undefined && hostPgid !== undefined) out.vpgid = vpgid
  const pidnsStart = argBig(a.pidns_init_start_ts)
  if (pidnsStart !== undefined && pidnsStart > 0n) out.pidnsStartTs = pidnsStart
  return out
}

function differs (p: ProcessInfo, facts: Partial<ProcessInfo>): boolean {
  for (const k of Object.keys(facts) as Array<keyof ProcessInfo>) if (p[k] !== facts[k]) return true
  return false
}

function applyExec (procs: ProcessTable, rec: SyscallRecord, containerOf: (leaf: string) => ContainerRef | undefined): ProcessInfo | undefined {
  const a = rec.args
  const argv = rec.argv
  const exeArg = argStr(a.exe)
  const rest = argList(a.args)
  const seen = procs.peek(rec.pid)
  // an exited entry is a process that had this pid before: nothing of it carries over
  let old = seen?.exited === true ? undefined : seen
  // the kernel's own name for a memfd executable is final; a filename is resolved the way exec
  // resolved it, against the cwd it had before the call
  const kernelPath = argStr(pick(a, 'exepath', 'trusted_exepath'))
  const given = argStr(pick(a, 'filename', 'pathname'))
  const exepath = kernelPath !== undefined && kernelPath !== ''
    ? kernelPath
    : given === undefined ? undefined : resolvePath(given, old?.cwd ?? procs.peek(rec.ppid)?.cwd)
  if (argv === undefined && exeArg === undefined && rest === undefined) {
    // nothing in the record: the process is alive right after a successful exec, so ask /proc
    const fresh = procs.refresh(rec.pid)
    if (fresh !== undefined && fresh !== old) return fresh
  }
  old ??= procs.get(rec.ppid) // never seen: inherit what the parent had (cwd, container, tty…)
  const full = argv ?? (exeArg !== undefined ? [exeArg, ...(rest ?? [])] : undefined)
  const comm = rec.comm ?? (exepath !== undefined ? posix.basename(exepath).slice(0, 15) : undefined)
  const fds = new Map<number, FdInfo>()
  for (const [n, fd] of old?.fds ?? []) if (fd.openFlags === undefined || (fd.openFlags & O_CLOEXEC_BIT) === 0) fds.set(n, fd)
  const base = old ?? fromSnapshot({
    pid: rec.pid, ppid: rec.ppid, comm: comm ?? '', argv: full ?? [], exepath: exepath ?? '', cwd: undefined,
    uid: rec.uid, gid: rec.gid, loginuid: undefined, tty: 0, pgid: rec.pid, sid: rec.pid, vpid: rec.pid,
    startTs: rec.ts, container: undefined, caps: undefined
  })
  const cwd = argStr(a.cwd)
  return withProc(procs, base, {
    pid: rec.pid,
    ppid: rec.ppid !== 0 ? rec.ppid : base.ppid,
    name: comm ?? base.name,
    exe: full?.[0] ?? base.exe,
    args: full !== undefined ? full.slice(1) : base.args,
    exepath: exepath ?? base.exepath,
    cwd: cwd !== undefined && cwd !== '' ? cwd : base.cwd,
    uid: rec.uid,
    gid: rec.gid,
    env: argList(a.env) ?? base.env,
    tty: base.tty,
    loginuid: base.loginuid,
    ...taskFactsOf(a),
    container: rec.containerId !== undefined ? containerOf(rec.containerId) : base.container,
    // a new executable: the old one's facts no longer apply even when this record has none
    exeFacts: exeFactsOf(a),
    fds
  })
}

function newChild (procs: ProcessTable, parent: ProcessInfo | undefined, rec: SyscallRecord, childPid: number, parentPid: number, ts: bigint): ProcessInfo {
  const base = parent ?? procs.refresh(childPid)
  const child: ProcessInfo = base !== undefined
    ? { ...base, pid: childPid, ppid: parentPid, vpid: childPid === base.pid ? base.vpid : undefined, startTs: ts, fds: new Map(base.fds), exited: false }
    : fromSnapshot({
      pid: childPid, ppid: parentPid, comm: rec.comm ?? '', argv: rec.argv ?? [], exepath: '', cwd: argStr(rec.args.cwd),
      uid: rec.uid, gid: rec.gid, loginuid: undefined, tty: 0, pgid: parentPid, sid: parentPid, vpid: childPid, startTs: ts, container: undefined, caps: undefined
    })
  procs.set(child)
  return child
}

function applyClone (procs: ProcessTable, rec: SyscallRecord): ProcessInfo | undefined {
  const res = rec.res ?? -1
  const flags = argNum(rec.args.flags)
  const isThread = flags !== undefined && rec.type !== 'fork' && rec.type !== 'vfork' && (flags & CLONE_THREAD) !== 0
  if (res === 0) {
    // child side: a new thread group leader we have not yet seen (or a reused pid)
    if (rec.tid === rec.pid) {
      const known = procs.peek(rec.pid)
      const child = known === undefined || known.exited || known.ppid !== rec.ppid ? newChild(procs, procs.get(rec.ppid), rec, rec.pid, rec.ppid, rec.ts) : known
      // the child's own record knows its terminal and session better than a copy of the parent's
      const facts = taskFactsOf(rec.args)
      return differs(child, facts) ? withProc(procs, child, facts) : child
    }
    return procs.live(rec.pid)
  }
  const self = procs.live(rec.pid)
  if (res > 0 && !isThread && (flags !== undefined || rec.type === 'fork' || rec.type === 'vfork')) {
    const known = procs.peek(res)
    if (known === undefined || known.exited || known.ppid !== rec.pid) newChild(procs, self, rec, res, rec.pid, rec.ts)
  }
  return self
}

function fileFd (num: number, path: string, raw: string, flags: number | undefined): FdInfo {
  const kind: FdKind = flags !== undefined && (flags & O_DIRECTORY) !== 0 ? 'directory' : 'file'
  return { num, kind, name: path, nameRaw: raw, openFlags: flags, connected: false, nameChanged: false }
}

function applyOpen (procs: ProcessTable, proc: ProcessInfo | undefined, rec: SyscallRecord): FdInfo | undefined {
  const a = rec.args
  const raw = argStr(pick(a, 'name', 'pathname', 'path', 'filename')) ?? ''
  const dirfd = rec.type === 'open' || rec.type === 'creat' ? AT_FDCWD : argNum(a.dirfd)
  const flags = argNum(a.flags) ?? (rec.type === 'creat' ? 0o1101 : undefined)
  const res = rec.res ?? -1
  const fd = fileFd(res >= 0 ? res : -1, resolvePath(raw, baseDir(proc, dirfd)), raw, flags)
  if (res >= 0 && proc !== undefined) procs.setFd(proc, fd)
  return fd
}

function socketKind (domain: number | undefined): FdKind {
  if (domain === AF_INET) return 'ipv4'
  if (domain === AF_INET6) return 'ipv6'
  if (domain === AF_UNIX) return 'unix'
  if (domain === 16) return 'netlink'
  return 'unknown'
}

function isUnix (family: unknown): boolean { return family === 'unix' || family === AF_UNIX }

function applySocketCall (procs: ProcessTable, proc: ProcessInfo | undefined, rec: SyscallRecord, env: ApplyEnv): FdInfo | undefined {
  const res = rec.res ?? -1
  const a = rec.args
  const accepting = rec.type === 'accept' || rec.type === 'accept4'
  const fdNum = accepting ? res : argNum(a.fd)
  if (fdNum === undefined || fdNum < 0) return undefined
  const prev = proc === undefined ? undefined : proc.fds.get(fdNum) ?? (accepting ? undefined : env.lookupFd(proc, fdNum))
  if (isUnix(a.family)) {
    const path = argStr(a.addr) ?? prev?.name ?? ''
    const fd: FdInfo = { num: fdNum, kind: 'unix', name: path, nameRaw: path, connected: rec.type === 'connect' && res >= 0, nameChanged: prev !== undefined && prev.name !== path }
    if ((res >= 0 || accepting) && proc !== undefined) procs.setFd(proc, fd)
    return fd
  }
  const ep = endpointsFromArgs(a, rec.type !== 'bind')
  if (ep === undefined) return prev
  const ok = res >= 0 || res === -EINPROGRESS
  let next: FdInfo
  switch (rec.type) {
    case 'connect':
      next = socketFd(fdNum, toTuple(ep, false), ok, false)
      break
    case 'accept': case 'accept4':
      next = socketFd(fdNum, toTuple(ep, true), true, false)
      break
    case 'bind': case 'listen': {
      const t = toTuple(ep, true)
      next = { ...socketFd(fdNum, t, false, false), name: prev?.connected === true ? prev.name : `${t.sip}:${t.sport}` }
      break
    }
    default: { // sendto, sendmsg, recvfrom, recvmsg
      if (prev?.connected === true && prev.tuple !== undefined) return prev
      const t = toTuple(ep, rec.type === 'recvfrom' || rec.type === 'recvmsg')
      // no sockaddr yet a kernel peer: the socket was connected before we saw it
      const connected = a.addr === undefined && ep.remote !== undefined && ep.remote.port !== 0
      const fresh = socketFd(fdNum, t, connected, false)
      next = { ...fresh, nameChanged: !connected && (prev === undefined || prev.name !== fresh.name) }
    }
  }
  if (next.tuple !== undefined && next.tuple.l4proto === 'unknown' && prev?.tuple !== undefined) {
    next = { ...next, tuple: { ...next.tuple, l4proto: prev.tuple.l4proto } }
  }
  if ((ok || next.connected) && proc !== undefined) procs.setFd(proc, next)
  return next
}

/** Apply one record to the tables; returns what the event shows. */
export function applyRecord (procs: ProcessTable, rec: SyscallRecord, env: ApplyEnv): Applied {
  // procexit has no exit half: the probe sends it as an enter event
  if (rec.type === 'procexit') {
    const p = procs.get(rec.pid)
    if (rec.tid === rec.pid) procs.exit(rec.pid)
    return { proc: p }
  }
  if (rec.dir === '>') return { proc: procs.live(rec.pid) }
  const res = rec.res ?? 0
  switch (rec.type) {
    case 'execve': case 'execveat':
      return { proc: res === 0 ? applyExec(procs, rec, env.containerOf) : procs.live(rec.pid) }
    case 'clone': case 'clone3': case 'fork': case 'vfork':
      return { proc: applyClone(procs, rec) }
    case 'open': case 'openat': case 'openat2': case 'creat': {
      const proc = procs.live(rec.pid)
      return { proc, fd: applyOpen(procs, proc, rec) }
    }
    case 'connect': case 'accept': case 'accept4': case 'bind': case 'listen':
    case 'sendto': case 'sendmsg': case 'recvfrom': case 'recvmsg': {
      const proc = procs.live(rec.pid)
      return { proc, fd: applySocketCall(procs, proc, rec, env) }
    }
    case 'socket': {
      const proc = procs.live(rec.pid)
      if (res < 0 || proc === undefined) return { proc }
      const type = (argNum(rec.args.type) ?? 0) & 0xf
      const kind = socketKind(argNum(rec.args.domain))
      const fd: FdInfo = { num: res, kind, name: '', nameRaw: '', connected: false, nameChanged: false }
      if (kind === 'ipv4' || kind === 'ipv6') {
        const fam = kind === 'ipv4' ? 4 : 6
        const any = fam === 4 ? '0.0.0.0' : '::'
        fd.tuple = { family: fam, l4proto: type === 1 ? 'tcp' : type === 2 ? 'udp' : type === 3 ? 'raw' : protoName(argNum(rec.args.proto)), cip: any, cport: 0, sip: any, sport: 0, isServer: false }
      }
      procs.setFd(proc, fd)
      return { proc, fd }
    }
    case 'close': {
      const proc = procs.live(rec.pid)
      const n = argNum(rec.args.fd)
      if (proc === undefined || n === undefined) return { proc }
      // no /proc lookup for an fd we never saw: by the time the record arrives the number is
      // free or reused by another file, and pipes, socketpairs and eventfds (kinds the probe
      // does not record) closing at a high rate made this a /proc read per close
      const fd = proc.fds.get(n)
      if (res === 0) proc.fds.delete(n)
      return { proc, fd }
    }
    case 'dup': case 'dup2': case 'dup3': {
      const proc = procs.live(rec.pid)
      const old = argNum(pick(rec.args, 'oldfd', 'fd'))
      if (proc === undefined || old === undefined || res < 0) return { proc }
      const src = proc.fds.get(old)
      if (src === undefined) return { proc }
      // the new descriptor never inherits close-on-exec; dup3 may set it explicitly
      const cloexec = rec.type === 'dup3' && ((argNum(rec.args.flags) ?? 0) & O_CLOEXEC_BIT) !== 0 ? O_CLOEXEC_BIT : 0
      const openFlags = src.openFlags === undefined && cloexec === 0 ? undefined : ((src.openFlags ?? 0) & ~O_CLOEXEC_BIT) | cloexec
      const fd: FdInfo = { ...src, num: res, openFlags }
      procs.setFd(proc, fd)
      return { proc, fd }
    }
    case 'memfd_create': {
      const proc = procs.live(rec.pid)
      if (proc === undefined || res < 0) return { proc }
      const name = `memfd:${argStr(rec.args.name) ?? ''}`
      // a memfd is open read-write; MFD_CLOEXEC (a memfd_create flag, not an open flag) is its O_CLOEXEC
      const openFlags = ((argNum(rec.args.flags) ?? 0) & MFD_CLOEXEC) !== 0 ? O_RDWR | O_CLOEXEC_BIT : O_RDWR
      const fd: FdInfo = { num: res, kind: 'memfd', name, nameRaw: name, openFlags, connected: false, nameChanged: false }
      procs.setFd(proc, fd)
      return { proc, fd }
    }
    // recorded whatever the rules ask for (STATE_KINDS): without them a process that changes
    // directory without exec keeps a stale cwd, and its relative paths resolve against it. As in
    // Falco, the new cwd is the given path taken lexically from the old one (fchdir: the fd's name)
    case 'chdir': {
      const proc = procs.live(rec.pid)
      if (proc === undefined || res !== 0) return { proc }
      const target = resolvePath(argStr(pick(rec.args, 'path', 'name')) ?? '', proc.cwd)
      return { proc: target === '' ? proc : withProc(procs, proc, { cwd: target }) }
    }
    case 'fchdir': {
      // the directory's fd is the event's (fd.name, fd.type…), as Falco's fchdir uses its fd,
      // also when the call failed (ENOTDIR: a file's fd)
      const proc = procs.live(rec.pid)
      const fd = proc?.fds.get(argNum(rec.args.fd) ?? -1)
      if (proc === undefined || res !== 0 || fd === undefined || fd.name === '') return { proc, fd }
      return { proc: withProc(procs, proc, { cwd: fd.name }), fd }
    }
    case 'setsid': {
      const proc = procs.live(rec.pid)
      if (proc === undefined || res < 0) return { proc }
      return { proc: updated(procs, proc, afterSetsid(proc, rec)) }
    }
    case 'setpgid': {
      const proc = procs.live(rec.pid)
      if (proc === undefined || res !== 0) return { proc }
      return { proc: applySetpgid(procs, proc, rec) }
    }
    default:
      return { proc: procs.live(rec.pid) }
  }
}

// setsid and setpgid are recorded whatever the rules ask for (STATE_KINDS): a daemon that forks
// and calls setsid, or a shell that puts a job in its own group, keeps proc.sid / proc.vpgid /
// proc.is_*_leader of its last exec or clone otherwise. The kernel's values after the call come
// with the record (rec.session); without them they follow from the call's meaning.

type SessionChange = Pick<ProcessInfo, 'sid' | 'pgid' | 'vpgid'> & { vpid?: number | undefined }

function fromSession (s: NonNullable<SyscallRecord['session']>): SessionChange {
  return { sid: s.sid, pgid: s.pgid, vpgid: s.vpgid, ...(s.vpid > 0 ? { vpid: s.vpid } : {}) }
}

/** the entry with `facts`, replaced only when they change something */
function updated (procs: ProcessTable, p: ProcessInfo, facts: Partial<ProcessInfo>): ProcessInfo {
  return differs(p, facts) ? withProc(procs, p, facts) : p
}

/** a new session led by the caller, in a new group it also leads; res is its number in its namespace */
function afterSetsid (proc: ProcessInfo, rec: SyscallRecord): SessionChange {
  if (rec.session !== undefined) return fromSession(rec.session)
  return { sid: proc.pid, pgid: proc.pid, vpgid: rec.res ?? proc.vpid }
}

/**
 * setpgid(pid, pgid): pid 0 (or the caller's own number) moves the caller, which the record's
 * session already shows; another pid is one of the caller's children (the kernel refuses any
 * other), moved to the group pgid names in the caller's pid namespace (0: its own). Falco leaves
 * the table as it was; a production tool shows the group the process is in.
 */
function applySetpgid (procs: ProcessTable, caller: ProcessInfo, rec: SyscallRecord): ProcessInfo {
  const pidArg = argNum(rec.args.pid) ?? 0
  const pgidArg = argNum(rec.args.pgid) ?? 0
  const s = rec.session
  const callerVpid = s !== undefined && s.vpid > 0 ? s.vpid : caller.vpid ?? caller.pid
  if (pidArg === 0 || pidArg === callerVpid) {
    if (s !== undefined) return updated(procs, caller, fromSession(s))
    const vpgid = pgidArg === 0 ? callerVpid : pgidArg
    return updated(procs, caller, { vpgid, pgid: hostPgid(procs, caller, vpgid, callerVpid) })
  }
  // numbers in the host's pid namespace are host pids: no scan needed there
  const rootNs = callerVpid === caller.pid
  const near = rootNs ? procs.live(pidArg) : procs.byVpidNear(caller.pid, pidArg)
  const target = near !== undefined && !near.exited && near.ppid === caller.pid ? near : undefined
  // the caller's own group as the kernel has it (the call did not change it)
  const now = s === undefined ? caller : updated(procs, caller, fromSession(s))
  if (target === undefined) return now
  const vpgid = pgidArg === 0 ? pidArg : pgidArg
  const pgid = vpgid === pidArg ? target.pid : hostPgid(procs, now, vpgid, callerVpid)
  updated(procs, target, { vpgid, pgid })
  return now
}

/** The host number of the group a caller's-namespace group number names, when the table knows it. */
function hostPgid (procs: ProcessTable, caller: ProcessInfo, vpgid: number, callerVpid: number): number | undefined {
  if (vpgid === callerVpid) return caller.pid
  if (caller.vpgid === vpgid && caller.pgid !== undefined) return caller.pgid
  if (callerVpid === caller.pid) return vpgid
  // a job's group led by another of the caller's children
  return procs.byVpidNear(caller.pid, vpgid)?.pid
}
