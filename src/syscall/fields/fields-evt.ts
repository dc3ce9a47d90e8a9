// evt.* and syscall.type: the event itself (type, direction, time, result, arguments).
import { argNum, argStr } from '../state/args.ts'
import { resolvePath } from '../state/apply.ts'
import { O_ACCMODE, O_CREAT, O_RDWR, O_WRONLY, resultText } from './render-flags.ts'
import { argNames, rawArgNum, renderArg, renderArgAt, renderArgs } from './args-render.ts'
import { eventCategory } from './event-types.ts'
import { timeFields } from '../../fields/index.ts'
import { absentArgField, absentField, argField, field, type Def, type Ev } from './define.ts'

const INDEX_RE = /^(0|[1-9][0-9]*)$/
const OPEN_TYPES = new Set(['open', 'openat', 'openat2', 'creat'])
const SYSCALL_LIKE = new Set(['procexit', 'switch', 'signaldeliver', 'page_fault', 'container', 'k8s', 'notification', 'infra', 'drop', 'procinfo', 'pluginevent', 'asyncevent'])
const IO_READ = new Set(['read', 'readv', 'pread', 'pread64', 'preadv', 'recvfrom', 'recvmsg', 'recvmmsg'])
const IO_WRITE = new Set(['write', 'writev', 'pwrite', 'pwrite64', 'pwritev', 'sendto', 'sendmsg', 'sendmmsg'])

function openFlags (ev: Ev): number | undefined {
  if (!OPEN_TYPES.has(ev.rec.type)) return undefined
  return ev.rec.type === 'creat' ? (O_CREAT | O_WRONLY) : argNum(ev.rec.args.flags)
}

function res (ev: Ev): number | undefined { return ev.rec.dir === '<' ? ev.rec.res : undefined }

/** evt.abspath: the path argument made absolute against its dirfd (or the cwd). */
function absPath (ev: Ev, which: string | undefined): string | undefined {
  const a = ev.rec.args
  const pairs: Record<string, readonly [string, string]> = {
    '': ['dirfd', 'name'], src: ['olddirfd', 'oldpath'], dst: ['newdirfd', 'newpath'], target: ['newdirfd', 'linkpath']
  }
  const key = which ?? ''
  const pair = pairs[key]
  if (pair === undefined) return undefined
  const raw = argStr(a[pair[1]]) ?? (key === '' ? argStr(a.pathname) ?? argStr(a.path) : undefined)
  if (raw === undefined) return undefined
  const dirfd = argNum(a[pair[0]])
  const proc = ev.proc
  const base = dirfd === undefined || dirfd === -100 ? proc?.cwd : proc?.fds.get(dirfd)?.name
  return resolvePath(raw, base)
}

export const evtFields: readonly Def[] = [
  field('evt.num', 'int', 'event number, counted from 1 since this instance started', (ev) => ev.num),
  ...timeFields<Ev>(function recordTime (ev) { return ev.rec.ts }),
  field('evt.reltime', 'reltime', 'time since the first event this instance saw', (ev) => ev.ctx.firstTs === undefined ? undefined : ev.rec.ts - ev.ctx.firstTs),
  field('evt.reltime.s', 'int', 'seconds part of evt.reltime', (ev) => ev.ctx.firstTs === undefined ? undefined : Number((ev.rec.ts - ev.ctx.firstTs) / 1_000_000_000n)),
  field('evt.reltime.ns', 'int', 'nanosecond part of evt.reltime', (ev) => ev.ctx.firstTs === undefined ? undefined : Number((ev.rec.ts - ev.ctx.firstTs) % 1_000_000_000n)),
  // the probe sends one record per call (its exit, or the enter alone): no enter/exit pair to time
  absentField('evt.latency', 'reltime', 'time from the enter event to this exit event'),
  absentField('evt.latency.s', 'int', 'seconds part of evt.latency'),
  absentField('evt.latency.ns', 'int', 'nanosecond part of evt.latency'),
  absentField('evt.latency.quantized', 'int', 'evt.latency on a log scale'),
  absentField('evt.latency.human', 'string', 'evt.latency as text with a unit'),
  absentField('evt.deltatime', 'reltime', 'time since the previous event'),
  absentField('evt.deltatime.s', 'int', 'seconds part of evt.deltatime'),
  absentField('evt.deltatime.ns', 'int', 'nanosecond part of evt.deltatime'),
  field('evt.dir', 'string', "event direction: '>' enter, '<' exit", (ev) => ev.rec.dir),
  field('evt.type', 'string', 'event type: the syscall name or a pseudo-event (procexit…)', (ev) => ev.rec.type),
  argField('evt.type.is', 'int', '1 when evt.type is the argument, else 0', 'required', 'key', (arg) => (ev) => ev.rec.type === arg ? 1 : 0),
  field('syscall.type', 'string', 'the syscall name, absent for pseudo-events', (ev) => SYSCALL_LIKE.has(ev.rec.type) ? undefined : ev.rec.type),
  field('evt.category', 'string', 'event category: file, net, process, system or other', (ev) => eventCategory(ev.rec.type)),
  field('evt.cpu', 'int', 'CPU the event happened on', (ev) => ev.rec.cpu),
  field('evt.args', 'string', 'all arguments as name=value pairs', (ev) => renderArgs(ev)),
  argField('evt.arg', 'string', 'one argument by name (evt.arg.name, evt.arg[name]) or position (evt.arg[0]), rendered as text', 'required', 'key', (arg) => {
    const name = arg as string
    if (INDEX_RE.test(name)) {
      const i = Number(name)
      return (ev) => renderArgAt(ev, i)
    }
    return (ev) => renderArg(ev, name)
  }),
  argField('evt.rawarg', 'int', 'one numeric argument by name, unrendered', 'required', 'key', (arg) => {
    const name = arg as string
    return (ev) => rawArgNum(ev, name)
  }),
  field('evt.info', 'string', 'event details: the arguments for syscalls', (ev) => renderArgs(ev)),
  field('evt.buffer', 'bytebuf', 'the data buffer of I/O events', (ev) => {
    const v = ev.rec.args.data
    return v instanceof Uint8Array ? v : undefined
  }),
  field('evt.buflen', 'int', 'length of evt.buffer', (ev) => {
    const v = ev.rec.args.data
    return v instanceof Uint8Array ? v.length : argNum(ev.rec.args.size)
  }),
  field('evt.res', 'string', "result: 'SUCCESS', or the errno name (ENOENT, EINPROGRESS…) on failure", (ev) => {
    const r = res(ev)
    return r === undefined ? undefined : resultText(r)
  }),
  field('evt.rawres', 'int', 'result as a number (negative errno on failure)', (ev) => res(ev)),
  field('evt.failed', 'bool', 'true for exit events that returned an error', (ev) => {
    const r = res(ev)
    return r === undefined ? undefined : r < 0
  }),
  field('evt.is_io', 'bool', 'true for read/write-family events', (ev) => IO_READ.has(ev.rec.type) || IO_WRITE.has(ev.rec.type)),
  field('evt.is_io_read', 'bool', 'true for read-family events', (ev) => IO_READ.has(ev.rec.type)),
  field('evt.is_io_write', 'bool', 'true for write-family events', (ev) => IO_WRITE.has(ev.rec.type)),
  field('evt.io_dir', 'string', "'r' for reads, 'w' for writes", (ev) => IO_READ.has(ev.rec.type) ? 'r' : IO_WRITE.has(ev.rec.type) ? 'w' : undefined),
  absentField('evt.is_wait', 'bool', 'true for events that wait (sleep, poll…)'),
  absentField('evt.wait_latency', 'reltime', 'time spent waiting'),
  field('evt.is_syslog', 'bool', 'true for writes to /dev/log', (ev) => IO_WRITE.has(ev.rec.type) && ev.fd?.name === '/dev/log'),
  field('evt.count', 'int', 'always 1 (for aggregations)', () => 1),
  field('evt.count.error', 'int', '1 for failed events', (ev) => (res(ev) ?? 0) < 0 ? 1 : 0),
  field('evt.count.error.file', 'int', '1 for failed file events', (ev) => (res(ev) ?? 0) < 0 && eventCategory(ev.rec.type) === 'file' ? 1 : 0),
  field('evt.count.error.net', 'int', '1 for failed network events', (ev) => (res(ev) ?? 0) < 0 && eventCategory(ev.rec.type) === 'net' ? 1 : 0),
  absentField('evt.count.error.memory', 'int', '1 for failed memory events'),
  field('evt.count.error.other', 'int', '1 for other failed events', (ev) => (res(ev) ?? 0) < 0 && !['file', 'net'].includes(eventCategory(ev.rec.type)) ? 1 : 0),
  field('evt.count.exit', 'int', '1 for exit events', (ev) => ev.rec.dir === '<' ? 1 : 0),
  absentArgField('evt.around', 'int', 'events around this one in a trace file', 'required', 'key'),
  argField('evt.abspath', 'string', 'absolute path of the path argument (src/dst/target for two-path events)', 'optional', 'key', (arg) => (ev) => absPath(ev, arg)),
  field('evt.is_open_read', 'bool', 'open-family event opening for reading', (ev) => {
    const f = openFlags(ev)
    return f === undefined ? false : (f & O_ACCMODE) !== O_WRONLY
  }),
  field('evt.is_open_write', 'bool', 'open-family event opening for writing', (ev) => {
    const f = openFlags(ev)
    return f === undefined ? false : (f & O_ACCMODE) === O_WRONLY || (f & O_ACCMODE) === O_RDWR
  }),
  field('evt.is_open_exec', 'bool', 'open-family event creating a file with an execute bit', (ev) => {
    const f = openFlags(ev)
    const mode = argNum(ev.rec.args.mode)
    return f === undefined ? false : (f & O_CREAT) !== 0 && mode !== undefined && (mode & 0o111) !== 0
  }),
  field('evt.is_open_create', 'bool', 'open-family event with O_CREAT', (ev) => {
    const f = openFlags(ev)
    return f === undefined ? false : (f & O_CREAT) !== 0
  }),
  field('evt.source', 'string', "the event source: 'syscall'", () => 'syscall'),
  field('evt.hostname', 'string', 'the node name', (ev) => ev.ctx.hostname),
  field('evt.is_async', 'bool', 'true for asynchronous (metadata) events', () => false),
  absentField('evt.asynctype', 'string', 'type of an asynchronous event'),
  absentField('evt.pluginname', 'string', 'plugin that produced the event'),
  absentField('evt.plugininfo', 'string', 'plugin event summary'),
  field('evt.nargs', 'int', 'number of arguments', (ev) => argNames(ev).length)
]
