// `--dry-run`: load and validate config and rules without opening a port, and say what a real
// start would do. Exit status 0 when everything loads, 1 otherwise.
import type { Config } from '../config/index.ts'
import type { LoadResult } from '../rules/index.ts'
import { formatLoadIssue } from '../rules/index.ts'

export function dryRunReport (config: Config, result: LoadResult): { ok: boolean, stdout: string[], stderr: string[] } {
  const stdout: string[] = []
  const stderr = [...result.errors, ...result.warnings].map((i) => formatLoadIssue(i).trimEnd())
  const outputs = (['stdout', 'file', 'program', 'http'] as const).filter((k) => config.outputs[k].enabled)
  stdout.push(`config: ${config.file ?? '(defaults)'}`)
  stdout.push(`source: ${config.source}`)
  stdout.push(`rules: ${config.rulesPaths.join(', ')}${config.defaultRules ? ' (built-in defaults)' : ''}`)
  if (config.source === 'k8s_audit') {
    const wh = config.webhook
    stdout.push(`webhook: ${wh.tls === undefined ? 'http' : 'https'}://${wh.host}:${wh.port}${wh.path}`)
  }
  if (config.admin.enabled) stdout.push(`admin: ${config.admin.host}:${config.admin.port}`)
  stdout.push(`outputs: ${outputs.length === 0 ? '(none)' : outputs.join(', ')} (${config.json.enabled ? 'json' : 'text'})`)
  for (const w of config.warnings) stderr.push(`warning: ${w}`)
  const rs = result.ruleset
  if (result.ok && rs !== undefined) {
    stdout.push(`rules loaded: ${rs.rules.length}, active for ${config.source}: ${rs.activeCount(config.source)}`)
    stdout.push('ok')
  } else {
    stdout.push(`rules failed to load: ${result.errors.length} error(s)`)
  }
  return { ok: result.ok, stdout, stderr }
}
