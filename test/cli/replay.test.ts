// `lanner replay` through a real child process: JSON lines with a malformed line, an EventList
// document, gzip, stdin; alerts on stdout, the summary on stderr; exit codes.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { runLanner } from '../integration/cli-child.ts'
import { auditEvent, createRule, eventList } from '../app/fixtures.ts'

function fixture (t: { testdir(f: Record<string, string>): string }) {
  const lines = [
    JSON.stringify(auditEvent({ name: 'one' })),
    '{"kind":"Event", this is not json',
    JSON.stringify(auditEvent({ resource: 'secrets', name: 'two' })),
    JSON.stringify(auditEvent({ verb: 'get' })),
    JSON.stringify(auditEvent({ name: 'three' }))
  ]
  const dir = t.testdir({
    'rules.yaml': createRule('ConfigMap Created') + createRule('Secret Created', 'secrets').replace('tags: [k8s, test]', 'tags: [k8s, secrets]'),
    'audit.log': lines.join('\n') + '\n',
    'list.json': eventList([auditEvent({ resource: 'secrets', name: 'from-list' })])
  })
  writeFileSync(path.join(dir, 'audit.log.gz'), gzipSync(lines.join('\n') + '\n'))
  return { dir, rules: path.join(dir, 'rules.yaml'), log: path.join(dir, 'audit.log') }
}

t.test('JSON lines: alerts on stdout, malformed lines reported with their line numbers, exit 0', async (t) => {
  const f = fixture(t)
  const r = await runLanner(['replay', '-r', f.rules, f.log])
  t.equal(r.code, 0, r.stderr)
  const out = r.stdout.trimEnd().split('\n')
  t.equal(out.length, 3)
  t.match(out[0], /^\d\d:\d\d:\d\d\.\d{9}: Warning ConfigMap Created fired \(user=alice name=one\)$/, 'text alerts by default')
  t.match(r.stderr, /replay: 4 event\(s\) read from 1 file\(s\), 3 alert\(s\)/)
  t.match(r.stderr, /\s2\s+ConfigMap Created\n/)
  t.match(r.stderr, /\s1\s+Secret Created\n/)
  t.match(r.stderr, new RegExp(`${f.log.replace(/[.]/g, '\\.')}:2: ERR_AUDIT_BAD_JSON`), 'the malformed line is named by number')
})

t.test('--json, -T, EventList documents, gzip and stdin', async (t) => {
  const f = fixture(t)
  const r = await runLanner(['replay', '--json', '-r', f.rules, '-T', 'secrets', path.join(f.dir, 'list.json'), path.join(f.dir, 'audit.log.gz'), '-'], { stdin: JSON.stringify(auditEvent({ name: 'stdin' })) + '\n' })
  t.equal(r.code, 0, r.stderr)
  const alerts = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
  t.same(alerts.map((a) => a.output_fields['ka.target.name']), ['one', 'three', 'stdin'], '-T secrets dropped the Secret rule; gzip and stdin were read')
  t.match(alerts[0], { rule: 'ConfigMap Created', priority: 'Warning', source: 'k8s_audit', time: '2026-01-02T03:04:05.123456789Z' })
  t.match(r.stderr, /replay: 6 event\(s\) read from 3 file\(s\), 3 alert\(s\)/)
})

t.test('-o and -c apply as in serve; file output receives the alerts', async (t) => {
  const f = fixture(t)
  const out = path.join(f.dir, 'alerts.jsonl')
  writeFileSync(path.join(f.dir, 'falco.yaml'), `json_output: true\nstdout_output: {enabled: false}\nfile_output: {enabled: true, filename: alerts.jsonl}\nrules_files: [rules.yaml]\n`)
  const r = await runLanner(['replay', '-c', path.join(f.dir, 'falco.yaml'), '-o', 'json_include_message_property=true', f.log])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, '', 'stdout output disabled')
  const lines = (await import('node:fs')).readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l))
  t.equal(lines.length, 3)
  t.equal(lines[0].message, 'ConfigMap Created fired (user=alice name=one)')
})

t.test('without -r the built-in default rules are used', async (t) => {
  const f = fixture(t)
  const r = await runLanner(['replay', f.log])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /replay: 4 event\(s\) read/)
})

t.test('exit 1 for config or rules errors and for an input that does not exist; no input is a usage error', async (t) => {
  const f = fixture(t)
  const badRules = await runLanner(['replay', '-r', path.join(f.dir, 'nope.yaml'), f.log])
  t.equal(badRules.code, 1)
  t.match(badRules.stderr, /LOAD_ERR_FILE_READ/)
  const missingFile = await runLanner(['replay', '-r', f.rules, path.join(f.dir, 'missing.log')])
  t.equal(missingFile.code, 1, 'a path that does not exist fails the replay (it was "0 events read", exit 0)')
  t.equal(missingFile.stderr, `lanner replay: ERR_AUDIT_READ_FAILED: cannot read ${path.join(f.dir, 'missing.log')}: no such file or directory (ENOENT)\n`, 'one clear line')
  t.equal(missingFile.stdout, '')
  const noSuch = await runLanner(['replay', '/no/such/file'])
  t.equal(noSuch.code, 1)
  t.match(noSuch.stderr, /cannot read \/no\/such\/file: no such file or directory/)
  const oneOfTwo = await runLanner(['replay', '-r', f.rules, f.log, path.join(f.dir, 'missing.log')])
  t.equal(oneOfTwo.code, 1, 'nothing is replayed when one of the inputs is missing')
  t.equal(oneOfTwo.stdout, '')
  const usage = await runLanner(['replay'])
  t.equal(usage.code, 2)
})
