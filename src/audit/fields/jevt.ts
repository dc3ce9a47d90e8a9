// jevt.* / json.* fields (Falco's json plugin): JSON Pointer lookups, the whole event pretty-printed,
// and the raw timestamp. These work on any event, with or without an auditID.
import { RuleError } from '../../errors/index.ts'
import { defineField, isObj, type FieldDef, type K8sAuditEvent } from './event.ts'

/** RFC 6901 pointer → segments; the leading '/' is optional, as in the json plugin. */
export function parsePointer (ptr: string): string[] {
  if (ptr === '') return []
  const body = ptr.startsWith('/') ? ptr.slice(1) : ptr
  return body.split('/').map((seg) => {
    if (/~[^01]|~$/.test(seg)) throw new RuleError('RULE_COMPILE_BAD_FIELD_ARG', `invalid JSON pointer '${ptr}': '~' must be followed by 0 or 1`)
    return seg.replace(/~1/g, '/').replace(/~0/g, '~')
  })
}

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/

export function resolvePointer (doc: unknown, segs: readonly string[]): unknown {
  let cur = doc
  for (const s of segs) {
    if (Array.isArray(cur)) {
      if (!ARRAY_INDEX.test(s)) return undefined
      cur = cur[Number(s)]
    } else if (isObj(cur)) {
      if (!Object.hasOwn(cur, s)) return undefined
      cur = cur[s]
    } else {
      return undefined
    }
  }
  return cur
}

/** A pointer leaf as the json plugin returns it: strings raw, anything else (null too) compact JSON. */
function leafText (v: unknown): string | undefined {
  if (v === undefined) return undefined
  return typeof v === 'string' ? v : JSON.stringify(v)
}

function valueField (name: string): FieldDef<K8sAuditEvent> {
  return defineField({
    name,
    type: 'string',
    arg: 'required',
    argKind: 'key',
    desc: 'Extract a value from the event JSON with a JSON Pointer (RFC 6901), e.g. ' + name + '[/user/username]'
  }, function bindValue (arg) {
    const segs = parsePointer(arg ?? '')
    return function extractValue (ev) {
      return leafText(resolvePointer(ev.obj, segs))
    }
  }, { cache: true })
}

function objField (name: string): FieldDef<K8sAuditEvent> {
  return defineField({ name, type: 'string', desc: 'The full event JSON, pretty-printed with a 2-space indent' }, function bindObj () {
    return function extractObj (ev) {
      return JSON.stringify(ev.obj, null, 2)
    }
  }, { cache: true })
}

function rawtimeField (name: string): FieldDef<K8sAuditEvent> {
  return defineField({ name, type: 'string', desc: 'The event time (stageTimestamp) in nanoseconds since the epoch, as decimal text' }, function bindRawtime () {
    return function extractRawtime (ev) {
      return ev.time.toString()
    }
  }, { cache: true }) // bigint → string is not free and upstream rules test it on every event
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

/** Pre-plugin Falco's jevt.time (`HH:MM:SS.nnnnnnnnn`, local) and jevt.time.iso8601 (UTC, `+0000`). */
function legacyTimeField (name: 'jevt.time' | 'jevt.time.iso8601'): FieldDef<K8sAuditEvent> {
  const iso = name === 'jevt.time.iso8601'
  return defineField({
    name,
    type: 'string',
    desc: iso ? 'Event time as YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000 (UTC), from Falco before plugins' : 'Event time as HH:MM:SS.nnnnnnnnn (local time), from Falco before plugins',
    deprecated: iso ? 'use evt.time.iso8601' : 'use evt.time'
  }, function bindLegacyTime () {
    return function extractLegacyTime (ev) {
      const d = new Date(Number(ev.time / 1_000_000n))
      const ns = pad(Number(ev.time % 1_000_000_000n), 9)
      if (iso) return `${d.toISOString().slice(0, 19)}.${ns}+0000`
      return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${ns}`
    }
  })
}

export const JEVT_FIELDS: readonly FieldDef<K8sAuditEvent>[] = [
  valueField('jevt.value'), valueField('json.value'),
  objField('jevt.obj'), objField('json.obj'),
  rawtimeField('jevt.rawtime'), rawtimeField('json.rawtime'),
  legacyTimeField('jevt.time'), legacyTimeField('jevt.time.iso8601')
]
