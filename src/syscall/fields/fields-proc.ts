// proc.*, thread.*, user.*, group.*: the process, its ancestry and its identity at the event.
import type { ProcessInfo } from '../state/process-table.ts'
import type { Extract, Scalar } from '../../fields/index.ts'
import { capsText } from './render-flags.ts'
import { absentArgField, absentField, argField, field, type Def, type Ev } from './define.ts'

function cmdline (p: ProcessInfo): string {
  return p.args.length === 0 ? p.name : `${p.name} ${p.args.join(' ')}`
}
function exeline (p: ProcessInfo): string {
  return p.args.length === 0 ? p.exe : `${p.exe} ${p.args.join(' ')}`
}

/** A field read from the event's process (absent when the process is unknown). */
function pf (name: string, type: Def['type'], desc: string, get: (p: ProcessInfo, ev: Ev) => ReturnType<Extract<Ev>>): Def {
  return field(name, type, desc, (ev) => {
    const p = ev.proc
    return p === undefined ? undefined : get(p, ev)
  })
}
/** The same read from the parent. */
function parentF (name: string, type: Def['type'], desc: string, get: (p: ProcessInfo) => ReturnType<Extract<Ev>>): Def {
  return field(name, type, desc, (ev) => {
    const p = ev.ancestor(1)
    return p === undefined ? undefined : get(p)
  })
}
/** Real process trees are far shallower; the bound keeps a corrupt (cyclic) table from looping. */
const MAX_ANCESTORS = 256

/**
 * The same read from ancestor N (`proc.aname[2]` = grandparent). The bare form is match-any: in
 * conditions it tests every ancestor up to the root; outputs print the parent.
 */
function ancestorF (name: string, type: Def['type'], desc: string, get: (p: ProcessInfo) => ReturnType<Extract<Ev>>): Def {
  const def = argField(name, type, desc, 'optional', 'index', (arg) => {
    const n = arg === undefined ? 1 : Number(arg)
    return (ev) => {
      const p = ev.ancestor(n)
      return p === undefined ? undefined : get(p)
    }
  })
  return {
    ...def,
    matchAny: true,
    candidates: function everyAncestor (ev) {
      const out: Scalar[] = []
      let p = ev.ancestor(1)
      for (let i = 0; p !== undefined && i < MAX_ANCESTORS; i++) {
        const v = get(p)
        if (v !== undefined) out.push(v as Scalar)
        p = ev.ctx.procs.ancestor(p, 1)
      }
      return out
    }
  }
}

function cwdText (cwd: string | undefined): string | undefined {
  if (cwd === undefined) return undefined
  return cwd.endsWith('/') ? cwd : cwd + '/'
}

function envOf (p: ProcessInfo, key: string | undefined): string | undefined {
  if (p.env === undefined) return undefined
  if (key === undefined) return p.env.join(' ')
  const prefix = key + '='
  const hit = p.env.find((e) => e.startsWith(prefix))
  return hit === undefined ? undefined : hit.slice(prefix.length)
}

function stdFd (n: number, what: 'type' | 'name'): Extract<Ev> {
  return (ev) => {
    const p = ev.proc
    if (p === undefined) return undefined
    const fd = p.fds.get(n) ?? ev.ctx.lookupFd(p, n)
    if (fd === undefined) return undefined
    if (what === 'name') return fd.name === '' ? fd.nameRaw : fd.name
    return fd.kind === 'unknown' ? undefined : fd.kind
  }
}

function durationSinceStart (ev: Ev, p: ProcessInfo | undefined): bigint | undefined {
  return p?.startTs === undefined ? undefined : ev.rec.ts - p.startTs
}

/**
 * Falco's clone_ts − exe ctime: how long after the executable's last status change the process
 * started. Absent as in libsinsp when it is 0, and when the file changed after the process started
 * (libsinsp's unsigned difference wraps around there; a wrapped value is no duration).
 */
function ctimeToProcStart (p: ProcessInfo): bigint | undefined {
  const ctime = p.exeFacts?.ctime
  if (ctime === undefined || p.startTs === undefined) return undefined
  const d = p.startTs - ctime
  return d > 0n ? d : undefined
}

/** libsinsp: exe ctime − pid namespace start, only when the namespace started first */
function ctimeAfterPidnsStart (p: ProcessInfo): bigint | undefined {
  const ctime = p.exeFacts?.ctime
  const ns = p.pidnsStartTs
  return ctime === undefined || ns === undefined || ctime <= ns ? undefined : ctime - ns
}

export const procFields: readonly Def[] = [
  pf('proc.pid', 'int', 'process id (thread group id)', (p) => p.pid),
  pf('proc.exe', 'string', 'first command-line argument (argv[0])', (p) => p.exe),
  pf('proc.name', 'string', 'process name (comm, at most 15 characters)', (p) => p.name),
  pf('proc.args', 'string', 'command-line arguments after argv[0], space-separated', (p) => p.args.join(' ')),
  pf('proc.cmdline', 'string', 'proc.name followed by proc.args', (p) => cmdline(p)),
  pf('proc.exeline', 'string', 'proc.exe followed by proc.args', (p) => exeline(p)),
  pf('proc.cmdnargs', 'int', 'number of command-line arguments', (p) => p.args.length),
  pf('proc.cmdlenargs', 'int', 'total length of the command-line arguments', (p) => p.args.reduce((n, a) => n + a.length, 0)),
  argField('proc.env', 'string', 'environment (from exec records), or one variable: proc.env[HOME]', 'optional', 'key', (arg) => (ev) => {
    const p = ev.proc
    return p === undefined ? undefined : envOf(p, arg)
  }),
  argField('proc.aenv', 'string', 'environment of an ancestor', 'optional', 'index', (arg) => {
    const n = arg === undefined ? 1 : Number(arg)
    return (ev) => {
      const p = ev.ancestor(n)
      return p === undefined ? undefined : envOf(p, undefined)
    }
  }),
  pf('proc.exepath', 'string', 'full path of the executable, symlinks resolved by the kernel (memfd:<name> for a memfd)', (p) => p.exepath === '' ? undefined : p.exepath),
  pf('proc.cwd', 'string', 'current working directory, with a trailing slash', (p) => cwdText(p.cwd)),
  pf('proc.tty', 'int', 'controlling terminal\'s device number as Falco prints it (34816: /dev/pts/0), 0 when none', (p) => p.tty),
  pf('proc.ppid', 'int', 'parent process id', (p) => p.ppid),
  parentF('proc.pname', 'string', 'parent process name', (p) => p.name),
  parentF('proc.pcmdline', 'string', 'parent command line', (p) => cmdline(p)),
  parentF('proc.pexe', 'string', "parent's argv[0]", (p) => p.exe),
  parentF('proc.pexepath', 'string', "parent's executable path", (p) => p.exepath === '' ? undefined : p.exepath),
  parentF('proc.pvpid', 'int', "parent's pid in its pid namespace", (p) => p.vpid),
  ancestorF('proc.apid', 'int', 'pid of ancestor N (1 = parent); bare: any ancestor in conditions, the parent in outputs', (p) => p.pid),
  ancestorF('proc.aname', 'string', 'name of ancestor N (1 = parent); bare: any ancestor in conditions, the parent in outputs', (p) => p.name),
  ancestorF('proc.acmdline', 'string', 'command line of ancestor N; bare: any ancestor in conditions, the parent in outputs', (p) => cmdline(p)),
  ancestorF('proc.aexe', 'string', 'argv[0] of ancestor N; bare: any ancestor in conditions, the parent in outputs', (p) => p.exe),
  ancestorF('proc.aexepath', 'string', 'executable path of ancestor N; bare: any ancestor in conditions, the parent in outputs', (p) => p.exepath === '' ? undefined : p.exepath),
  pf('proc.vpid', 'int', 'pid in the innermost pid namespace', (p) => p.vpid),
  pf('proc.sid', 'int', 'session id', (p) => p.sid),
  field('proc.sname', 'string', 'name of the session leader', (ev) => {
    const sid = ev.proc?.sid
    return sid === undefined || sid <= 0 ? undefined : ev.ctx.procs.get(sid)?.name
  }),
  field('proc.sid.exe', 'string', "session leader's argv[0]", (ev) => {
    const sid = ev.proc?.sid
    return sid === undefined || sid <= 0 ? undefined : ev.ctx.procs.get(sid)?.exe
  }),
  field('proc.sid.exepath', 'string', "session leader's executable path", (ev) => {
    const sid = ev.proc?.sid
    return sid === undefined || sid <= 0 ? undefined : ev.ctx.procs.get(sid)?.exepath
  }),
  pf('proc.is_sid_leader', 'bool', 'the process leads its session', (p) => p.sid === p.pid),
  // the leader is found by the host-namespace pgid, inside a pid namespace too
  pf('proc.vpgid', 'int', 'process group id in the pid namespace', (p) => p.vpgid ?? (p.vpid === p.pid ? p.pgid : undefined)),
  field('proc.vpgid.name', 'string', 'name of the process group leader', (ev) => {
    const p = ev.proc
    return p === undefined || p.pgid === undefined ? undefined : ev.ctx.procs.get(p.pgid)?.name
  }),
  field('proc.vpgid.exe', 'string', "process group leader's argv[0]", (ev) => {
    const p = ev.proc
    return p === undefined || p.pgid === undefined ? undefined : ev.ctx.procs.get(p.pgid)?.exe
  }),
  field('proc.vpgid.exepath', 'string', "process group leader's executable path", (ev) => {
    const p = ev.proc
    return p === undefined || p.pgid === undefined ? undefined : ev.ctx.procs.get(p.pgid)?.exepath
  }),
  pf('proc.is_vpgid_leader', 'bool', 'the process leads its process group', (p) => p.pgid === p.pid),
  field('proc.duration', 'reltime', 'time since the process started', (ev) => durationSinceStart(ev, ev.proc)),
  field('proc.ppid.duration', 'reltime', 'time since the parent started', (ev) => durationSinceStart(ev, ev.ancestor(1))),
  pf('proc.pid.ts', 'abstime', 'process start time', (p) => p.startTs),
  parentF('proc.ppid.ts', 'abstime', 'parent start time', (p) => p.startTs),
  field('proc.stdin.type', 'string', 'fd type of standard input (file, pipe, ipv4…)', stdFd(0, 'type')),
  field('proc.stdout.type', 'string', 'fd type of standard output', stdFd(1, 'type')),
  field('proc.stderr.type', 'string', 'fd type of standard error', stdFd(2, 'type')),
  field('proc.stdin.name', 'string', 'fd name of standard input', stdFd(0, 'name')),
  field('proc.stdout.name', 'string', 'fd name of standard output', stdFd(1, 'name')),
  field('proc.stderr.name', 'string', 'fd name of standard error', stdFd(2, 'name')),
  absentField('proc.loginshellid', 'int', 'pid of the oldest shell ancestor'),
  absentField('proc.nthreads', 'int', 'number of threads'),
  absentField('proc.nchilds', 'int', 'number of child threads'),
  absentField('proc.fdopencount', 'int', 'number of open fds'),
  absentField('proc.fdlimit', 'int', 'fd limit'),
  absentField('proc.fdusage', 'double', 'open fds as a share of the limit'),
  absentField('proc.vmsize', 'int', 'virtual memory size (KiB)'),
  absentField('proc.vmrss', 'int', 'resident memory (KiB)'),
  absentField('proc.vmswap', 'int', 'swapped memory (KiB)'),
  pf('proc.exe_ino', 'int', 'inode of the executable (from the exec the probe saw)', (p) => p.exeFacts?.ino),
  pf('proc.exe_ino.ctime', 'abstime', 'last status change of the executable file at exec, ns since the epoch (from the inode, in-kernel)', (p) => p.exeFacts?.ctime),
  pf('proc.exe_ino.mtime', 'abstime', 'last modification of the executable file at exec, ns since the epoch', (p) => p.exeFacts?.mtime),
  pf('proc.exe_ino.ctime_duration_proc_start', 'reltime', 'ns from the executable\'s ctime to the process start (proc.pid.ts); absent when the file changed after the process started', ctimeToProcStart),
  pf('proc.exe_ino.ctime_duration_pidns_start', 'reltime', 'ns from the pid namespace start (proc.pidns_init_start_ts) to the executable\'s ctime; absent when the file is older than the namespace', ctimeAfterPidnsStart),
  pf('proc.pidns_init_start_ts', 'abstime', 'start of the init process of the process\'s pid namespace (container start for a container), ns since the epoch', (p) => p.pidnsStartTs),
  pf('proc.is_exe_writable', 'bool', 'the executable was writable by the process\'s user (or root) when it was executed', (p) => p.exeFacts?.writable),
  pf('proc.is_exe_upper_layer', 'bool', 'the executable is in an overlayfs upper layer (changed or added after the image was built)', (p) => p.exeFacts?.upperLayer),
  pf('proc.is_exe_from_memfd', 'bool', 'the executable is a memfd (fileless execution)', (p) => p.exeFacts?.fromMemfd),
  absentField('proc.is_container_healthcheck', 'bool', 'the process is a container health check'),
  absentField('proc.is_container_liveness_probe', 'bool', 'the process is a liveness probe'),
  absentField('proc.is_container_readiness_probe', 'bool', 'the process is a readiness probe'),
  field('thread.tid', 'int', 'thread id', (ev) => ev.rec.tid),
  field('thread.ismain', 'bool', 'the thread is the main thread', (ev) => ev.rec.tid === ev.rec.pid),
  absentField('thread.vtid', 'int', 'thread id in the pid namespace'),
  pf('thread.cap_permitted', 'string', 'permitted capabilities (CAP_… names)', (p) => p.caps === undefined ? undefined : capsText(p.caps.permitted)),
  pf('thread.cap_effective', 'string', 'effective capabilities', (p) => p.caps === undefined ? undefined : capsText(p.caps.effective)),
  pf('thread.cap_inheritable', 'string', 'inheritable capabilities', (p) => p.caps === undefined ? undefined : capsText(p.caps.inheritable)),
  absentField('thread.exectime', 'reltime', 'CPU time of the last scheduled run'),
  absentField('thread.totexectime', 'reltime', 'total CPU time'),
  absentField('thread.cgroups', 'string', 'all cgroups of the thread'),
  absentArgField('thread.cgroup', 'string', 'cgroup of one subsystem', 'required', 'key'),
  absentField('thread.pfmajor', 'int', 'major page faults'),
  absentField('thread.pfminor', 'int', 'minor page faults'),
  absentField('thread.vmsize', 'int', 'virtual memory size (KiB)'),
  absentField('thread.vmrss', 'int', 'resident memory (KiB)'),
  absentField('thread.cpu', 'double', 'CPU usage'),
  absentField('thread.cpu.user', 'double', 'user CPU usage'),
  absentField('thread.cpu.system', 'double', 'system CPU usage'),
  field('user.uid', 'int', 'user id of the thread at the event', (ev) => ev.rec.uid),
  field('user.name', 'string', 'user name (from the passwd file the process sees: the node\'s, or its container\'s)', (ev) => ev.users.user(ev.rec.uid)?.name),
  field('user.homedir', 'string', 'home directory', (ev) => ev.users.user(ev.rec.uid)?.home),
  field('user.shell', 'string', 'login shell', (ev) => ev.users.user(ev.rec.uid)?.shell),
  pf('user.loginuid', 'int', 'audit login uid, -1 when unset', (p) => p.loginuid),
  field('user.loginname', 'string', 'name of the audit login user', (ev) => {
    const l = ev.proc?.loginuid
    return l === undefined || l < 0 ? undefined : ev.users.user(l)?.name
  }),
  field('group.gid', 'int', 'group id of the thread at the event', (ev) => ev.rec.gid),
  field('group.name', 'string', 'group name (from the group file the process sees)', (ev) => ev.users.group(ev.rec.gid)?.name)
]
