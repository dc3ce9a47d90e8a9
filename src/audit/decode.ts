// Audit payload decoding: one JSON.parse per body, then a walk that accepts an EventList, a single
// Event, or arrays of these (nested), and turns per-event problems into issues instead of failures.
import type { ErrorCode } from '../errors/index.ts'
import { AuditEvent, compactSize, type AuditObject } from './audit-event.ts'
import { parseRfc3339Nano } from './timestamp.ts'
import { clip, MAX_QUOTED } from '../util/index.ts'

export interface AuditIssue {
  code: ErrorCode
  message: string
  /** 0-based position of the offending item among the body's candidate events */
  index?: number
  /** 1-based line, when the body came from a JSON-lines file */
  line?: number
  /** the file (or '-') the body came from */
  file?: string
}

export interface DecodeOptions {
  /** largest compact-JSON event accepted; Infinity or 0 disables the check */
  maxEventBytes: number
}

/**
 * `issues` holds a few examples per code (at most MAX_EXAMPLES_PER_CODE); `issueCounts` counts
 * every problem by code and `rejected` the items refused. A body of millions of bad items thus
 * costs a counter increment each, never an object each.
 */
export interface DecodeResult {
  events: AuditEvent[]
  issues: AuditIssue[]
  issueCounts: Partial<Record<ErrorCode, number>>
  /** items refused (every issue with an index) */
  rejected: number
}

/** Examples kept per error code; the rest are only counted. */
export const MAX_EXAMPLES_PER_CODE = 3

/** Decode a webhook body or one line of a file. Never throws. */
export function decodeAuditPayload (body: string | Buffer | unknown, opts: DecodeOptions): DecodeResult {
  const out = emptyResult()
  const parsed = parsePayload(body, opts, out)
  if (parsed === undefined) return out
  new Walker(out, limitOf(opts), parsed.measure).value(parsed.value)
  return out
}

/**
 * The same, giving the event loop a turn (`pause`) every `every` items of the lists walked,
 * whatever their nesting (an EventList, an array of EventLists, arrays of arrays): the walk costs
 * microseconds per item, and a body may hold a few hundred thousand of them. JSON.parse itself
 * cannot be split; the webhook bounds it before calling this (lanner.webhook.max_body_values).
 */
export async function decodeAuditPayloadInTurns (body: string | Buffer, opts: DecodeOptions, pause: () => Promise<void>, every = 1024): Promise<DecodeResult> {
  const out = emptyResult()
  const parsed = parsePayload(body, opts, out)
  if (parsed === undefined) return out
  const walk = new Walker(out, limitOf(opts), parsed.measure)
  // Walker.value's steps with an explicit stack instead of recursion, in the same order, so that
  // a list inside an array is paused in too (a turn only per top-level item let a wrapped list run
  // in one go)
  const stack: ListFrame[] = []
  const open = (list: ListFrame | undefined): void => { if (list !== undefined) stack.push(list) }
  open(walk.step(parsed.value, 0))
  let n = 0
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as ListFrame
    if (top.next >= top.list.length) { stack.pop(); continue }
    const el = top.list[top.next++]
    if (++n % every === 0) await pause()
    if (top.items) walk.item(el)
    else open(walk.step(el, top.depth))
  }
  return out
}

/** A list being walked: an array's elements (`depth`: theirs) or an EventList's items. */
interface ListFrame { list: unknown[], next: number, items: boolean, depth: number }

function emptyResult (): DecodeResult {
  return { events: [], issues: [], issueCounts: {}, rejected: 0 }
}

/** JSON.parse and the top-level check; undefined (with the issue recorded) when there is nothing to walk. */
function parsePayload (body: unknown, opts: DecodeOptions, out: DecodeResult): { value: unknown, measure: boolean } | undefined {
  let value: unknown = body
  // a text body whose size is within the limit cannot hold an event over it, so skip measuring
  let measure = true
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    let text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1) // files saved with a BOM
    try {
      value = JSON.parse(text)
    } catch (err) {
      // V8's message quotes a fragment of the body: keep it short
      addIssue(out, { code: 'ERR_AUDIT_BAD_JSON', message: `invalid JSON: ${clip((err as Error).message, 2 * MAX_QUOTED)}` })
      return undefined
    }
    const bytes = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length
    measure = bytes > limitOf(opts)
  }
  if (!isPayload(value)) {
    addIssue(out, { code: 'ERR_AUDIT_NOT_RECOGNIZED', message: 'data not recognized as a k8s audit event' })
    return undefined
  }
  return { value, measure }
}

function addIssue (out: DecodeResult, issue: AuditIssue): void {
  const n = (out.issueCounts[issue.code] ?? 0) + 1
  out.issueCounts[issue.code] = n
  if (issue.index !== undefined) out.rejected++
  if (n <= MAX_EXAMPLES_PER_CODE) out.issues.push(issue)
}

/** Compact size; an object too deep to serialise counts as too large rather than throwing. */
function sizeOrInfinity (obj: AuditObject): number {
  try {
    return compactSize(obj)
  } catch {
    return Infinity
  }
}

function limitOf (opts: DecodeOptions): number {
  const n = opts.maxEventBytes
  return Number.isFinite(n) && n > 0 ? n : Infinity
}

function isObject (v: unknown): v is AuditObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A top-level value worth walking: an array, an EventList with items, or an Event. */
function isPayload (v: unknown): boolean {
  if (Array.isArray(v)) return true
  if (!isObject(v)) return false
  return (v.kind === 'EventList' && Array.isArray(v.items)) || v.kind === 'Event'
}

const MAX_NESTING = 32

class Walker {
  #out: DecodeResult
  #limit: number
  #measure: boolean
  #index = 0

  constructor (out: DecodeResult, limit: number, measure: boolean) {
    this.#out = out
    this.#limit = limit
    this.#measure = measure
  }

  value (v: unknown, depth = 0): void {
    const list = this.step(v, depth)
    if (list === undefined) return
    for (const el of list.list) {
      if (list.items) this.item(el)
      else this.value(el, list.depth)
    }
  }

  /**
   * One value at `depth`: an event or an issue is recorded now; an array or an EventList is
   * returned as the list to walk next (its elements at depth + 1, or its items).
   */
  step (v: unknown, depth: number): ListFrame | undefined {
    // real payloads nest one or two levels (arrays, EventLists); a pathological body must not
    // exhaust the stack
    if (depth >= MAX_NESTING) {
      this.#issue('ERR_AUDIT_NOT_RECOGNIZED', `arrays or EventLists nested deeper than ${MAX_NESTING} levels`)
      return undefined
    }
    if (Array.isArray(v)) return { list: v, next: 0, items: false, depth: depth + 1 }
    if (!isObject(v)) {
      this.#issue('ERR_AUDIT_NOT_OBJECT', `item is ${v === null ? 'null' : typeof v}, not an audit Event object`)
      return undefined
    }
    if (v.kind === 'EventList') {
      if (Array.isArray(v.items)) return { list: v.items, next: 0, items: true, depth }
      this.#issue('ERR_AUDIT_NOT_RECOGNIZED', 'EventList without an items array')
      return undefined
    }
    if (v.kind !== 'Event') {
      this.#issue('ERR_AUDIT_NOT_RECOGNIZED', 'data not recognized as a k8s audit event')
      return undefined
    }
    this.#event(v)
    return undefined
  }

  /**
   * An EventList item is an event whatever its kind: kube-apiserver writes the items without their
   * own kind/apiVersion (only the list carries TypeMeta), and Falco's plugin takes them as they are.
   */
  item (v: unknown): void {
    if (!isObject(v)) {
      this.#issue('ERR_AUDIT_NOT_OBJECT', `item is ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}, not an audit Event object`)
      return
    }
    this.#event(v)
  }

  #event (obj: AuditObject): void {
    const ts = obj.stageTimestamp
    const time = typeof ts === 'string' ? parseRfc3339Nano(ts) : undefined
    if (time === undefined) {
      const why = ts === undefined ? "can't read stageTimestamp" : `stageTimestamp is not RFC3339: ${clip(JSON.stringify(ts) ?? String(ts))}`
      this.#issue('ERR_AUDIT_NO_TIMESTAMP', why)
      return
    }
    let size: number | undefined
    if (this.#measure) {
      size = sizeOrInfinity(obj)
      if (size > this.#limit) {
        this.#issue('ERR_AUDIT_EVENT_TOO_LARGE', `event larger than maxEventBytes: size=${size}`)
        return
      }
    }
    this.#out.events.push(new AuditEvent(obj, time, size))
    this.#index++
  }

  #issue (code: ErrorCode, message: string): void {
    addIssue(this.#out, { code, message, index: this.#index++ })
  }
}
