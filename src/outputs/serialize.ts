// Falco's two alert serialisations, shared by every output: the text line ("HH:MM:SS.nnnnnnnnn:
// Priority message") and the JSON object (keys in alphabetical order, as nlohmann's sorted objects
// print them), chosen by json_output and the json_include_* settings. The engine renders the
// message (rules/format/output-format.ts); this serialises the alert around it. JSON is written as
// text so nanosecond times stay exact integers.
import type { Config } from '../config/index.ts'
import { PRIORITY_NAMES, type Alert, type JsonValue } from '../events/index.ts'
import { formatTimeIso8601, formatTimeOfDay, formatTimeRfc3339 } from '../util/index.ts'
import type { AlertFormatter } from './types.ts'

export interface TextFormatOptions { timeFormatIso8601?: boolean }
export interface JsonFormatOptions extends TextFormatOptions {
  includeOutput?: boolean
  includeTags?: boolean
  includeMessage?: boolean
  includeOutputFields?: boolean
}

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/g
const CONTROL_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' }

/** Control characters escaped as JSON would (so one alert is one line); quotes are kept. */
export function escapeControl (s: string): string {
  return s.replace(CONTROL_RE, (c) => CONTROL_ESCAPES[c] ?? '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
}

function outputLine (alert: Alert, opts: TextFormatOptions): string {
  const t = opts.timeFormatIso8601 === true ? formatTimeIso8601(alert.time) : formatTimeOfDay(alert.time)
  return `${t}: ${PRIORITY_NAMES[alert.priority] ?? 'Debug'} ${alert.message}`
}

/** The text alert line, one line (control characters escaped). */
export function formatAlertText (alert: Alert, opts: TextFormatOptions = {}): string {
  return escapeControl(outputLine(alert, opts))
}

/** The JSON alert as one line of JSON text. */
export function formatAlertJson (alert: Alert, opts: JsonFormatOptions = {}): string {
  const out: string[] = []
  const put = (k: string, v: string): void => { out.push(`${JSON.stringify(k)}:${v}`) }
  put('hostname', JSON.stringify(alert.hostname))
  if (opts.includeMessage === true) put('message', JSON.stringify(alert.message))
  if (opts.includeOutput !== false) put('output', JSON.stringify(outputLine(alert, opts)))
  if (opts.includeOutputFields !== false) put('output_fields', outputFieldsJson(alert, opts))
  put('priority', JSON.stringify(PRIORITY_NAMES[alert.priority] ?? 'Debug'))
  put('rule', JSON.stringify(alert.rule))
  put('source', JSON.stringify(alert.source))
  if (opts.includeTags !== false) put('tags', JSON.stringify([...alert.tags].sort()))
  put('time', JSON.stringify(formatTimeRfc3339(alert.time)))
  return `{${out.join(',')}}`
}

/** JSON text of an output field value; bigint becomes a bare (exact) JSON number. */
export function jsonText (v: JsonValue): string {
  if (typeof v === 'bigint') return v.toString()
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(',')}}`
  return JSON.stringify(v)
}

/** output_fields with the time field Falco adds (`evt.time` or `evt.time.iso8601`, both integer ns), keys sorted. */
function outputFieldsJson (alert: Alert, opts: TextFormatOptions): string {
  // the event time goes first so it wins over a rule's own %evt.time token (exact ns integer)
  const entries: Array<[string, string]> = opts.timeFormatIso8601 === true
    ? [['evt.time.iso8601', alert.time.toString()]]
    : [['evt.time', alert.time.toString()]]
  for (const [k, v] of Object.entries(alert.outputFields)) entries.push([k, jsonText(v)])
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const seen = new Set<string>()
  const parts: string[] = []
  for (const [k, v] of entries) {
    if (seen.has(k)) continue
    seen.add(k)
    parts.push(`${JSON.stringify(k)}:${v}`)
  }
  return `{${parts.join(',')}}`
}

/** The serialisation the config asks for: text, or JSON with its json_include_* keys. */
export function buildAlertFormatter (cfg: Pick<Config, 'json' | 'timeFormatIso8601'>): AlertFormatter {
  const iso = cfg.timeFormatIso8601
  if (!cfg.json.enabled) {
    const textOpts = { timeFormatIso8601: iso }
    return function formatText (alert) { return formatAlertText(alert, textOpts) }
  }
  const jsonOpts = {
    timeFormatIso8601: iso,
    includeOutput: cfg.json.includeOutput,
    includeTags: cfg.json.includeTags,
    includeMessage: cfg.json.includeMessage,
    includeOutputFields: cfg.json.includeOutputFields
  }
  return function formatJson (alert) { return formatAlertJson(alert, jsonOpts) }
}
