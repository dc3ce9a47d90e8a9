// The alert line at its edges: a command line carrying terminal escapes stays one inert line, and
// a rule that prints %evt.time itself gets one evt.time in output_fields, the event's exact
// nanoseconds (the key Falco adds), not the rule's rendered text next to it.
import t from 'tap'
import { formatAlertJson, formatAlertText } from '../../src/outputs/index.ts'
import { makeAlert } from './helpers.ts'

t.test('terminal escapes and newlines in a message are escaped: one line, nothing a terminal would act on', async (t) => {
  const alert = makeAlert(1, 'shell ran (cmdline=printf \u001b[2J\u001b[31mpwned\nfake line\u0007)')
  const text = formatAlertText(alert)
  t.equal(text.split('\n').length, 1, 'one line')
  t.match(text, / Warning shell ran \(cmdline=printf \\u001b\[2J\\u001b\[31mpwned\\nfake line\\u0007\)$/)
  t.notMatch(text, /[\u0000-\u001f]/, 'no raw control character left')
  const json = formatAlertJson(alert)
  t.equal(JSON.parse(json).output.endsWith('shell ran (cmdline=printf \u001b[2J\u001b[31mpwned\nfake line\u0007)'), true, 'JSON keeps the text, escaped by JSON itself')
  t.notMatch(json, /[\u0000-\u001f]/)
})

t.test('a rule\'s own %evt.time in output_fields: the event\'s exact nanoseconds win, once', async (t) => {
  const alert = { ...makeAlert(3), outputFields: { 'evt.time': '22:13:20.000000003', 'ka.verb': 'create', 'a.first': 'x' } }
  const fields = formatAlertJson(alert).match(/"output_fields":(\{[^}]*\})/)?.[1]
  t.equal(fields, '{"a.first":"x","evt.time":1700000000000000003,"ka.verb":"create"}', 'sorted keys, one evt.time, the integer')
  const iso = formatAlertJson(alert, { timeFormatIso8601: true }).match(/"output_fields":(\{[^}]*\})/)?.[1]
  t.equal(iso, '{"a.first":"x","evt.time":"22:13:20.000000003","evt.time.iso8601":1700000000000000003,"ka.verb":"create"}',
    'with time_format_iso_8601 the added key is evt.time.iso8601, and the rule\'s evt.time stays as rendered')
})
