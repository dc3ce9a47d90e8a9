// Users and groups of the node, for `user.*`/`group.*`: parsed from the host's passwd/group
// files, seen through /proc/1/root when we run in a container (else the files we see directly).
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

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

function pickEtc (procRoot: string): string {
  const hostEtc = join(procRoot, '1', 'root', 'etc')
  try {
    statSync(join(hostEtc, 'passwd'))
    return hostEtc
  } catch {
    return '/etc'
  }
}

function readOrUndefined (path: string): string | undefined {
  try { return readFileSync(path, 'utf8') } catch { return undefined }
}

const RELOAD_MIN_INTERVAL_MS = 10_000
const EMPTY: UserDb = userDbFrom([], [])

/**
 * Lookup over the node's files. A miss re-reads the files (at most every 10 s) so users added
 * after start resolve without a restart; hits never touch the disk.
 */
export function loadUserDb (opts: { procRoot?: string, etcDir?: string, now?: () => number } = {}): UserDb {
  const etc = opts.etcDir ?? pickEtc(opts.procRoot ?? '/proc')
  const now = opts.now ?? Date.now
  let db: UserDb = EMPTY
  let loadedAt = 0
  function reload (): void {
    loadedAt = now()
    const passwd = readOrUndefined(join(etc, 'passwd'))
    // unreadable now (the files moved, a mount went away): keep what we knew
    if (passwd === undefined && db !== EMPTY) return
    db = userDbFrom(parsePasswd(passwd ?? ''), parseGroup(readOrUndefined(join(etc, 'group')) ?? ''))
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
