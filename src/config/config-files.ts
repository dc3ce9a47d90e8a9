// Falco's `config_files` (0.38+, strategies 0.41+): more config files or directories read after
// the main file, in order; a directory contributes its files in lexicographic order (hidden
// entries skipped, so a ConfigMap volume's `..data` plumbing is never read twice). Each entry is
// a path (strategy `append`) or `{path, strategy}`. Merging happens at the ROOT key level only,
// as Falco documents: a root key in an included file replaces the whole section of the earlier
// value (e.g. all of `webserver:`), except that with `append` a list is appended to a list.
//   append   (default)  existing lists appended, other existing keys replaced, new keys added
//   override            existing keys replaced, new keys added
//   add-only            existing keys kept, new keys added
// Included files cannot include further files (Falco ignores nested `config_files`).
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../errors/index.ts'

export type MergeStrategy = 'append' | 'override' | 'add-only'
export const MERGE_STRATEGIES: readonly MergeStrategy[] = ['append', 'override', 'add-only']

export interface ConfigFileEntry {
  /** absolute path of a file or directory */
  path: string
  strategy: MergeStrategy
}

/** Falco's default: read only when it exists (Lanner images do not ship one). */
export const DEFAULT_CONFIG_DIR = '/etc/falco/config.d'

function invalid (keyPath: string, message: string, file?: string): ConfigError {
  return new ConfigError('ERR_CONFIG_INVALID', `${keyPath}: ${message}`, { location: { file, itemType: 'config', itemName: keyPath } })
}

/**
 * The entries of a `config_files` value; `undefined` (key absent) gives Falco's default when
 * that directory exists. Relative paths resolve against `baseDir` (the main file's directory).
 */
export function configFileEntries (value: unknown, baseDir: string, file?: string): ConfigFileEntry[] {
  if (value === undefined) return existsSync(DEFAULT_CONFIG_DIR) ? [{ path: DEFAULT_CONFIG_DIR, strategy: 'append' }] : []
  if (value === null) return []
  const list = Array.isArray(value) ? value : [value]
  return list.map(function entryOf (item, i): ConfigFileEntry {
    const at = `config_files[${i}]`
    if (typeof item === 'string') {
      if (item === '') throw invalid(at, 'expected a file or directory path', file)
      return { path: path.resolve(baseDir, item), strategy: 'append' }
    }
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid(at, 'expected a path or {path, strategy}', file)
    const { path: p, strategy, ...rest } = item as Record<string, unknown>
    const extra = Object.keys(rest)
    if (extra.length > 0) throw invalid(`${at}.${extra[0] ?? ''}`, 'not a config_files setting (allowed keys: path, strategy)', file)
    if (typeof p !== 'string' || p === '') throw invalid(`${at}.path`, 'expected a file or directory path', file)
    const s = strategy ?? 'append'
    if (typeof s !== 'string' || !(MERGE_STRATEGIES as readonly string[]).includes(s)) {
      throw invalid(`${at}.strategy`, `expected one of ${MERGE_STRATEGIES.join('|')}, got ${JSON.stringify(strategy)}`, file)
    }
    return { path: path.resolve(baseDir, p), strategy: s as MergeStrategy }
  })
}

/** The files an entry stands for, in load order. A missing path is ERR_CONFIG_READ. */
export function filesOfEntry (entry: ConfigFileEntry): string[] {
  let st
  try {
    st = statSync(entry.path)
  } catch (err) {
    throw new ConfigError('ERR_CONFIG_READ', `config_files: cannot read ${entry.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err, location: { file: entry.path, itemType: 'config', itemName: 'config_files' } })
  }
  if (!st.isDirectory()) return [entry.path]
  const out: string[] = []
  for (const name of readdirSync(entry.path).sort()) {
    if (name.startsWith('.')) continue
    const p = path.join(entry.path, name)
    // statSync follows the ConfigMap symlinks (name → ..data/name)
    try { if (statSync(p).isFile()) out.push(p) } catch { /* vanished or dangling: skip */ }
  }
  return out
}

/**
 * Where the value of a root key came from, for error positions: segments in item order; a
 * list appended from several files has one segment per file (`start` = its first index).
 */
export type KeyOrigin<S> = Array<{ source: S, start: number }>

/** The file holding item `index` of a root key's list (or the key itself), and its index there. */
export function originOf<S> (origin: KeyOrigin<S> | undefined, index: number | undefined): { source: S, index: number | undefined } | undefined {
  if (origin === undefined || origin.length === 0) return undefined
  if (index === undefined) return { source: (origin[origin.length - 1] as { source: S }).source, index }
  let seg = origin[0] as { source: S, start: number }
  for (const s of origin) if (s.start <= index) seg = s
  return { source: seg.source, index: index - seg.start }
}

/**
 * Merge `incoming` (one included file's root mapping) into `base` with `strategy`, in place.
 * `origins` records, per root key, which file(s) now hold it.
 */
export function mergeRoot<S> (base: Record<string, unknown>, incoming: Record<string, unknown>, strategy: MergeStrategy, source: S, origins: Map<string, KeyOrigin<S>>): void {
  for (const [key, value] of Object.entries(incoming)) {
    const exists = Object.prototype.hasOwnProperty.call(base, key) && base[key] !== undefined
    if (exists && strategy === 'add-only') continue
    const prev = base[key]
    if (exists && strategy === 'append' && Array.isArray(prev) && Array.isArray(value)) {
      base[key] = [...prev, ...value]
      const segs = origins.get(key) ?? []
      segs.push({ source, start: prev.length })
      origins.set(key, segs)
      continue
    }
    base[key] = value
    origins.set(key, [{ source, start: 0 }])
  }
}
