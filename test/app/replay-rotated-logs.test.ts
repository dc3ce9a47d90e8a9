// `lanner replay` over kube-apiserver's audit log directory (app/replay/replay-audit.ts): the live log
// and its rotated, gzipped predecessors (--audit-log-compress), oldest first by modification time,
// each file counted on its own; and a log larger than one evaluation chunk stays one file in the
// summary however many batches it is read in. Real audit log lines from ../shared.
import t from 'tap'
import { readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { replayAudit } from '../../src/app/replay/replay-audit.ts'
import { EVAL_CHUNK } from '../../src/app/audit-mode/audit-handler.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import { loadRules } from '../../src/rules/index.ts'
import type { Alert } from '../../src/events/index.ts'
import { AUDIT_SAMPLES_DIR } from '../helpers/apiserver-client.ts'

const RULES = `- rule: Any request
  desc: every audit event
  condition: ka.verb exists
  output: "%ka.verb by %ka.user.name"
  priority: INFO
  source: k8s_audit
`

function ruleset () {
  const res = loadRules([{ name: 'rules.yaml', content: RULES }], { sources: [k8sAuditSource] })
  if (res.ruleset === undefined) throw new Error(JSON.stringify(res.errors))
  return res.ruleset
}

function sampleLines (file: string): string[] {
  return readFileSync(join(AUDIT_SAMPLES_DIR, file), 'utf8').split('\n').filter((l) => l.trim() !== '')
}

t.test('an audit log directory: rotated gzipped logs first (oldest first), then the live one, each counted', async (t) => {
  const older = sampleLines('kodekloud-2024-impersonation.jsonl')
  const newer = sampleLines('k3d-v1.33-linkerd-watch.jsonl')
  const live = sampleLines('elastic-integrations-test-audit.jsonl')
  const dir = t.testdir({ audit: {} })
  const logs = join(dir, 'audit')
  const files = {
    live: join(logs, 'audit.log'),
    // named so that name order and age order disagree
    newer: join(logs, 'audit-2026-01-01T00-00-00.000.log.gz'),
    older: join(logs, 'audit-2026-02-01T00-00-00.000.log.gz')
  }
  writeFileSync(files.live, live.join('\n') + '\n')
  writeFileSync(files.newer, gzipSync(newer.join('\n') + '\n'))
  writeFileSync(files.older, gzipSync(older.join('\n') + '\n'))
  utimesSync(files.older, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'))
  utimesSync(files.newer, new Date('2026-02-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'))
  const alerts: Alert[] = []
  const summary = await replayAudit({ paths: [logs], ruleset: ruleset(), emit: (a) => { alerts.push(a) }, maxEventBytes: 262144 })
  t.same(summary.files.map((f) => [f.file, f.events, f.issues.length]), [
    [files.older, older.length, 0],
    [files.newer, newer.length, 0],
    [files.live, live.length, 0]
  ], 'one entry per file, oldest first, with its own count')
  t.equal(summary.events, older.length + newer.length + live.length)
  t.equal(alerts.length, summary.events, 'every event reached the rules')
  t.same(summary.files.map((f) => f.alerts), [older.length, newer.length, live.length])
})

t.test('a log longer than one evaluation chunk: one file in the summary, every event counted', async (t) => {
  const line = sampleLines('k3d-v1.33-linkerd-watch.jsonl')[0] as string
  const n = EVAL_CHUNK * 2 + 3
  const dir = t.testdir({ 'audit.log': (line + '\n').repeat(n) })
  const summary = await replayAudit({ paths: [join(dir, 'audit.log')], ruleset: ruleset(), emit: () => {}, maxEventBytes: 262144 })
  t.same(summary.files.map((f) => [f.file, f.events, f.alerts]), [[join(dir, 'audit.log'), n, n]])
  t.equal(summary.events, n)
})
