// Reading the config: file → YAML document (positions kept) → -o overrides → zod validation →
// resolve.ts. Every failure is a ConfigError naming the key path, with file:line:col when the
// offending value came from the file.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { LineCounter, parseDocument, isMap, type Document } from 'yaml'
import type { z } from 'zod'
import { ConfigError, type SourcePos } from '../errors/index.ts'
import { trackDuplicateKeys } from '../util/yaml-duplicate-keys.ts'
import { configSchema, KNOWN_TOP_LEVEL_KEYS, type RawConfig } from './schema.ts'
import { applyOverrides, parseOverride } from './overrides.ts'
import { resolveConfig, type ResolveOptions } from './resolve.ts'
import type { Config } from './types.ts'

export interface LoadConfigOptions extends Omit<ResolveOptions, 'configDir'> {
  /** -c FILE; without it every setting has its default */
  file?: string
  /** -o key=value, in order */
  overrides?: readonly string[]
  cwd?: string
}

interface ParsedFile { raw: Record<string, unknown>, doc?: Document, lines?: LineCounter, file?: string }

function readConfigFile (file: string): ParsedFile {
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
  const raw = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Record<string, unknown>
  return { raw, doc, lines, file }
}

/** The position of the value at `keyPath` in the file, or of its nearest ancestor that exists. */
function positionOf (parsed: ParsedFile, keyPath: readonly PropertyKey[]): SourcePos | undefined {
  if (parsed.doc === undefined || parsed.lines === undefined) return undefined
  for (let n = keyPath.length; n > 0; n--) {
    const node = parsed.doc.getIn(keyPath.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined
    if (node?.range !== undefined) {
      const offset = node.range[0]
      const lp = parsed.lines.linePos(offset)
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
  const located = result.error.issues.map((issue) => ({ issue, pos: positionOf(parsed, issuePath(issue)) }))
  located.sort((a, b) => (a.pos?.offset ?? Infinity) - (b.pos?.offset ?? Infinity))
  const first = located[0] as { issue: z.core.$ZodIssue, pos: SourcePos | undefined }
  const message = located.map((l) => issueText(l.issue)).join('; ')
  throw new ConfigError('ERR_CONFIG_INVALID', message, {
    cause: result.error,
    location: { file: parsed.file, pos: first.pos, itemType: 'config', itemName: formatKeyPath(issuePath(first.issue)) }
  })
}

/** Load, override, validate and resolve. Throws ConfigError (ERR_CONFIG_*). */
export function loadConfig (opts: LoadConfigOptions = {}): Config {
  const cwd = opts.cwd ?? process.cwd()
  const file = opts.file === undefined ? undefined : path.resolve(cwd, opts.file)
  const parsed: ParsedFile = file === undefined ? { raw: {} } : readConfigFile(file)
  const overrides = (opts.overrides ?? []).map(parseOverride)
  applyOverrides(parsed.raw, overrides)
  const raw = validateRaw(parsed)
  const unknown = Object.keys(parsed.raw).filter((k) => !KNOWN_TOP_LEVEL_KEYS.has(k))
  const config = resolveConfig(raw, { ...opts, cwd, configDir: file === undefined ? cwd : path.dirname(file) })
  if (file !== undefined) config.file = file
  for (const k of unknown) config.warnings.push(`config key '${k}' is not used by Lanner and is ignored`)
  return config
}
