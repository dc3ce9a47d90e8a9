// Text forms of raw syscall arguments the way Falco prints them: errno names, open flags, file
// modes, clone flags, socket families, ptrace requests, capabilities. Linux x86_64 values.

const ERRNO: readonly string[] = [
  '', 'EPERM', 'ENOENT', 'ESRCH', 'EINTR', 'EIO', 'ENXIO', 'E2BIG', 'ENOEXEC', 'EBADF', 'ECHILD',
  'EAGAIN', 'ENOMEM', 'EACCES', 'EFAULT', 'ENOTBLK', 'EBUSY', 'EEXIST', 'EXDEV', 'ENODEV',
  'ENOTDIR', 'EISDIR', 'EINVAL', 'ENFILE', 'EMFILE', 'ENOTTY', 'ETXTBSY', 'EFBIG', 'ENOSPC',
  'ESPIPE', 'EROFS', 'EMLINK', 'EPIPE', 'EDOM', 'ERANGE', 'EDEADLK', 'ENAMETOOLONG', 'ENOLCK',
  'ENOSYS', 'ENOTEMPTY', 'ELOOP', '', 'ENOMSG', 'EIDRM', 'ECHRNG', 'EL2NSYNC', 'EL3HLT', 'EL3RST',
  'ELNRNG', 'EUNATCH', 'ENOCSI', 'EL2HLT', 'EBADE', 'EBADR', 'EXFULL', 'ENOANO', 'EBADRQC',
  'EBADSLT', '', 'EBFONT', 'ENOSTR', 'ENODATA', 'ETIME', 'ENOSR', 'ENONET', 'ENOPKG', 'EREMOTE',
  'ENOLINK', 'EADV', 'ESRMNT', 'ECOMM', 'EPROTO', 'EMULTIHOP', 'EDOTDOT', 'EBADMSG', 'EOVERFLOW',
  'ENOTUNIQ', 'EBADFD', 'EREMCHG', 'ELIBACC', 'ELIBBAD', 'ELIBSCN', 'ELIBMAX', 'ELIBEXEC', 'EILSEQ',
  'ERESTART', 'ESTRPIPE', 'EUSERS', 'ENOTSOCK', 'EDESTADDRREQ', 'EMSGSIZE', 'EPROTOTYPE',
  'ENOPROTOOPT', 'EPROTONOSUPPORT', 'ESOCKTNOSUPPORT', 'EOPNOTSUPP', 'EPFNOSUPPORT',
  'EAFNOSUPPORT', 'EADDRINUSE', 'EADDRNOTAVAIL', 'ENETDOWN', 'ENETUNREACH', 'ENETRESET',
  'ECONNABORTED', 'ECONNRESET', 'ENOBUFS', 'EISCONN', 'ENOTCONN', 'ESHUTDOWN', 'ETOOMANYREFS',
  'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTDOWN', 'EHOSTUNREACH', 'EALREADY', 'EINPROGRESS', 'ESTALE',
  'EUCLEAN', 'ENOTNAM', 'ENAVAIL', 'EISNAM', 'EREMOTEIO', 'EDQUOT', 'ENOMEDIUM', 'EMEDIUMTYPE',
  'ECANCELED', 'ENOKEY', 'EKEYEXPIRED', 'EKEYREVOKED', 'EKEYREJECTED', 'EOWNERDEAD',
  'ENOTRECOVERABLE', 'ERFKILL', 'EHWPOISON'
]
const KERNEL_ERRNO: Readonly<Record<number, string>> = {
  512: 'ERESTARTSYS', 513: 'ERESTARTNOINTR', 514: 'ERESTARTNOHAND', 515: 'ENOIOCTLCMD', 516: 'ERESTART_RESTARTBLOCK'
}

/** `ENOENT` for 2; 'E<n>' for numbers without a name. */
export function errnoName (errno: number): string {
  const n = Math.abs(errno)
  const name = ERRNO[n] ?? KERNEL_ERRNO[n]
  return name === undefined || name === '' ? `E${n}` : name
}

/** Falco's evt.res: 'SUCCESS' for non-negative results, the errno name otherwise. */
export function resultText (res: number): string {
  return res < 0 ? errnoName(-res) : 'SUCCESS'
}

export const O_ACCMODE = 3
export const O_WRONLY = 1
export const O_RDWR = 2
export const O_CREAT = 0o100
export const O_TRUNC = 0o1000
export const O_DIRECTORY = 0o200000
export const O_TMPFILE = 0o20200000

type FlagTable = ReadonlyArray<readonly [number, string]>

// O_SYNC and O_TMPFILE include other bits: listed before their parts so the parts are not
// printed twice.
const OPEN_FLAGS: FlagTable = [
  [0o4010000, 'O_SYNC'], [O_TMPFILE, 'O_TMPFILE'],
  [O_CREAT, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [O_TRUNC, 'O_TRUNC'],
  [0o2000, 'O_APPEND'], [0o4000, 'O_NONBLOCK'], [0o10000, 'O_DSYNC'], [0o20000, 'O_ASYNC'],
  [0o40000, 'O_DIRECT'], [0o100000, 'O_LARGEFILE'], [O_DIRECTORY, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'], [0o1000000, 'O_NOATIME'], [0o2000000, 'O_CLOEXEC'], [0o10000000, 'O_PATH']
]

function renderBits (value: number, table: FlagTable, prefix: string[] = []): string {
  const out = prefix
  let rest = value
  for (const [bits, name] of table) {
    if ((rest & bits) === bits && bits !== 0) {
      out.push(name)
      rest &= ~bits
    }
  }
  return out.join('|')
}

/** `O_WRONLY|O_CREAT|O_TRUNC` */
export function openFlagsText (flags: number): string {
  const acc = flags & O_ACCMODE
  const head = acc === O_WRONLY ? 'O_WRONLY' : acc === O_RDWR ? 'O_RDWR' : 'O_RDONLY'
  return renderBits(flags & ~O_ACCMODE, OPEN_FLAGS, [head])
}

const MODE_BITS: FlagTable = [
  [0o4000, 'S_ISUID'], [0o2000, 'S_ISGID'], [0o1000, 'S_ISVTX'],
  [0o400, 'S_IRUSR'], [0o200, 'S_IWUSR'], [0o100, 'S_IXUSR'],
  [0o40, 'S_IRGRP'], [0o20, 'S_IWGRP'], [0o10, 'S_IXGRP'],
  [0o4, 'S_IROTH'], [0o2, 'S_IWOTH'], [0o1, 'S_IXOTH']
]
/** `S_ISUID|S_IRWXU…` style names of a permission mode; '0' when no bit is set */
export function modeText (mode: number): string {
  const s = renderBits(mode & 0o7777, MODE_BITS)
  return s === '' ? '0' : s
}

const CLONE_FLAGS: FlagTable = [
  [0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'], [0x800, 'CLONE_SIGHAND'],
  [0x1000, 'CLONE_PIDFD'], [0x2000, 'CLONE_PTRACE'], [0x4000, 'CLONE_VFORK'], [0x8000, 'CLONE_PARENT'],
  [0x10000, 'CLONE_THREAD'], [0x20000, 'CLONE_NEWNS'], [0x40000, 'CLONE_SYSVSEM'],
  [0x80000, 'CLONE_SETTLS'], [0x100000, 'CLONE_PARENT_SETTID'], [0x200000, 'CLONE_CHILD_CLEARTID'],
  [0x400000, 'CLONE_DETACHED'], [0x800000, 'CLONE_UNTRACED'], [0x1000000, 'CLONE_CHILD_SETTID'],
  [0x2000000, 'CLONE_NEWCGROUP'], [0x4000000, 'CLONE_NEWUTS'], [0x8000000, 'CLONE_NEWIPC'],
  [0x10000000, 'CLONE_NEWUSER'], [0x20000000, 'CLONE_NEWPID'], [0x40000000, 'CLONE_NEWNET'],
  [0x80000000, 'CLONE_IO']
]
export const CLONE_THREAD = 0x10000
export function cloneFlagsText (flags: number): string {
  // bit 31 does not fit JS's signed bitwise ops: split it off first
  const high = flags >= 0x80000000 ? 0x80000000 : 0
  const low = renderBits(flags - high, CLONE_FLAGS.slice(0, -1))
  return high !== 0 ? (low === '' ? 'CLONE_IO' : `${low}|CLONE_IO`) : low
}

const AF_NAMES: Readonly<Record<number, string>> = {
  0: 'AF_UNSPEC', 1: 'AF_UNIX', 2: 'AF_INET', 3: 'AF_AX25', 4: 'AF_IPX', 5: 'AF_APPLETALK',
  10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET', 38: 'AF_ALG', 40: 'AF_VSOCK', 44: 'AF_XDP'
}
export function socketFamilyText (af: number): string { return AF_NAMES[af] ?? `AF_${af}` }

const PTRACE: Readonly<Record<number, string>> = {
  0: 'PTRACE_TRACEME', 1: 'PTRACE_PEEKTEXT', 2: 'PTRACE_PEEKDATA', 3: 'PTRACE_PEEKUSR',
  4: 'PTRACE_POKETEXT', 5: 'PTRACE_POKEDATA', 6: 'PTRACE_POKEUSR', 7: 'PTRACE_CONT',
  8: 'PTRACE_KILL', 9: 'PTRACE_SINGLESTEP', 12: 'PTRACE_GETREGS', 13: 'PTRACE_SETREGS',
  14: 'PTRACE_GETFPREGS', 15: 'PTRACE_SETFPREGS', 16: 'PTRACE_ATTACH', 17: 'PTRACE_DETACH',
  24: 'PTRACE_SYSCALL', 0x4200: 'PTRACE_SETOPTIONS', 0x4201: 'PTRACE_GETEVENTMSG',
  0x4202: 'PTRACE_GETSIGINFO', 0x4203: 'PTRACE_SETSIGINFO', 0x4204: 'PTRACE_GETREGSET',
  0x4205: 'PTRACE_SETREGSET', 0x4206: 'PTRACE_SEIZE', 0x4207: 'PTRACE_INTERRUPT', 0x4208: 'PTRACE_LISTEN'
}
export function ptraceRequestText (req: number): string { return PTRACE[req] ?? String(req) }

const EXE_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [1, 'EXE_WRITABLE'], [2, 'EXE_UPPER_LAYER'], [4, 'EXE_FROM_MEMFD'], [8, 'EXE_LOWER_LAYER']
]
/** execve/execveat exit `flags` (Falco's PPM_EXE_*): `EXE_WRITABLE|EXE_LOWER_LAYER` */
export function exeFlagsText (flags: number): string { return renderBits(flags, EXE_FLAGS) || '0' }

const CAPS: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE'
]
/** `CAP_CHOWN CAP_DAC_OVERRIDE …` (space-separated, as Falco prints capability sets) */
export function capsText (mask: bigint): string {
  const out: string[] = []
  for (let i = 0; i < CAPS.length; i++) if ((mask >> BigInt(i)) & 1n) out.push(CAPS[i] as string)
  return out.join(' ')
}
