// evt.arg / evt.args / evt.rawarg: a record's arguments by Falco name or position, rendered as
// Falco prints them (flag names, errno names, fd with its name, user names for uids).
import type { SyscallEvent } from '../event.ts'
import { argNum, argStr, type ArgValue } from '../state/args.ts'
import { typeChar } from '../state/fd-info.ts'
import { cloneFlagsText, errnoName, exeFlagsText, modeText, openFlagsText, ptraceRequestText, socketFamilyText } from './render-flags.ts'

const OPEN_TYPES = new Set(['open', 'openat', 'openat2', 'creat'])
const RESULT_FD_TYPES = new Set(['open', 'openat', 'openat2', 'creat', 'accept', 'accept4', 'socket'])
const CHMOD_TYPES = new Set(['chmod', 'fchmod', 'fchmodat'])
const CLONE_TYPES = new Set(['clone', 'clone3', 'fork', 'vfork'])
const UID_ARGS = new Set(['uid', 'euid', 'ruid', 'suid'])
const GID_ARGS = new Set(['gid', 'egid', 'rgid', 'sgid'])
const FD_ARGS = new Set(['fd', 'dirfd', 'olddirfd', 'newdirfd', 'oldfd', 'newfd'])
// Falco's names on the left; what a decoder may call the same thing on the right
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  name: ['pathname', 'path', 'filename'],
  path: ['pathname', 'name'],
  pathname: ['name', 'path'],
  filename: ['exepath', 'pathname', 'name']
}

function rawArg (ev: SyscallEvent, name: string): ArgValue {
  const a = ev.rec.args
  const v = a[name]
  if (v !== undefined) return v
  for (const alt of ALIASES[name] ?? []) if (a[alt] !== undefined) return a[alt]
  if (name === 'res') return ev.rec.res
  if (name === 'fd' && RESULT_FD_TYPES.has(ev.rec.type)) return ev.rec.res
  return undefined
}

function resText (res: number): string {
  return res < 0 ? `${res}(${errnoName(-res)})` : String(res)
}

function fdText (ev: SyscallEvent, n: number): string {
  if (n === -100) return '-100(AT_FDCWD)'
  if (n < 0) return resText(n)
  const fd = ev.proc?.fds.get(n) ?? (ev.fd?.num === n ? ev.fd : undefined)
  return fd === undefined || fd.name === '' ? String(n) : `${n}(<${typeChar(fd.kind)}>${fd.name})`
}

/** Rendered text of one named argument, or undefined when the event has no such argument. */
export function renderArg (ev: SyscallEvent, name: string): string | undefined {
  const v = rawArg(ev, name)
  if (v === undefined) return undefined
  const type = ev.rec.type
  const n = argNum(v)
  if (n !== undefined && typeof v !== 'string') {
    if (name === 'res') return RESULT_FD_TYPES.has(type) && n >= 0 ? fdText(ev, n) : resText(n)
    if (FD_ARGS.has(name)) return fdText(ev, n)
    if (name === 'flags') {
      if (OPEN_TYPES.has(type)) return openFlagsText(n)
      if (CLONE_TYPES.has(type)) return cloneFlagsText(n)
      if ((type === 'execve' || type === 'execveat') && ev.rec.dir === '<') return exeFlagsText(n)
      return String(n)
    }
    if (name === 'mode') return CHMOD_TYPES.has(type) ? modeText(n) : n === 0 ? '0' : '0' + n.toString(8)
    if (UID_ARGS.has(name)) return ev.users.user(n)?.name ?? String(n)
    if (GID_ARGS.has(name)) return ev.users.group(n)?.name ?? String(n)
    if (name === 'request' && type === 'ptrace') return ptraceRequestText(n)
    if (name === 'domain' || name === 'family') return socketFamilyText(n)
    return String(n)
  }
  const s = argStr(v)
  return s === undefined ? undefined : s.replaceAll('\0', ' ')
}

/** Names of the event's arguments in record order, `res` first on exit events. */
export function argNames (ev: SyscallEvent): string[] {
  const names = Object.keys(ev.rec.args).filter((k) => ev.rec.args[k] !== undefined)
  // calls returning an fd report it as their `fd` argument, as Falco does, not as `res`
  const resIsFd = RESULT_FD_TYPES.has(ev.rec.type) && names.includes('fd')
  if (ev.rec.res !== undefined && !resIsFd && !names.includes('res')) names.unshift('res')
  return names
}

/** evt.arg[N]: positional, as Falco numbers a record's parameters. */
export function renderArgAt (ev: SyscallEvent, index: number): string | undefined {
  const name = argNames(ev)[index]
  return name === undefined ? undefined : renderArg(ev, name)
}

/** evt.args: `name=value` pairs separated by spaces. */
export function renderArgs (ev: SyscallEvent): string {
  const out: string[] = []
  for (const name of argNames(ev)) {
    if (name === 'cgroup' || name === 'containerId') continue
    const v = renderArg(ev, name)
    if (v !== undefined) out.push(`${name}=${v}`)
  }
  return out.join(' ')
}

/** evt.rawarg: the number as recorded (or the result), without rendering. */
export function rawArgNum (ev: SyscallEvent, name: string): number | undefined {
  return argNum(rawArg(ev, name))
}
