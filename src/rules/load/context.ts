// Where loader problems happen: files with line tables, texts that remember which YAML scalars
// they were built from (so condition positions can be re-based), and the issue collector.
import { LineCounter, type Scalar } from 'yaml'
import { CODES, type ErrorCode, type Location, type SourcePos } from '../../errors/index.ts'
import type { LoadIssue } from '../api.ts'
import { scalarOffsetMap } from './text-map.ts'

type ItemType = NonNullable<Location['itemType']>

export interface FileCtx {
  name: string
  text: string
  lines: LineCounter
  /** base of this file in the loader's global offset space (see Files) */
  base: number
}

/** A piece of condition/output text and the YAML scalar it came from. */
export interface TextRef { file: FileCtx, node: Scalar, value: string, map?: Int32Array }

/** Text assembled from one or more scalars (condition append concatenates with a blank). */
export interface SourcedText { text: string, segs: ReadonlyArray<{ at: number, ref: TextRef }> }

export interface ItemCtx { file: FileCtx, offset: number, itemType: ItemType, itemName?: string }

export function sourcedFrom (ref: TextRef): SourcedText {
  return { text: ref.value, segs: [{ at: 0, ref }] }
}

/** `a + ' ' + b`, Falco's append; an empty appended text leaves `a` unchanged. */
export function concatSourced (a: SourcedText, b: SourcedText): SourcedText {
  if (b.text === '') return a
  const at = a.text.length + 1
  return { text: a.text + ' ' + b.text, segs: [...a.segs, ...b.segs.map((s) => ({ at: s.at + at, ref: s.ref }))] }
}

/** File and file offset of `index` in a sourced text. */
export function locateInSourced (st: SourcedText, index: number): { file: FileCtx, offset: number } | undefined {
  let seg = st.segs[0]
  for (const s of st.segs) if (s.at <= index) seg = s
  if (seg === undefined) return undefined
  const ref = seg.ref
  ref.map ??= scalarOffsetMap(ref.file.text, ref.node, ref.value)
  const within = Math.min(Math.max(0, index - seg.at), ref.value.length)
  return { file: ref.file, offset: ref.map[within] as number }
}

/** Files in one load share an offset space so AST positions can name their file. */
export class Files {
  readonly list: FileCtx[] = []
  #next = 0
  add (name: string, text: string, lines: LineCounter): FileCtx {
    const f: FileCtx = { name, text, lines, base: this.#next }
    this.#next += text.length + 1
    this.list.push(f)
    return f
  }

  /** Global position for a file offset: offset is global, line/col are the file's. */
  globalPos (file: FileCtx, offset: number): SourcePos {
    const lc = file.lines.linePos(offset)
    return { offset: file.base + offset, line: lc.line, col: lc.col }
  }

  /** Inverse of globalPos. */
  fromGlobal (offset: number): { file: FileCtx, offset: number } | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const f = this.list[i] as FileCtx
      if (offset >= f.base) return offset - f.base <= f.text.length ? { file: f, offset: offset - f.base } : undefined
    }
    return undefined
  }
}

export function filePos (file: FileCtx, offset: number): SourcePos {
  const lc = file.lines.linePos(offset)
  return { offset, line: lc.line, col: lc.col }
}

const SNIPPET_WIDTH = 160

/** The offending line (capped at 160 columns around the column) and a caret under the column. */
export function snippetAt (file: FileCtx, offset: number): string {
  const { col } = file.lines.linePos(offset)
  const lineStart = offset - (col - 1)
  let lineEnd = file.text.indexOf('\n', lineStart)
  if (lineEnd < 0) lineEnd = file.text.length
  let line = file.text.slice(lineStart, lineEnd).replace(/\r$/, '')
  let caretCol = col - 1
  if (line.length > SNIPPET_WIDTH) {
    const from = Math.max(0, Math.min(caretCol - SNIPPET_WIDTH / 2, line.length - SNIPPET_WIDTH))
    line = line.slice(from, from + SNIPPET_WIDTH)
    caretCol -= from
  }
  return `${line}\n${' '.repeat(Math.max(0, caretCol))}^`
}

/** Thrown inside one item's processing to stop that file (Falco stops a file at its first error). */
export class ItemError extends Error {
  constructor (readonly issue: LoadIssue) { super(issue.message) }
}

export class Issues {
  readonly errors: LoadIssue[] = []
  readonly warnings: LoadIssue[] = []

  make (code: ErrorCode, message: string, ctx: ItemCtx | undefined, offset?: number): LoadIssue {
    const severity = (CODES[code] as { severity: 'error' | 'warning' }).severity
    if (ctx === undefined) return { code, severity, message }
    const at = offset ?? ctx.offset
    const location: Location = { file: ctx.file.name, pos: filePos(ctx.file, at), itemType: ctx.itemType }
    if (ctx.itemName !== undefined) location.itemName = ctx.itemName
    return { code, severity, message, location, snippet: snippetAt(ctx.file, at) }
  }

  #seenWarnings = new Set<string>()

  add (issue: LoadIssue): void {
    if (issue.severity === 'error') { this.errors.push(issue); return }
    // a macro shared by many rules would repeat its warnings once per rule
    const loc = issue.location
    const key = `${issue.code}\0${loc?.file ?? ''}\0${loc?.pos?.offset ?? ''}\0${issue.message}`
    if (loc?.pos !== undefined && this.#seenWarnings.has(key)) return
    this.#seenWarnings.add(key)
    this.warnings.push(issue)
  }

  warn (code: ErrorCode, message: string, ctx?: ItemCtx, offset?: number): void {
    this.add(this.make(code, message, ctx, offset))
  }

  error (code: ErrorCode, message: string, ctx?: ItemCtx, offset?: number): void {
    this.add(this.make(code, message, ctx, offset))
  }
}

/** Build an ItemError for `throw` inside item processing. */
export function fail (issues: Issues, code: ErrorCode, message: string, ctx: ItemCtx, offset?: number): ItemError {
  return new ItemError(issues.make(code, message, ctx, offset))
}
