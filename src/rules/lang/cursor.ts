// A character cursor over condition text: sticky-regex token matching, blanks, and positioned
// RuleErrors. The parser is scannerless because what a token is depends on where it stands
// (`not` is a keyword before a blank and a bare string after `=`).
import { RuleError, type ErrorCode, type SourcePos } from '../../errors/index.ts'

/** Falco's blank set: space, tab, backspace, CR, LF. */
const BLANKS = /[ \t\b\r\n]+/y
const BLANK_CHAR = /[ \t\b\r\n]/

export function isBlank (c: string | undefined): boolean {
  return c !== undefined && BLANK_CHAR.test(c)
}

export class Cursor {
  readonly text: string
  pos: number
  private lineStarts: number[] | undefined

  constructor (text: string, pos = 0) {
    this.text = text
    this.pos = pos
  }

  get done (): boolean { return this.pos >= this.text.length }
  peek (ahead = 0): string | undefined { return this.text[this.pos + ahead] }

  /** Skip blanks; true if any were skipped. */
  blanks (): boolean {
    BLANKS.lastIndex = this.pos
    if (!BLANKS.test(this.text)) return false
    this.pos = BLANKS.lastIndex
    return true
  }

  /** Match a sticky regex at the cursor, advancing past it. */
  match (re: RegExp): string | undefined {
    re.lastIndex = this.pos
    const m = re.exec(this.text)
    if (m === null) return undefined
    this.pos = re.lastIndex
    return m[0]
  }

  /** Whether the text at the cursor starts with `s` (does not advance). */
  at (s: string): boolean { return this.text.startsWith(s, this.pos) }

  /** Position of an offset: line/col computed from a lazily built line table. */
  posAt (offset: number): SourcePos {
    if (this.lineStarts === undefined) {
      const starts = [0]
      for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) starts.push(i + 1)
      this.lineStarts = starts
    }
    const starts = this.lineStarts
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((starts[mid] as number) <= offset) lo = mid
      else hi = mid - 1
    }
    return { offset, line: lo + 1, col: offset - (starts[lo] as number) + 1 }
  }

  here (): SourcePos { return this.posAt(this.pos) }

  fail (code: ErrorCode, message: string, offset = this.pos): RuleError {
    return new RuleError(code, message, { location: { itemType: 'condition', pos: this.posAt(offset) } })
  }

  /** A short description of what stands at the cursor, for error messages. */
  describe (): string {
    if (this.done) return 'end of input'
    const m = /[^ \t\b\r\n]{1,20}/y
    m.lastIndex = this.pos
    return `'${m.exec(this.text)?.[0] ?? this.text[this.pos]}'`
  }
}
