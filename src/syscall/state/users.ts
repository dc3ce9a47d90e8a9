// Users and groups of the node, for `user.*`/`group.*`: parsed from the host's passwd/group
// files, seen through /proc/1/root when we run in a container (else the files we see directly).
import { closeSync } from 'node:fs'
import { join } from 'node:path'
import { openRoot, readInRoot } from './read-in-root.ts'

export interface UserEntry { name: string, uid: number, gid: number, home: string, shell: string }
export interface GroupEntry { name: string, gid: number }

/** passwd(5) lines → entries; malformed lines are skipped. */
export function parsePasswd (text: string): UserEntry[] {
  const out: UserEntry[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const f = line.split(':')
    if (f.length < 7) continue
    const uid = Number(f[2]); const gid = Number(f[3])
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || f[2] === '') continue
    out.push({ name: f[0] as string, uid, gid, home: f[5] as string, shell: f[6] as string })
  }
  return out
}

/** group(5) lines → entries; malformed lines are skipped. */
export function parseGroup (text: string): GroupEntry[] {
  const out: GroupEntry[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const f = line.split(':')
    if (f.length < 3 || f[2] === '') continue
    const gid = Number(f[2])
    if (!Number.isInteger(gid)) continue
    out.push({ name: f[0] as string, gid })
  }
  return out
}

export interface UserDb {
  user(uid: number): UserEntry | undefined
  group(gid: number): GroupEntry | undefined
}

/** Build a lookup from explicit entries (tests, or a caller that already has them). */
export function userDbFrom (users: readonly UserEntry[], groups: readonly GroupEntry[]): UserDb {
  const byUid = new Map<number, UserEntry>()
  const byGid = new Map<number, GroupEntry>()
  // the first entry of an id wins, as getpwuid(3) does
  for (const u of users) if (!byUid.has(u.uid)) byUid.set(u.uid, u)
  for (const g of groups) if (!byGid.has(g.gid)) byGid.set(g.gid, g)
  return { user: (uid) => byUid.get(uid), group: (gid) => byGid.get(gid) }
}

/**
 * Where the node's files are: the host's root through /proc/1/root when it shows an etc/passwd
 * (we run in a pod with hostPID), else our own. Either way they are read like a container's
 * (read-in-root.ts): a symlink in the path resolves against that root, not ours, and a FIFO, a
 * device or a huge file is refused, never waited on or swallowed.
 */
function pickRoot (procRoot: string): { dir: string, rel: string } {
  const host = { dir: join(procRoot, '1', 'root'), rel: 'etc/passwd' }
  const fd = openRoot(host.dir)
  if (fd !== undefined) {
    try {
      if (readInRoot(fd, host.rel).kind !== 'absent') return { dir: host.dir, rel: 'etc' }
    } finally {
      closeSync(fd)
    }
  }
  return { dir: '/', rel: 'etc' }
}

/** the file's text; undefined when it cannot be read (missing, refused, root unreachable) */
function readOrUndefined (root: { dir: string, rel: string }, name: string, onRefused?: (file: string, reason: string) => void): string | undefined {
  const fd = openRoot(root.dir)
  if (fd === undefined) return undefined
  try {
    const r = readInRoot(fd, `${root.rel}/${name}`)
    if (r.kind === 'refused') onRefused?.(join(root.dir, root.rel, name), r.reason)
    return r.kind === 'text' ? r.text : undefined
  } finally {
    closeSync(fd)
  }
}

export interface LoadUserDbOptions {
  /** /proc by default: the node's files are looked for under <procRoot>/1/root */
  procRoot?: string
  /** read <etcDir>/passwd and <etcDir>/group instead (tests) */
  etcDir?: string
  now?: () => number
  /** passwd or group there but refused (FIFO, device, over 1 MiB): called once, for a log line */
  onUnreadable?(info: { file: string, reason: string }): void
}

const RELOAD_MIN_INTERVAL_MS = 10_000
const EMPTY: UserDb = userDbFrom([], [])

/**
 * Lookup over the node's files. A miss re-reads the files (at most every 10 s) so users added
 * after start resolve without a restart; hits never touch the disk.
 */
export function loadUserDb (opts: LoadUserDbOptions = {}): UserDb {
  const root = opts.etcDir !== undefined ? { dir: opts.etcDir, rel: '.' } : pickRoot(opts.procRoot ?? '/proc')
  const now = opts.now ?? Date.now
  let db: UserDb = EMPTY
  let loadedAt = 0
  let warned = false
  function refused (file: string, reason: string): void {
    if (warned) return
    warned = true
    opts.onUnreadable?.({ file, reason })
  }
  function reload (): void {
    loadedAt = now()
    const passwd = readOrUndefined(root, 'passwd', refused)
    // unreadable now (the files moved, a mount went away): keep what we knew
    if (passwd === undefined && db !== EMPTY) return
    db = userDbFrom(parsePasswd(passwd ?? ''), parseGroup(readOrUndefined(root, 'group', refused) ?? ''))
  }
  reload()
  function maybeReload (): boolean {
    if (now() - loadedAt < RELOAD_MIN_INTERVAL_MS) return false
    reload()
    return true
  }
  return {
    user (uid) { return db.user(uid) ?? (maybeReload() ? db.user(uid) : undefined) },
    group (gid) { return db.group(gid) ?? (maybeReload() ? db.group(gid) : undefined) }
  }
}
