// Falco's alert serialisations (src/outputs/serialize.ts): text line and JSON object, byte for byte.
import t from 'tap'
import type { Alert } from '../../src/events/index.ts'
import { buildAlertFormatter, formatAlertJson, formatAlertText } from '../../src/outputs/index.ts'
import { formatTimeRfc3339 } from '../../src/util/index.ts'
import { loadConfig } from '../../src/config/index.ts'

const alert: Alert = {
  time: 1_470_327_477_881_781_397n, // 2016-08-04T16:17:57.881781397Z
  rule: 'Anonymous Request Allowed',
  priority: 4,
  source: 'k8s_audit',
  tags: ['k8s', 'audit'],
  hostname: 'node-1',
  message: 'Request by "anonymous" (verb=get)',
  outputFields: { 'ka.verb': 'get', 'ka.user.name': 'system:anonymous', 'ka.missing': null }
}

t.test('text line: time of day (UTC, 9 digits), capitalised priority, message', async (t) => {
  t.equal(formatAlertText(alert), '16:17:57.881781397: Warning Request by "anonymous" (verb=get)')
  t.equal(formatAlertText(alert, { timeFormatIso8601: true }), '2016-08-04T16:17:57.881781397+0000: Warning Request by "anonymous" (verb=get)')
  t.equal(formatAlertText({ ...alert, priority: 6, message: 'a\nb\tc' }), '16:17:57.881781397: Informational a\\nb\\tc', 'control characters are escaped')
})

t.test('70: JSON alert keys, order and values', async (t) => {
  const text = formatAlertJson(alert)
  t.equal(text, '{"hostname":"node-1","output":"16:17:57.881781397: Warning Request by \\"anonymous\\" (verb=get)",' +
    '"output_fields":{"evt.time":1470327477881781397,"ka.missing":null,"ka.user.name":"system:anonymous","ka.verb":"get"},' +
    '"priority":"Warning","rule":"Anonymous Request Allowed","source":"k8s_audit","tags":["audit","k8s"],"time":"2016-08-04T16:17:57.881781397Z"}')
  const parsed = JSON.parse(text) as Record<string, unknown>
  t.same(Object.keys(parsed), ['hostname', 'output', 'output_fields', 'priority', 'rule', 'source', 'tags', 'time'])
})

t.test('evt.time stays an exact integer even beyond 2^53', async (t) => {
  const text = formatAlertJson({ ...alert, outputFields: {} })
  t.match(text, /"evt\.time":1470327477881781397[,}]/)
})

t.test('bigint output fields are written as bare JSON numbers, nested or not', async (t) => {
  const text = formatAlertJson({ ...alert, outputFields: { 'evt.rawtime': 1470327477881781397n, l: [1n, 'x'] } })
  t.match(text, /"evt\.rawtime":1470327477881781397,/)
  t.match(text, /"l":\[1,"x"\]/)
})

t.test('JSON options: message, no output/tags/fields, ISO time field', async (t) => {
  const text = formatAlertJson(alert, { includeMessage: true, includeOutput: false, includeTags: false, timeFormatIso8601: true })
  const parsed = JSON.parse(text) as Record<string, unknown>
  t.same(Object.keys(parsed), ['hostname', 'message', 'output_fields', 'priority', 'rule', 'source', 'time'])
  t.equal(parsed.message, alert.message)
  // Falco writes the time field as integer nanoseconds in either time format
  t.match(text, /"output_fields":\{"evt\.time\.iso8601":1470327477881781397,/)
  t.same(Object.keys(parsed.output_fields as object), ['evt.time.iso8601', 'ka.missing', 'ka.user.name', 'ka.verb'])
  t.same(Object.keys(JSON.parse(formatAlertJson(alert, { includeOutputFields: false })) as object), ['hostname', 'output', 'priority', 'rule', 'source', 'tags', 'time'])
})

t.test('RFC 3339 time always has nine fractional digits', async (t) => {
  t.equal(formatTimeRfc3339(1_767_323_045_000_000_001n), '2026-01-02T03:04:05.000000001Z')
  t.equal(formatTimeRfc3339(0n), '1970-01-01T00:00:00.000000000Z')
})

t.test('buildAlertFormatter follows json_output, json_include_* and time_format_iso_8601 from the loaded config', async (t) => {
  const fmt = (...overrides: string[]) => buildAlertFormatter(loadConfig({ overrides }))
  t.equal(fmt('json_output=false')(alert), formatAlertText(alert))
  t.equal(fmt('json_output=false', 'time_format_iso_8601=true')(alert), formatAlertText(alert, { timeFormatIso8601: true }))
  t.equal(fmt('json_output=true')(alert), formatAlertJson(alert), "Falco's defaults: output, output_fields and tags, no message")
  const trimmed = JSON.parse(fmt('json_output=true', 'json_include_output_property=false', 'json_include_tags_property=false', 'json_include_message_property=true', 'json_include_output_fields_property=false')(alert)) as object
  t.same(Object.keys(trimmed), ['hostname', 'message', 'priority', 'rule', 'source', 'time'])
  t.equal((JSON.parse(fmt('json_output=true', 'time_format_iso_8601=true')(alert)) as { output: string }).output, '2016-08-04T16:17:57.881781397+0000: Warning Request by "anonymous" (verb=get)')
})
