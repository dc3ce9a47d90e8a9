// Watches rules files and rules.d-style directories and calls back once per real content change.
// Kubernetes ConfigMap volumes are the case that shapes this: the kubelet never rewrites a file in
// place, it writes a new `..<timestamp>` directory and atomically renames a `..data` symlink over
// the old one, so a watch on a file's inode never fires. We watch directories, not inodes.
import { watch, readFileSync, readdirSync, statSync, type FSWatcher } from 'node:fs'
import { createHash } from 'node:crypto'
import { basename, dirname, join, resolve } from 'node:path'

export interface RulesWatchOptions {
  /** quiet time after the last filesystem event before the rules are re-read (default 250 ms) */
  debounceMs?: number
  /** called when onChange throws or a watch cannot be set up; never fatal */
  onError?: (err: unknown) => void
}

export interface RulesWatcher {
  close(): void
}

const DEFAULT_DEBOUNCE_MS = 250

/**
 * Calls `onChange` once after each burst of changes that altered what the rules loader would read
 * from `paths` (file contents, or the set of files in a directory). Touches, unrelated files next
 * to a watched file, and the kubelet's intermediate steps do not count: each check compares a
 * content fingerprint with the last one, so a ConfigMap update yields exactly one call.
 */
export function watchRules (paths: string[], onChange: () => void, opts: RulesWatchOptions = {}): RulesWatcher {
  const debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS
  const targets = paths.map((p) => resolve(p))
  const watchers = new Map<string, { w: FSWatcher, ino: number }>()
  let last = fingerprint(targets)
  let timer: NodeJS.Timeout | undefined
  let burstStart = 0
  let closed = false

  function reportError (err: unknown): void {
    try { opts.onError?.(err) } catch { /* a failing reporter must not stop the watch */ }
  }

  function onFsEvent (): void {
    if (closed) return
    const now = Date.now()
    if (timer === undefined) burstStart = now
    // Trailing debounce, but a directory that never goes quiet (a busy parent of a watched file)
    // must not postpone the check forever.
    else if (now - burstStart > debounceMs * 10) return
    else clearTimeout(timer)
    timer = setTimeout(checkForChange, debounceMs)
  }

  function checkForChange (): void {
    timer = undefined
    if (closed) return
    // A directory that was missing may exist now (or a watched one was replaced): re-arm first so
    // that changes made while we read are not missed.
    armWatchers()
    const now = fingerprint(targets)
    if (now === last) return
    last = now
    try { onChange() } catch (err) { reportError(err) }
  }

  function armWatchers (): void {
    const wanted = directoriesToWatch(targets)
    for (const [dir, entry] of watchers) {
      // a watched directory that was removed or replaced keeps its old inode's watch, which will
      // never fire again; an ancestor watched while a target was missing is not needed any more
      if (!wanted.has(dir) || inodeOf(dir) !== entry.ino) {
        entry.w.close()
        watchers.delete(dir)
      }
    }
    for (const dir of wanted) {
      if (watchers.has(dir)) continue
      try {
        const ino = inodeOf(dir)
        const w = watch(dir, onFsEvent)
        w.on('error', function onWatchError (err) {
          // The directory went away (or was replaced): forget it, re-arm on the next check.
          if (watchers.get(dir)?.w === w) watchers.delete(dir)
          w.close()
          reportError(err)
          onFsEvent()
        })
        watchers.set(dir, { w, ino })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') reportError(err)
      }
    }
  }

  armWatchers()

  return {
    close () {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      for (const { w } of watchers.values()) w.close()
      watchers.clear()
    }
  }
}

/**
 * A directory target is watched itself (its entries and its `..data` swap show up there); a file
 * target is watched through its parent, because the file may be a symlink into `..data`. A missing
 * target is watched through its nearest existing ancestor so that its creation is noticed.
 */
function directoriesToWatch (targets: string[]): Set<string> {
  const dirs = new Set<string>()
  for (const t of targets) {
    let kind: 'dir' | 'file' | 'missing'
    try { kind = statSync(t).isDirectory() ? 'dir' : 'file' } catch { kind = 'missing' }
    if (kind === 'dir') { dirs.add(t); continue }
    let parent = dirname(t)
    while (kind === 'missing' && parent !== dirname(parent) && !isDirectory(parent)) parent = dirname(parent)
    dirs.add(parent)
  }
  return dirs
}

function inodeOf (p: string): number {
  try { return statSync(p).ino } catch { return -1 }
}

function isDirectory (p: string): boolean {
  try { return statSync(p).isDirectory() } catch { return false }
}

/**
 * What the rules loader would see: for a file its content; for a directory the visible entries
 * (hidden ones such as `..data` and `..2026_…` are the kubelet's plumbing) and their contents.
 * Read errors are part of the fingerprint so that a file becoming unreadable also counts.
 */
export function fingerprint (targets: string[]): string {
  const h = createHash('sha256')
  for (const t of targets) {
    h.update(`\0T${t}\0`)
    let isDir: boolean
    try { isDir = statSync(t).isDirectory() } catch (err) { h.update(`missing:${errCode(err)}`); continue }
    if (!isDir) { hashFile(h, t); continue }
    let names: string[]
    try { names = readdirSync(t).filter((n) => !n.startsWith('.')).sort() } catch (err) { h.update(`unreadable:${errCode(err)}`); continue }
    for (const name of names) {
      const p = join(t, name)
      if (isDirectory(p)) continue
      h.update(`\0F${basename(p)}\0`)
      hashFile(h, p)
    }
  }
  return h.digest('hex')
}

function hashFile (h: ReturnType<typeof createHash>, p: string): void {
  try { h.update(readFileSync(p)) } catch (err) { h.update(`unreadable:${errCode(err)}`) }
}

function errCode (err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'UNKNOWN'
}
