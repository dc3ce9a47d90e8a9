// `lanner replay`: evaluate audit events from files (JSON lines, EventList, array; `-` for stdin;
// gzip) with the same config, rules and outputs as `serve`. Alerts go to the outputs (stdout by
// default); the summary goes to stderr. Malformed input is reported, never fatal: exit 1 is only
// for config or rules errors.
import { loadConfig } from '../config/index.ts'
import { AppError } from '../errors/index.ts'
import { replayAudit, type AuditIssue, type ReplaySummary } from '../audit/index.ts'
import { buildApp } from '../app/build.ts'
import { describeIssues } from '../app/rules-manager.ts'
import { formatLoadIssue } from '../rules/index.ts'
import type { CliIO } from './index.ts'
import { configOptionsOf, parseCommonArgs, SHARED_OPTIONS_HELP } from './args.ts'

const REPLAY_FLAGS = new Set(['config', 'rules', 'overrides', 'tagsKeep', 'tagsDrop', 'json', 'help'] as const)

const HELP = `usage: lanner replay [options] FILE...

Evaluate k8s audit events from files (JSON lines as the apiserver log backend writes them, an
EventList document or a JSON array; '-' for stdin; gzip accepted) with the k8s_audit rules.
Alerts go to the configured outputs (stdout by default); a summary goes to stderr.

options:
${SHARED_OPTIONS_HELP}      --json               JSON alerts (same as -o json_output=true)
`

function where (i: AuditIssue): string {
  const file = i.file ?? ''
  if (i.line !== undefined) return `${file}:${i.line}`
  if (i.index !== undefined) return `${file} (event #${i.index + 1})`
  return file
}

export function formatReplaySummary (s: ReplaySummary): string[] {
  const lines = [`replay: ${s.events} event(s) read from ${s.files.length} file(s), ${s.alerts} alert(s)`]
  const rules = Object.entries(s.rules).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  for (const [rule, n] of rules) lines.push(`  ${String(n).padStart(7)}  ${rule}`)
  if (s.issues.length > 0) {
    lines.push(`replay: ${s.issues.length} problem(s) skipped:`)
    for (const i of s.issues) lines.push(`  ${where(i)}: ${i.code}: ${i.message}`)
  }
  return lines
}

export async function run (argv: string[], io: CliIO): Promise<number> {
  const args = parseCommonArgs(argv, REPLAY_FLAGS)
  if (args.help) { io.stdout.write(HELP); return 0 }
  if (args.positional.length === 0) throw new AppError('ERR_CLI_USAGE', 'no input: give one or more files, directories or - for stdin')
  const config = loadConfig({ ...configOptionsOf(args, args.json ? ['json_output=true'] : []), source: 'k8s_audit' })
  // a replay is a batch job: process metrics and the admin/webhook servers are not started
  const app = await buildApp(config, { stdout: io.stdout, defaultMetrics: false })
  const loaded = await app.rules.load()
  for (const w of describeIssues(loaded.warnings)) app.logger.debug({ warning: w }, 'rules warning')
  if (!loaded.ok || loaded.ruleset === undefined) {
    for (const e of loaded.errors) io.stderr.write(`lanner replay: ${formatLoadIssue(e)}`)
    await app.dispatcher.close(1000)
    return 1
  }
  const summary = await replayAudit({
    paths: args.positional,
    ruleset: loaded.ruleset,
    emit: app.emit,
    maxEventBytes: config.webhook.maxEventBytes,
    stdin: io.stdin
  })
  const drained = await app.dispatcher.close(config.outputs.drainTimeoutMs)
  for (const l of formatReplaySummary(summary)) io.stderr.write(l + '\n')
  if (!drained) io.stderr.write('replay: some alerts could not be delivered before the deadline\n')
  return 0
}
