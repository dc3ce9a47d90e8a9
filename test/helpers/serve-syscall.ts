// `lanner serve --source syscall` on the real probe for end-to-end tests: started from a config
// file, awaited through /readyz (ready = the probe attached and records flowing), its JSON alerts
// read from the file output. Reports why it cannot run here (unsupported kernel) instead of failing.
import { readFileSync } from 'node:fs'
import { adminPort, request, startServe, until, type ServeChild } from './serve-child.ts'
import { probeRequired } from './probe-required.ts'

interface Teardown { teardown(fn: () => void | Promise<void>): void }

/** One alert as the file output writes it with json_output: true. */
export interface JsonAlert {
  output: string
  priority: string
  rule: string
  source: string
  tags?: string[]
  time: string
  output_fields: Record<string, unknown>
}

export interface SyscallServe {
  serve: ServeChild
  admin: string
  /** every alert written so far */
  alerts(): JsonAlert[]
  /** the first alert matching `pred`, polled (bounded); undefined after `limitMs` */
  alertWhere(pred: (a: JsonAlert) => boolean, limitMs?: number): Promise<JsonAlert | undefined>
}

// the probe may be compiled first: allow more than the default wait
const PROBE_LIMIT_MS = 90_000

function readAlerts (file: string): JsonAlert[] {
  let text: string
  try { text = readFileSync(file, 'utf8') } catch { return [] }
  const out: JsonAlert[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try { out.push(JSON.parse(line) as JsonAlert) } catch { /* a line still being written */ }
  }
  return out
}

/**
 * Starts serve with `-c config` and waits until /readyz answers 200. Resolves with the reason
 * when the probe is unsupported here (ERR_SYSCALL_UNSUPPORTED), so the caller can skip
 * (probeUnsupported in probe-required.ts); throws instead where the probe is required (CI as root).
 * The config must enable the webserver on loopback and a JSON file output at `alertsFile`.
 */
export async function startSyscallServe (t: Teardown, config: string, alertsFile: string, env: NodeJS.ProcessEnv = {}): Promise<SyscallServe | string> {
  const serve = startServe(t, ['serve', '--source', 'syscall', '-c', config], { env })
  const admin = `http://127.0.0.1:${await adminPort(serve, PROBE_LIMIT_MS)}`
  const start = Date.now()
  for (;;) {
    if (serve.child.exitCode !== null || serve.child.signalCode !== null) {
      await serve.exited
      const reason = /ERR_SYSCALL_UNSUPPORTED[^\n]*/.exec(serve.stderr())?.[0]
      if (reason !== undefined) {
        // CI runs as root on a kernel with BTF: there an unsupported probe fails the test
        if (probeRequired()) throw new Error(`the probe must run here (CI as root), but: ${reason}`)
        return reason
      }
      throw new Error(`serve exited early: ${serve.stderr().slice(-3000)}`)
    }
    if ((await request(`${admin}/readyz`)).status === 200) break
    if (Date.now() - start > PROBE_LIMIT_MS) throw new Error(`serve not ready within ${PROBE_LIMIT_MS} ms: ${serve.stderr().slice(-3000)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    serve,
    admin,
    alerts: () => readAlerts(alertsFile),
    async alertWhere (pred, limitMs = 20_000) {
      try {
        return await until(() => readAlerts(alertsFile).find(pred), 'an alert', limitMs, 50)
      } catch {
        return undefined
      }
    }
  }
}

/** The yaml block of a section of ../shared/reference/seed-examples.md, as users copy it. */
export function seedYamlBlock (markdown: string, heading: string): string {
  const at = markdown.indexOf(heading)
  if (at < 0) throw new Error(`no '${heading}' section in seed-examples.md`)
  const m = /```yaml\n([\s\S]*?)```/.exec(markdown.slice(at))
  if (m === null) throw new Error(`no yaml block under '${heading}'`)
  return m[1] as string
}
