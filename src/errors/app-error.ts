// The one error type Lanner throws: a stable code from the catalog, an optional HTTP status and
// position, and the cause. Messages are for people; code (and pos) are what tests and tools check.
import { CODES, type CodeInfo, type ErrorCode } from './codes.ts'

export interface SourcePos {
  /** 0-based offset into the text the position refers to */
  offset: number
  /** 1-based line */
  line: number
  /** 1-based column */
  col: number
}

export interface Location {
  file?: string
  pos?: SourcePos
  itemType?: 'rule' | 'macro' | 'list' | 'condition' | 'output' | 'exception' | 'config' | 'item'
  itemName?: string
}

export class AppError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number | undefined
  readonly location: Location | undefined

  constructor (code: ErrorCode, message: string, opts: { cause?: unknown, location?: Location, statusCode?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'AppError'
    this.code = code
    this.statusCode = opts.statusCode ?? (CODES[code] as CodeInfo).statusCode
    this.location = opts.location
  }
}

/** Errors in rules text: conditions, outputs, rules files. */
export class RuleError extends AppError {
  constructor (code: ErrorCode, message: string, opts: { cause?: unknown, location?: Location } = {}) {
    super(code, message, opts)
    this.name = 'RuleError'
  }
}

export class ConfigError extends AppError {
  constructor (code: ErrorCode, message: string, opts: { cause?: unknown, location?: Location } = {}) {
    super(code, message, opts)
    this.name = 'ConfigError'
  }
}

/**
 * "file:line:col: CODE: message" — the form every CLI and log line uses for positioned errors.
 * `code` is a catalog code or, for a failure of the system (serve's listen), Node's errno code
 * (EADDRINUSE): not ErrorCode for that reason.
 */
export function formatLocated (err: { code: string, message: string, location?: Location | undefined }): string {
  const loc = err.location
  let where = ''
  if (loc?.file !== undefined) {
    where = loc.file
    if (loc.pos !== undefined) where += `:${loc.pos.line}:${loc.pos.col}`
    where += ': '
  }
  const item = loc?.itemName !== undefined ? ` (${loc.itemType ?? 'item'} '${loc.itemName}')` : ''
  return `${where}${err.code}: ${err.message}${item}`
}
