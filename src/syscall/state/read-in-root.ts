// A small file (a passwd or group) read as a process rooted elsewhere sees it, without trusting
// that root's owner: /proc/<pid>/root/etc/passwd belongs to whoever runs in the container. A plain
// readFileSync through that path is unsafe three ways: a FIFO blocks the event loop forever,
// /dev/zero or a huge file eats memory, and an absolute symlink (etc/passwd -> /etc/shadow)
// resolves against OUR root, not the container's (only the /proc/<pid>/root link itself jumps
// into the container; every later absolute link restarts at the walker's own root, the host's).
//
// So the path is walked one component at a time, each opened O_PATH|O_NOFOLLOW through
// /proc/self/fd/<parent> (Node has no openat(2); a path through an open fd's magic link is
// openat's equivalent, immune to a component being swapped between check and use). A symlink
// found on the way is resolved by us, relative to the container's root (absolute targets restart
// at that root, `..` stops there), at most MAX_SYMLINK_HOPS times. Refusing symlinks outright
// would also be safe, but images do link their files (e.g. /etc -> a volume, passwd -> a managed
// copy) and glibc inside the container follows them, so following them within the root gives the
// names the container's own processes see and never a host file. The last component must be a
// regular file (fstat of the O_PATH fd, so a FIFO or device is never opened at all) of at most
// maxBytes; only then is it reopened for reading (O_RDONLY|O_NONBLOCK|O_NOCTTY) and read with the
// same cap (it may grow in between).
//
// libsinsp, for comparison, fopen()s <pid root>/etc/passwd and reads it with fgetpwent
// (userspace/libsinsp/user.cpp, add_container_user): no file type, size or symlink guard there.
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync } from 'node:fs'

/** passwd/group files bigger than this are refused (real ones are a few KiB; LDAP dumps stay far below) */
export const MAX_ETC_FILE_BYTES = 1 << 20
/** symlinks followed while resolving one path (Linux allows 40; images need one or two) */
export const MAX_SYMLINK_HOPS = 8

// O_PATH (Linux ≥ 2.6.39) is not in fs.constants; 010000000 on x86-64, arm64 and every other
// architecture Lanner's probe runs on (it differs only on alpha, parisc and sparc).
const O_PATH = 0o10000000
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY, O_DIRECTORY } = constants
const CHUNK = 64 * 1024

export type RootRead =
  | { kind: 'text', text: string }
  /** not there (distroless image): an answer, no entries */
  | { kind: 'absent' }
  /** there but not a file we will read: the reason, for a log line */
  | { kind: 'refused', reason: string }

/** An O_PATH fd on `dir` (following it: /proc/<pid>/root is meant to be followed); undefined when unreachable. */
export function openRoot (dir: string): number | undefined {
  try { return openSync(dir, O_PATH | O_DIRECTORY) } catch { return undefined }
}

function fdPath (fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`
}

function closeQuietly (fd: number): void {
  try { closeSync(fd) } catch { /* already gone */ }
}

/**
 * `relPath` (e.g. "etc/passwd") inside the root held by `rootFd` (from openRoot; the caller keeps
 * and closes it). Never blocks on the file, never reads more than maxBytes + 1 bytes, never leaves
 * the root.
 */
export function readInRoot (rootFd: number, relPath: string, maxBytes = MAX_ETC_FILE_BYTES): RootRead {
  // directories walked so far; [0] is the root (not ours to close)
  const stack: number[] = [rootFd]
  const todo = relPath.split('/').filter(function named (p) { return p !== '' && p !== '.' })
  let hops = 0
  try {
    while (todo.length > 0) {
      const name = todo.shift() as string
      if (name === '..') {
        // as the kernel does at a process's root: `..` of the root is the root
        if (stack.length > 1) closeQuietly(stack.pop() as number)
        continue
      }
      const parent = stack[stack.length - 1] as number
      let fd: number
      try {
        fd = openSync(fdPath(parent, name), O_PATH | O_NOFOLLOW)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'absent' }
        return { kind: 'refused', reason: `open ${name}: ${code ?? String(err)}` }
      }
      const st = fstatSync(fd)
      if (st.isSymbolicLink()) {
        closeQuietly(fd)
        if (++hops > MAX_SYMLINK_HOPS) return { kind: 'refused', reason: `more than ${MAX_SYMLINK_HOPS} symlinks` }
        const target = readlinkSync(fdPath(parent, name))
        if (target.startsWith('/')) while (stack.length > 1) closeQuietly(stack.pop() as number)
        todo.unshift(...target.split('/').filter(function named (p) { return p !== '' && p !== '.' }))
        continue
      }
      if (todo.length > 0) {
        if (!st.isDirectory()) { closeQuietly(fd); return { kind: 'absent' } }
        stack.push(fd)
        continue
      }
      try {
        return readRegular(fd, st.isFile(), st.size, maxBytes)
      } finally {
        closeQuietly(fd)
      }
    }
    return { kind: 'refused', reason: 'the path names the root itself' }
  } catch (err) {
    // fstat, readlink or read failing mid-walk (the tree changed under us, EACCES, EIO)
    return { kind: 'refused', reason: (err as NodeJS.ErrnoException).code ?? String(err) }
  } finally {
    for (let i = stack.length - 1; i > 0; i--) closeQuietly(stack[i] as number)
  }
}

function readRegular (pathFd: number, regular: boolean, size: number, maxBytes: number): RootRead {
  if (!regular) return { kind: 'refused', reason: 'not a regular file' }
  if (size > maxBytes) return { kind: 'refused', reason: `larger than ${maxBytes} bytes` }
  // reopened through the O_PATH fd's magic link: the very inode checked above
  const fd = openSync(fdPath(pathFd), O_RDONLY | O_NONBLOCK | O_NOCTTY)
  try {
    if (!fstatSync(fd).isFile()) return { kind: 'refused', reason: 'not a regular file' }
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total))
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      chunks.push(n === buf.length ? buf : buf.subarray(0, n))
      total += n
      // it grew past the cap since fstat
      if (total > maxBytes) return { kind: 'refused', reason: `larger than ${maxBytes} bytes` }
    }
    return { kind: 'text', text: Buffer.concat(chunks, total).toString('utf8') }
  } finally {
    closeQuietly(fd)
  }
}
