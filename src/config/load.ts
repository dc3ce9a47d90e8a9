// Reading the config: file → YAML document (positions kept) → ${VAR} expansion → -o overrides →
// config_files merged in (config-files.ts) → zod validation → resolve.ts. Every failure is a
// ConfigError naming the key path, with file:line:col of the file the offending value came from.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { LineCounter, parseDocument, isMap, type Document } from 'yaml'
import type { z } from 'zod'
import { ConfigError, type SourcePos } from '../errors/index.ts'
import { trackDuplicateKeys } from '../util/index.ts'
import { configSchema, KNOWN_TOP_LEVEL_KEYS, type RawConfig } from './schema.ts'
import { applyOverrides, parseOverride, type Override } from './overrides.ts'
import { resolveOverridePaths } from './override-paths.ts'
import { configFileEntries, filesOfEntry, mergeRoot, originOf, type ConfigFileEntry, type KeyOrigin } from './config-files.ts'
import { expandEnvTree, type Env } from './env-expand.ts'
import { ignoredKeyWarning } from './falco-keys.ts'
import { resolveConfig } from './resolve.ts'
import type { LoadConfigOptions } from './load-options.ts'
import type { Config } from './types.ts'

export type { LoadConfigOptions }

interface YamlSource { doc?: Document, lines?: LineCounter, file?: string }
interface ParsedFile extends YamlSource {
  raw: Record<string, unknown>
  /** root keys that came from config_files, and from which file */
  origins?: Map<string, KeyOrigin<YamlSource>>
}

function readConfigFile (file: string, env: Env = process.env): ParsedFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError('ERR_CONFIG_READ', `cannot read config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err, location: { file } })
  }
  const lines = new LineCounter()
  // a key given twice would silently lose one value (yaml-cpp keeps one): an error, with both places
  const dups = trackDuplicateKeys()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: dups.uniqueKeys })
  const yamlErr = doc.errors[0]
  if (yamlErr !== undefined) {
    const lp = yamlErr.linePos?.[0]
    const pos: SourcePos | undefined = lp === undefined ? undefined : { offset: yamlErr.pos[0], line: lp.line, col: lp.col }
    throw new ConfigError('ERR_CONFIG_YAML', dups.describe(yamlErr, text, lines), { cause: yamlErr, location: { file, pos, itemType: 'config' } })
  }
  const contents = doc.contents
  if (contents !== null && !isMap(contents)) {
    throw new ConfigError('ERR_CONFIG_INVALID', '(root): expected a mapping of settings', { location: { file, pos: { offset: 0, line: 1, col: 1 }, itemType: 'config' } })
  }
  let js: unknown
  try {
    js = doc.toJS({ maxAliasCount: 100 })
  } catch (err) {
    // yaml refuses aliases that expand past maxAliasCount ("billion laughs") with a bare
    // ReferenceError: a config error like any other bad YAML, not a crash with a stack trace
    throw new ConfigError('ERR_CONFIG_YAML', `${(err as Error).message}: its aliases (*name) expand to too many values`, { cause: err, location: { file, itemType: 'config' } })
  }
  const raw = expandEnvTree((js ?? {}) as Record<string, unknown>, env)
  return { raw, doc, lines, file }
}

/** The file a key path's value came from (main file or a config_files one), and the path there. */
function sourceOf (parsed: ParsedFile, keyPath: readonly PropertyKey[]): { src: YamlSource, path: readonly PropertyKey[] } {
  const root = keyPath[0]
  const origin = typeof root === 'string' ? parsed.origins?.get(root) : undefined
  const o = originOf(origin, typeof keyPath[1] === 'number' ? keyPath[1] : undefined)
  if (o === undefined) return { src: parsed, path: keyPath }
  return { src: o.source, path: o.index === undefined ? keyPath : [root as string, o.index, ...keyPath.slice(2)] }
}

/** The position of the value at `keyPath` in its file, or of its nearest ancestor that exists. */
function positionOf (parsed: ParsedFile, keyPath: readonly PropertyKey[]): SourcePos | undefined {
  const { src, path: p } = sourceOf(parsed, keyPath)
  if (src.doc === undefined || src.lines === undefined) return undefined
  for (let n = p.length; n > 0; n--) {
    const node = src.doc.getIn(p.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined
    if (node?.range !== undefined) {
      const offset = node.range[0]
      const lp = src.lines.linePos(offset)
      return { offset, line: lp.line, col: lp.col }
    }
  }
  return undefined
}

function formatKeyPath (keyPath: readonly PropertyKey[]): string {
  if (keyPath.length === 0) return '(root)'
  let s = ''
  for (const k of keyPath) s += typeof k === 'number' ? `[${k}]` : (s === '' ? String(k) : `.${String(k)}`)
  return s
}

/** The path to report: an unknown key is named itself (lanner.webhook.listn), not its parent. */
function issuePath (issue: z.core.$ZodIssue): readonly PropertyKey[] {
  return issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...issue.path, issue.keys[0] as string] : issue.path
}

function issueText (issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `${issue.keys.map((k) => formatKeyPath([...issue.path, k])).join(', ')}: ${issue.message}`
  return `${formatKeyPath(issue.path)}: ${issue.message}`
}

/** Validate a raw object; throws ConfigError ERR_CONFIG_INVALID listing every problem. */
export function validateRaw (parsed: ParsedFile): RawConfig {
  const result = configSchema.safeParse(parsed.raw)
  if (result.success) return result.data
  // report in file order, so the location is the first problem a reader meets
  const located = result.error.issues.map((issue) => ({ issue, pos: positionOf(parsed, issuePath(issue)), file: sourceOf(parsed, issuePath(issue)).src.file }))
  // main file first, then included files, each in file order
  located.sort((a, b) => Number(a.file !== parsed.file) - Number(b.file !== parsed.file) || (a.pos?.offset ?? Infinity) - (b.pos?.offset ?? Infinity))
  const first = located[0] as { issue: z.core.$ZodIssue, pos: SourcePos | undefined, file: string | undefined }
  const message = located.map((l) => issueText(l.issue) + (l.file !== parsed.file && l.file !== undefined ? ` (in ${l.file})` : '')).join('; ')
  throw new ConfigError('ERR_CONFIG_INVALID', message, {
    cause: result.error,
    location: { file: first.file, pos: first.pos, itemType: 'config', itemName: formatKeyPath(issuePath(first.issue)) }
  })
}

/** The merged raw config: main file, config_files in order, -o overrides last (they win). */
function readMerged (file: string | undefined, overrides: readonly Override[], cwd: string, env: Env): { parsed: ParsedFile, entries: ConfigFileEntry[], files: string[], notes: string[] } {
  const parsed: ParsedFile = file === undefined ? { raw: {} } : readConfigFile(file, env)
  // an override of config_files itself decides which files are read, so it applies first
  const onFiles = overrides.filter((o) => 'key' in (o.path[0] ?? {}) && (o.path[0] as { key: string }).key === 'config_files')
  const rest = overrides.filter((o) => !onFiles.includes(o))
  applyOverrides(parsed.raw, onFiles)
  // without -c there is no falco.yaml whose default would name /etc/falco/config.d
  const entries = file === undefined && parsed.raw.config_files === undefined ? [] : configFileEntries(parsed.raw.config_files, file === undefined ? cwd : path.dirname(file), file)
  const files = file === undefined ? [] : [file]
  const notes: string[] = []
  parsed.origins = new Map()
  for (const entry of entries) {
    for (const f of filesOfEntry(entry)) {
      const inc = readConfigFile(f, env)
      if ('config_files' in inc.raw) {
        notes.push(`config_files in ${f} is ignored: an included config file cannot include others (as in Falco)`)
        delete inc.raw.config_files
      }
      mergeRoot(parsed.raw, inc.raw, entry.strategy, inc, parsed.origins)
      files.push(f)
    }
  }
  applyOverrides(parsed.raw, rest)
  return { parsed, entries, files, notes }
}

/** Load, override, validate and resolve. Throws ConfigError (ERR_CONFIG_*). */
export function loadConfig (opts: LoadConfigOptions = {}): Config {
  const cwd = opts.cwd ?? process.cwd()
  const file = opts.file === undefined ? undefined : path.resolve(cwd, opts.file)
  // paths typed on the command line are relative to the working directory, as for -c and -r
  const overrides = (opts.overrides ?? []).map(parseOverride).map((o) => resolveOverridePaths(o, cwd))
  const { parsed, entries, files, notes } = readMerged(file, overrides, cwd, opts.env ?? process.env)
  const raw = validateRaw(parsed)
  const unknown = Object.keys(parsed.raw).filter((k) => !KNOWN_TOP_LEVEL_KEYS.has(k))
  const config = resolveConfig(raw, { ...opts, cwd, configDir: file === undefined ? cwd : path.dirname(file) })
  if (file !== undefined) config.file = file
  config.configFiles = entries
  config.loadedConfigFiles = files
  // a live reload reads the same files with the same command line
  config.loadedWith = { ...opts, cwd }
  config.warnings.push(...notes)
  for (const k of unknown) config.warnings.push(ignoredKeyWarning(k))
  return config
}
