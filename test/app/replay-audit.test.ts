// replayAudit (app/replay/replay-audit.ts): files through a real loaded ruleset, with per-rule counts, per-file summaries and
// the malformed lines reported with their numbers.
import t from 'tap'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import type { AuditIssue } from '../../src/audit/index.ts'
import { replayAudit } from '../../src/app/replay/replay-audit.ts'
import { loadRules } from '../../src/rules/index.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import type { Alert } from '../../src/events/index.ts'

const RULES = `
- rule: Exec
  desc: exec into a pod
  condition: ka.target.subresource = exec
  output: exec by %ka.user.name into %ka.target.name
  priority: NOTICE
  source: k8s_audit
  tags: [k8s]
- rule: Any create
  desc: any create
  condition: ka.verb = create
  output: create %ka.target.resource
  priority: INFO
  source: k8s_audit
`

function loadRuleset () {
  const res = loadRules([{ name: 'test.yaml', content: RULES }], { sources: [k8sAuditSource] })
  if (res.ruleset === undefined) throw new Error(JSON.stringify(res.errors))
  return res.ruleset
}

function ev (id: string, verb: string, sub?: string): string {
  const objectRef: Record<string, string> = { resource: 'pods', name: `pod-${id}` }
  if (sub !== undefined) objectRef.subresource = sub
  return JSON.stringify({ kind: 'Event', auditID: id, verb, user: { username: 'u' }, objectRef, stageTimestamp: '2024-01-02T03:04:05Z' })
}

t.test('counts events and alerts per rule and per file', async (t) => {
  const dir = t.testdir({
    'one.log': [ev('1', 'create', 'exec'), ev('2', 'get'), 'garbage', ev('3', 'create')].join('\n') + '\n',
    'two.log': [ev('4', 'get', 'exec'), '{"kind": 0}'].join('\n') + '\n'
  })
  const alerts: Alert[] = []
  const seen: AuditIssue[] = []
  const summary = await replayAudit({
    paths: [join(dir, 'one.log'), join(dir, 'two.log')],
    ruleset: loadRuleset(),
    emit: function collect (a) { alerts.push(a) },
    onIssue: function note (i) { seen.push(i) },
    maxEventBytes: 262144
  })
  t.equal(summary.events, 4)
  // rule_matching defaults to Falco's 'first': event 1 matches both rules, alerts once
  t.same(summary.rules, { Exec: 2, 'Any create': 1 })
  t.equal(summary.alerts, 3)
  t.equal(alerts.length, 3)
  t.equal(alerts[0]?.message, 'exec by u into pod-1')
  t.equal(alerts[0]?.source, 'k8s_audit')
  t.same(summary.issues.map((i) => [i.code, i.file, i.line]), [
    ['ERR_AUDIT_BAD_JSON', join(dir, 'one.log'), 3],
    ['ERR_AUDIT_NOT_RECOGNIZED', join(dir, 'two.log'), 2]
  ])
  t.same(seen, summary.issues, 'onIssue sees each issue as it is found')
  t.same(summary.files.map((f) => [f.file, f.events, f.alerts, f.issues.length]), [
    [join(dir, 'one.log'), 3, 2, 1],
    [join(dir, 'two.log'), 1, 1, 1]
  ])
})

t.test("replays stdin with '-'", async (t) => {
  const stdin = new PassThrough()
  stdin.end(ev('1', 'create', 'exec') + '\n')
  const summary = await replayAudit({ paths: ['-'], stdin, ruleset: loadRuleset(), emit: () => {}, maxEventBytes: 262144 })
  t.same(summary.rules, { Exec: 1 })
  t.same(summary.files.map((f) => f.file), ['-'])
})

t.test('an unreadable path is reported and the others still replay', async (t) => {
  const dir = t.testdir({ 'ok.log': ev('1', 'create') + '\n' })
  const summary = await replayAudit({ paths: [join(dir, 'missing.log'), join(dir, 'ok.log')], ruleset: loadRuleset(), emit: () => {}, maxEventBytes: 262144 })
  t.same(summary.issues.map((i) => i.code), ['ERR_AUDIT_READ_FAILED'])
  t.equal(summary.events, 1)
  t.same(summary.rules, { 'Any create': 1 })
})
