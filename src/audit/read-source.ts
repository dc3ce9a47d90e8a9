// Reading audit events from files or stdin: JSON lines (the apiserver log backend's format), or
// one whole JSON document (EventList / array, possibly pretty-printed); gzip is detected by its
// magic bytes; a directory is read file by file, oldest first. Problems are issues, never throws.
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip } from 'node:zlib'
import { pipeline, Readable } from 'node:stream'
import type { AuditEvent } from './audit-event.ts'
import { decodeAuditPayload, type AuditIssue, type DecodeOptions } from './decode.ts'

export interface ReadOptions extends DecodeOptions {
  /** what `-` reads (default process.stdin) */
  stdin?: NodeJS.ReadableStream
  /** events per yielded batch (default 512) */
  batchSize?: number
}

export interface AuditBatch {
  /** the file the batch came from ('-' for stdin) */
  file: string
  events: AuditEvent[]
  issues: AuditIssue[]
}

/** Stream a file, a directory of files, or stdin ('-') as batches of decoded events. */
export async function * readAuditSource (path: string, opts: ReadOptions): AsyncGenerator<AuditBatch> {
  if (path !== '-') {
    let files: string[]
    try {
      files = await listFiles(path)
    } catch (err) {
      yield readFailure(path, err)
      return
    }
    for (const f of files) yield * readOne(f, createReadStream(f), opts, true)
    return
  }
  yield * readOne('-', opts.stdin ?? process.stdin, opts, false)
}

async function listFiles (path: string): Promise<string[]> {
  const st = await stat(path)
  if (!st.isDirectory()) return [path]
  const entries = await readdir(path, { withFileTypes: true })
  const files = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => {
    const full = join(path, e.name)
    return { full, mtime: (await stat(full)).mtimeMs }
  }))
  return files.sort((a, b) => a.mtime - b.mtime || (a.full < b.full ? -1 : 1)).map((f) => f.full)
}

function readFailure (file: string, err: unknown, line?: number): AuditBatch {
  const issue: AuditIssue = { code: 'ERR_AUDIT_READ_FAILED', message: `cannot read ${file}: ${(err as Error).message}`, file }
  if (line !== undefined) issue.line = line
  return { file, events: [], issues: [issue] }
}

async function * readOne (file: string, src: NodeJS.ReadableStream, opts: ReadOptions, owned: boolean): AsyncGenerator<AuditBatch> {
  const splitter = new LineSplitter(file, opts)
  const size = Math.max(1, opts.batchSize ?? 512)
  try {
    for await (const text of decodedText(src)) {
      splitter.push(text)
      if (splitter.events.length >= size || splitter.issues.length > 0) yield * slices(splitter.take(), size)
    }
  } catch (err) {
    const pending = splitter.take()
    if (pending.events.length + pending.issues.length > 0) yield pending
    yield readFailure(file, err, splitter.lineNo)
    return
  } finally {
    // stdin belongs to the caller; our own file streams are closed even when the consumer stops early
    if (owned) (src as Readable).destroy()
  }
  splitter.end()
  const last = splitter.take()
  if (last.events.length + last.issues.length > 0) yield * slices(last, size)
}

/** One chunk of text can hold thousands of lines: hand them on in batches of at most `size`. */
function * slices (batch: AuditBatch, size: number): Generator<AuditBatch> {
  if (batch.events.length <= size) {
    yield batch
    return
  }
  for (let i = 0; i < batch.events.length; i += size) {
    yield { file: batch.file, events: batch.events.slice(i, i + size), issues: i === 0 ? batch.issues : [] }
  }
}

/** The stream's bytes as UTF-8 text chunks, gunzipped when it starts with the gzip magic. */
async function * decodedText (src: NodeJS.ReadableStream): AsyncGenerator<string> {
  const it = (src as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]()
  const first = await it.next()
  if (first.done === true) return
  const head = typeof first.value === 'string' ? Buffer.from(first.value) : first.value
  let chunks: AsyncIterable<Buffer | string> = { [Symbol.asyncIterator]: () => it }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip()
    // pipeline, not pipe: an error on either side destroys both, and it reaches us through the
    // iteration of gunzip below instead of as an unhandled 'error' event
    pipeline(Readable.from(prepend(head, chunks)), gunzip, function gunzipDone () {})
    chunks = gunzip
  } else {
    chunks = prepend(head, chunks)
  }
  const dec = new StringDecoder('utf8')
  for await (const c of chunks) yield typeof c === 'string' ? c : dec.write(c)
  const rest = dec.end()
  if (rest !== '') yield rest
}

async function * prepend (head: Buffer, rest: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string> {
  yield head
  yield * rest
}

/**
 * Splits text into lines and decodes each as one payload. If the first non-blank line is not
 * JSON by itself, the input is taken as one multi-line document and parsed once at the end.
 */
class LineSplitter {
  events: AuditEvent[] = []
  issues: AuditIssue[] = []
  lineNo = 0
  #file: string
  #opts: DecodeOptions
  #rest = ''
  #seenLine = false
  #whole: string[] | undefined

  constructor (file: string, opts: DecodeOptions) {
    this.#file = file
    this.#opts = { maxEventBytes: opts.maxEventBytes }
  }

  push (text: string): void {
    if (this.#whole !== undefined) {
      this.#whole.push(text)
      return
    }
    const buf = this.#rest + text
    let start = 0
    let nl = buf.indexOf('\n', start)
    while (nl !== -1) {
      this.#line(buf.slice(start, nl))
      start = nl + 1
      const whole = this.#whole as string[] | undefined // #line may have switched modes
      if (whole !== undefined) {
        whole.push(buf.slice(start))
        this.#rest = ''
        return
      }
      nl = buf.indexOf('\n', start)
    }
    this.#rest = buf.slice(start)
  }

  end (): void {
    if (this.#whole !== undefined) {
      const text = this.#whole.join('')
      this.#whole = undefined
      const res = decodeAuditPayload(text, this.#opts)
      if (res.issues.length === 1 && res.issues[0]?.code === 'ERR_AUDIT_BAD_JSON' && this.#salvageLines(text)) return
      this.#collect(res.events, res.issues, undefined)
      return
    }
    if (this.#rest !== '') this.#line(this.#rest)
    this.#rest = ''
  }

  /**
   * Not one document either: maybe a JSON-lines file whose first line is broken. If any line
   * decodes, keep the line-by-line result so that one bad line does not cost the whole file;
   * otherwise the caller reports the document's single parse error.
   */
  #salvageLines (text: string): boolean {
    const events = this.events
    const issues = this.issues
    this.events = []
    this.issues = []
    this.lineNo = 0
    for (const line of text.split('\n')) this.#line(line)
    const salvaged = this.events.length > 0
    if (salvaged) {
      events.push(...this.events)
      issues.push(...this.issues)
    }
    this.events = events
    this.issues = issues
    return salvaged
  }

  take (): AuditBatch {
    const b = { file: this.#file, events: this.events, issues: this.issues }
    this.events = []
    this.issues = []
    return b
  }

  #line (raw: string): void {
    this.lineNo++
    const line = raw.trim()
    if (line === '') return
    const res = decodeAuditPayload(line, this.#opts)
    if (!this.#seenLine) {
      this.#seenLine = true
      if (res.issues.length === 1 && res.issues[0]?.code === 'ERR_AUDIT_BAD_JSON' && /^[[{]/.test(line)) {
        // not a JSON line: re-read everything so far as the start of one document
        this.#whole = [raw.padStart(raw.length + this.lineNo - 1, '\n'), '\n']
        this.lineNo = 0
        return
      }
    }
    this.#collect(res.events, res.issues, this.lineNo)
  }

  #collect (events: AuditEvent[], issues: AuditIssue[], line: number | undefined): void {
    for (const e of events) this.events.push(e)
    for (const i of issues) {
      i.file = this.#file
      if (line !== undefined) i.line = line
      this.issues.push(i)
    }
  }
}
