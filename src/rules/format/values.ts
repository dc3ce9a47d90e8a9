// Field values as alerts show them: text in the message (`<NA>` when absent, lists as `(a,b)`)
// and JSON values in output_fields (null when absent, bigint → number only when exact). Time
// print modes render as Falco's text in the message only; JSON keeps the ns integer.
import type { JsonValue } from '../../events/index.ts'
import type { FieldInfo, FieldValue, Scalar } from '../../fields/index.ts'
import { formatTimeIso8601, formatTimeOfDay } from '../../util/index.ts'

export const NA = '<NA>'
const textDecoder = new TextDecoder()

function scalarText (v: Scalar, print: FieldInfo['print']): string {
  switch (typeof v) {
    case 'string': return v
    case 'number':
      if (print === 'hex' && Number.isInteger(v)) return '0x' + v.toString(16)
      if (print === 'oct' && Number.isInteger(v)) return '0' + v.toString(8)
      return String(v)
    case 'bigint':
      switch (print) {
        case 'hex': return '0x' + v.toString(16)
        case 'oct': return '0' + v.toString(8)
        case 'time': return formatTimeOfDay(v)
        case 'iso8601': return formatTimeIso8601(v)
        case 'datetime': return formatDateTime(v)
      }
      return v.toString()
    case 'boolean': return v ? 'true' : 'false'
    // bytes; anything else breaks the extractor contract (null, objects from JSON): shown as
    // absent rather than throwing out of render, which would escape evaluate()
    default: return ArrayBuffer.isView(v) ? textDecoder.decode(v) : NA
  }
}

/** Falco's `%evt.datetime`: `2016-08-04 16:17:57.881781397` (UTC, as every Lanner time). */
function formatDateTime (ns: bigint): string {
  const iso = formatTimeIso8601(ns) // YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000
  return iso.slice(0, 10) + ' ' + iso.slice(11, iso.length - 5)
}

export function valueText (v: FieldValue, print?: FieldInfo['print']): string {
  if (v === undefined) return NA
  if (Array.isArray(v)) return v.length === 0 ? NA : '(' + v.map((x) => scalarText(x as Scalar, print)).join(',') + ')'
  return scalarText(v as Scalar, print)
}

function scalarJson (v: Scalar, print: FieldInfo['print']): JsonValue {
  switch (typeof v) {
    case 'string': case 'boolean': return v
    case 'number': return print === 'hex' || print === 'oct' ? scalarText(v, print) : v
    case 'bigint':
      if (print === 'hex' || print === 'oct') return scalarText(v, print)
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
    default: return ArrayBuffer.isView(v) ? textDecoder.decode(v) : null
  }
}

export function valueJson (v: FieldValue, print?: FieldInfo['print']): JsonValue {
  if (v === undefined) return null
  if (Array.isArray(v)) return v.length === 0 ? null : v.map((x) => scalarJson(x as Scalar, print))
  return scalarJson(v as Scalar, print)
}
