// `lanner replay` (app/replay/replay.ts) with a path that cannot be read among real ones: the others are
// replayed and the summary names the unreadable one by its path alone (no line: nothing of it was
// read), never fatal. And the rules' warnings, which replay keeps out of a batch job's output, are
// still there at log_level debug.
import t from 'tap'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { runReplay } from '../../src/app/replay/replay.ts'
import { auditEvent, createRule } from './fixtures.ts'

function collectJsonLines (): { stream: PassThrough, records: () => Array<Record<string, unknown>> } {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (b: Buffer) => { text += b.toString() })
  return { stream, records: () => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) }
}

t.test('an unreadable path: listed by its path alone, the readable file replayed, exit code 0', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created'), 'audit.jsonl': JSON.stringify(auditEvent()) + '\n' })
  const missing = path.join(dir, 'rotated-away.log')
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')], overrides: ['lanner.log_format=json', 'json_output=true'] })
  const alerts = collectJsonLines()
  const r = await runReplay(config, [path.join(dir, 'audit.jsonl'), missing], { stdout: alerts.stream, stdin: new PassThrough(), logDest: new PassThrough() })
  t.equal(r.code, 0, 'an unreadable input is reported, not fatal')
  t.match(r.report[0], /^replay: 1 event\(s\) read from 2 file\(s\), 1 alert\(s\)$/)
  const at = r.report.indexOf('replay: 1 problem(s) skipped:')
  t.ok(at > 0, 'the problem is counted')
  t.equal(r.report[at + 1]?.startsWith(`  ${missing}: ERR_AUDIT_READ_FAILED: cannot read ${missing}: ENOENT: `), true, r.report[at + 1] ?? 'no line')
  t.match(alerts.records(), [{ rule: 'ConfigMap Created', output_fields: { 'ka.target.name': 'cm1' } }])
})

t.test('rules warnings: left out of the report, logged at debug', async (t) => {
  const rules = `${createRule('ConfigMap Created')}
- macro: never_used
  condition: ka.verb=delete
`
  const dir = t.testdir({ 'rules.yaml': rules, 'audit.jsonl': JSON.stringify(auditEvent()) + '\n' })
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')], overrides: ['lanner.log_format=json', 'log_level=debug'] })
  const logs = collectJsonLines()
  const r = await runReplay(config, [path.join(dir, 'audit.jsonl')], { stdout: new PassThrough(), stdin: new PassThrough(), logDest: logs.stream })
  t.equal(r.code, 0)
  t.notMatch(r.report.join('\n'), /never_used/, 'a warning is not a replay problem')
  t.match(logs.records().filter((l) => l.msg === 'rules warning'), [{ level: 20, warning: /rules\.yaml:\d+:\d+: LOAD_UNUSED_MACRO: .*never_used/ }])
})
