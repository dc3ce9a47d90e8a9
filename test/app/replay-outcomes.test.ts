// What `lanner replay` reports besides alerts (app/replay/replay.ts): rules that do not load end it with
// code 1 and their file:line:col errors; malformed input is listed under the file and line it was
// on (never fatal); a dead consumer cannot hang it: the outputs are declared stalled, the rest is
// dropped and counted, and the summary says some alerts were not delivered.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { PassThrough, Writable } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { runReplay } from '../../src/app/replay/replay.ts'
import { AUDIT_SAMPLES_DIR } from '../helpers/apiserver-client.ts'
import { auditEvent, createRule } from './fixtures.ts'

function collect (): { stream: PassThrough, lines: () => Array<Record<string, unknown>> } {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (b: Buffer) => { text += b.toString() })
  return { stream, lines: () => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) }
}

t.test('rules that do not load: code 1 and their errors, nothing replayed', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('Broken', 'configmaps', ' and ka.no.such.field=1'), 'audit.jsonl': JSON.stringify(auditEvent()) + '\n' })
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')], overrides: ['lanner.log_format=json'] })
  const stdout = new PassThrough()
  let alerts = ''
  stdout.on('data', (b: Buffer) => { alerts += b.toString() })
  const r = await runReplay(config, [path.join(dir, 'audit.jsonl')], { stdout, stdin: new PassThrough(), logDest: new PassThrough() })
  t.equal(r.code, 1)
  t.match(r.report, [/rules\.yaml:3:67: RULE_COMPILE_UNKNOWN_FIELD: 'ka\.no\.such\.field' is not a supported filter field/])
  t.equal(alerts, '', 'no alert')
})

t.test('malformed lines among real audit log lines are listed by file and line; the rest is replayed', async (t) => {
  // a real apiserver log line (audit log backend: one Event per line), then two broken lines
  const real = readFileSync(path.join(AUDIT_SAMPLES_DIR, 'k3d-v1.33-linkerd-watch.jsonl'), 'utf8').split('\n')[0] ?? ''
  const dir = t.testdir({ 'rules.yaml': createRule('Any Create'), 'audit.jsonl': `${real}\n{"kind": "Event", "verb": \n${JSON.stringify({ ...auditEvent(), stageTimestamp: undefined, requestReceivedTimestamp: undefined })}\n` })
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')], overrides: ['lanner.log_format=json', 'json_output=true'] })
  const file = path.join(dir, 'audit.jsonl')
  const r = await runReplay(config, [file], { stdout: new PassThrough(), stdin: new PassThrough(), logDest: new PassThrough() })
  t.equal(r.code, 0, 'malformed input is not fatal')
  const problems = r.report.indexOf('replay: 2 problem(s) skipped:')
  t.ok(problems > 0, 'the problems are counted')
  t.match(r.report.slice(problems + 1), [new RegExp(`^  ${file}:2: ERR_AUDIT_BAD_JSON: `), new RegExp(`^  ${file}:3: ERR_AUDIT_NO_TIMESTAMP: `)])
  t.match(r.report[0], /^replay: 1 event\(s\) read from 1 file\(s\)/)
})

t.test('a bad item of an EventList document is named by its position in the list', async (t) => {
  // a real event (minikube, kubectl exec) in a pretty-printed EventList document (a document, not
  // JSON lines: positions are list indexes), then an item that is not an event
  const real = JSON.parse(readFileSync(path.join(AUDIT_SAMPLES_DIR, 'minikube-kubectl-1.31-exec-websocket.json'), 'utf8')) as Record<string, unknown>
  const dir = t.testdir({ 'rules.yaml': createRule('Any Create'), 'list.json': JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [real, 42] }, null, 2) })
  const file = path.join(dir, 'list.json')
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')], overrides: ['lanner.log_format=json'] })
  const r = await runReplay(config, [file], { stdout: new PassThrough(), stdin: new PassThrough(), logDest: new PassThrough() })
  t.equal(r.code, 0)
  t.match(r.report[0], /^replay: 1 event\(s\) read from 1 file\(s\)/)
  t.match(r.report.slice(r.report.indexOf('replay: 1 problem(s) skipped:') + 1), [new RegExp(`^  ${file} \\(event #2\\): ERR_AUDIT_NOT_OBJECT: `)])
})

t.test('a consumer that takes nothing: outputs declared stalled, the replay ends and says what was lost', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const file = path.join(dir, 'audit.jsonl')
  writeFileSync(file, Array.from({ length: 40 }, (_, i) => JSON.stringify(auditEvent({ name: `cm-${i}` }))).join('\n') + '\n')
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')], overrides: ['json_output=true', 'lanner.log_format=json', 'lanner.outputs={queue_size: 4, drain_timeout_ms: 300}'] })
  // a stdout that never completes a write (a consumer stopped with SIGSTOP, say)
  const held: Array<() => void> = []
  const stuck = new Writable({ highWaterMark: 1, write (_c, _e, cb) { held.push(cb) } })
  t.teardown(() => { for (const cb of held.splice(0)) cb() })
  const logs = collect()
  const r = await runReplay(config, [file], { stdout: stuck, stdin: new PassThrough(), logDest: logs.stream })
  t.equal(r.code, 0)
  t.match(r.report[0], /^replay: 40 event\(s\) read from 1 file\(s\), 40 alert\(s\)$/, 'every event was still evaluated')
  t.equal(r.report.at(-1), 'replay: some alerts could not be delivered before the deadline')
  const stalled = logs.lines().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('outputs stalled'))
  t.equal(stalled.length, 1, 'declared stalled once, then the replay stops waiting')
  t.match(stalled[0], { level: 40, stallMs: 300 })
})
