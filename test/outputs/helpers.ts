// Shared fixtures for the outputs tests: alerts, and the lines the outputs carry made by the
// product's own Falco JSON formatter (the bytes a consumer such as falcosidekick receives).
import type { Alert } from '../../src/events/index.ts'
import type { Logger } from '../../src/events/index.ts'
import { formatAlertJson } from '../../src/outputs/index.ts'

export function makeAlert (n: number, message = `alert ${n}`): Alert {
  return {
    time: 1700000000000000000n + BigInt(n),
    rule: `rule-${n % 3}`,
    priority: 4,
    source: 'k8s_audit',
    tags: ['k8s'],
    hostname: 'test-host',
    message,
    outputFields: { 'ka.verb': 'create' }
  }
}

/** The alert as Falco's JSON output line (json_output: true, default json_include_* keys). */
export function jsonLine (a: Alert): string {
  return formatAlertJson(a)
}

/** The message part of a JSON line's `output` ("HH:MM:SS.nnnnnnnnn: <Priority> <message>"). */
export function messageOf (line: string): string {
  return (JSON.parse(line) as { output: string }).output.replace(/^\S+: \S+ /, '')
}

export interface CapturedLog extends Logger { lines: Array<{ level: string, obj: Record<string, unknown>, msg?: string }> }

export function captureLogger (): CapturedLog {
  const lines: CapturedLog['lines'] = []
  const at = (level: string) => (obj: object, msg?: string) => { lines.push({ level, obj: obj as Record<string, unknown>, msg }) }
  const log: CapturedLog = { lines, child: () => log, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
  return log
}

export function counters () {
  const c = { delivered: new Map<string, number>(), failed: new Map<string, number>(), dropped: new Map<string, number>() }
  const add = (m: Map<string, number>) => (ch: string, n: number) => { m.set(ch, (m.get(ch) ?? 0) + n) }
  return { c, hooks: { delivered: add(c.delivered), failed: add(c.failed), dropped: add(c.dropped) } }
}

/**
 * Poll until `check` is true: for children and servers whose completion we do not control. The
 * bound (30 s) is reached only when something is broken; a loaded machine takes seconds to spawn.
 */
export async function until (check: () => boolean | Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const start = Date.now()
  while (!(await check())) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
