// `--dry-run`: load and validate config and rules without opening a port, and say what a real
// start would do. Exit status 0 when everything loads, 1 otherwise.
import type { Config } from '../../config/index.ts'
import type { LoadResult } from '../../rules/index.ts'
import { formatLoadIssue } from '../../rules/index.ts'
import { findingLine, type WebhookPreflight } from './webhook-preflight.ts'

function authOf (config: Config, preflight: WebhookPreflight | undefined): string {
  const ways: string[] = []
  const tls = config.webhook.tls
  if (tls !== undefined && tls.clientAuth !== 'none') ways.push(`client certificate (${tls.clientAuth}, CA ${tls.ca ?? '?'})`)
  if (preflight?.bearerToken !== undefined) ways.push('bearer token')
  if (config.webhook.basicAuth !== undefined) ways.push('basic auth')
  return ways.length === 0 ? 'none' : ways.join(' + ')
}

/** `preflight`: the webhook's files as a real start reads them (audit source). */
export function dryRunReport (config: Config, result: LoadResult, preflight?: WebhookPreflight): { ok: boolean, stdout: string[], stderr: string[] } {
  const stdout: string[] = []
  const stderr = [...result.errors, ...result.warnings].map((i) => formatLoadIssue(i).trimEnd())
  const outputs = (['stdout', 'file', 'program', 'http'] as const).filter((k) => config.outputs[k].enabled)
  stdout.push(`config: ${config.file ?? '(defaults)'}`)
  stdout.push(`source: ${config.source}`)
  stdout.push(`rules: ${config.rulesPaths.join(', ')}${config.defaultRules ? ' (built-in defaults)' : ''}`)
  if (config.source === 'k8s_audit' && config.replayFile !== undefined) {
    // open_params naming a file: serve evaluates it and exits; no webhook starts, so none is reported
    stdout.push(`audit events from: ${config.replayFile} (read once, then exit; no webhook)`)
  } else if (config.source === 'k8s_audit') {
    const wh = config.webhook
    stdout.push(`webhook: ${wh.tls === undefined ? 'http' : 'https'}://${wh.host}:${wh.port}${wh.path}`)
    stdout.push(`webhook authentication: ${authOf(config, preflight)}`)
  }
  const findings = preflight?.findings ?? []
  for (const f of findings) stderr.push(findingLine(f))
  const refused = findings.some((f) => f.severity === 'refuse')
  if (config.admin.enabled) stdout.push(`admin: ${config.admin.host}:${config.admin.port}`)
  stdout.push(`outputs: ${outputs.length === 0 ? '(none)' : outputs.join(', ')} (${config.json.enabled ? 'json' : 'text'})`)
  for (const w of config.warnings) stderr.push(`warning: ${w}`)
  const rs = result.ruleset
  if (refused) stdout.push('refused: the webhook authentication protects nothing (see the errors above)')
  if (result.ok && rs !== undefined && !refused) {
    stdout.push(`rules loaded: ${rs.rules.length}, active for ${config.source}: ${rs.activeCount(config.source)}`)
    stdout.push('ok')
  } else if (!result.ok) {
    stdout.push(`rules failed to load: ${result.errors.length} error(s)`)
  }
  return { ok: result.ok && !refused, stdout, stderr }
}
