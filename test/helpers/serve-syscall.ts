// `lanner serve --source syscall` on the real probe for end-to-end tests: started from a config
// file, awaited through /readyz (ready = the probe attached and records flowing), its JSON alerts
// read from the file output. Reports why it cannot run here (unsupported kernel) instead of failing.
// Also serve over a fake probe helper (LANNER_PROBE_HELPER) for the tests that need no privileges.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
// the HELLO frame as the C header lays it out (what the real helper sends), not the TypeScript mirror
import { C_ABI_VERSION as ABI_VERSION, C_HELLO as HELLO, C_STATS as STATS } from '../fixtures/syscall/c-abi.ts'
import { adminPort, request, startServe, until, type ServeChild } from './serve-child.ts'
import { record } from '../fixtures/syscall/records.ts'
import { probeRequired, probeUnsupported } from './probe-required.ts'

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
  /** the first alert matching `pred`, polled; undefined after `limitMs` (60 s: returns as soon as it shows, so the bound only matters on a loaded machine) */
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
    if (Date.now() - start > PROBE_LIMIT_MS) {
      // a caller at top level (outside t.test) dies with this error before its teardown runs: the
      // serve child and its probe helper would outlive the test run, so they go first
      serve.child.kill('SIGKILL')
      throw new Error(`serve not ready within ${PROBE_LIMIT_MS} ms: ${serve.stderr().slice(-3000)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    serve,
    admin,
    alerts: () => readAlerts(alertsFile),
    async alertWhere (pred, limitMs = 60_000) {
      try {
        return await until(() => readAlerts(alertsFile).find(pred), 'an alert', limitMs, 50)
      } catch {
        return undefined
      }
    }
  }
}

/**
 * Writes `falco.yaml` in `dir` for startSyscallServe: the rules files, JSON alerts to `alerts.jsonl`
 * (no stdout), the webserver on loopback, no config watch; `extra` is appended as more YAML keys.
 */
export function writeSyscallServeConfig (dir: string, rulesFiles: readonly string[], extra = ''): { config: string, alertsFile: string } {
  const alertsFile = path.join(dir, 'alerts.jsonl')
  const config = path.join(dir, 'falco.yaml')
  writeFileSync(config, `rules_files:
${rulesFiles.map((r) => `  - ${r}`).join('\n')}
json_output: true
stdout_output: {enabled: false}
file_output: {enabled: true, keep_alive: false, filename: ${alertsFile}}
webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0}
watch_config_files: false
${extra}`)
  return { config, alertsFile }
}

/**
 * `lanner serve --source syscall` on the real probe with `rulesYaml` as dir/rules.yaml, on a node
 * outside Kubernetes (standaloneNodeEnv), ready; undefined when the probe cannot run here, the
 * test then skipped with the reason (failed where the probe is required).
 */
export async function serveRulesOnProbe (t: Teardown & Parameters<typeof probeUnsupported>[0], dir: string, rulesYaml: string): Promise<SyscallServe | undefined> {
  writeFileSync(path.join(dir, 'rules.yaml'), rulesYaml)
  const { config, alertsFile } = writeSyscallServeConfig(dir, [path.join(dir, 'rules.yaml')])
  const started = await startSyscallServe(t, config, alertsFile, standaloneNodeEnv(dir))
  if (typeof started !== 'string') return started
  probeUnsupported(t, started)
  return undefined
}

/** A node outside Kubernetes: no kubeconfig, no in-cluster service, HOME in the test's dir. */
export function standaloneNodeEnv (dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { KUBECONFIG: path.join(dir, 'absent'), HOME: dir, KUBERNETES_SERVICE_HOST: '', ...extra }
}

/**
 * The start of a fake probe helper's script (node, ESM): the HELLO record the real helper sends
 * first, in the ABI's layout, with its own pid and one CPU.
 */
export function fakeHelperHello (): string {
  return `const hello = Buffer.alloc(${HELLO.size})
hello.writeUInt16LE(${HELLO.size}, 0); hello.writeUInt16LE(${HELLO.type}, 2); hello.writeUInt32LE(${ABI_VERSION}, ${HELLO.abi})
hello.writeUInt32LE(process.pid, ${HELLO.helperPid}); hello.writeUInt32LE(1, ${HELLO.ncpu})
process.stdout.write(hello)`
}

/**
 * A fake probe helper's STATS frames (node, ESM, after fakeHelperHello): defines
 * `sendStats(records, selfChecks)`, writing a frame in the ABI's layout with one CPU and no drop.
 * The real helper sends one at once after HELLO and then one per stats interval; its self-check
 * count rises by one per frame while its programs run and stays 0 when they do not.
 */
export function fakeHelperStats (): string {
  return `function sendStats (records, selfChecks) {
  const st = Buffer.alloc(${STATS.size + 8})
  st.writeUInt16LE(${STATS.size + 8}, 0); st.writeUInt16LE(${STATS.type}, 2); st.writeUInt32LE(1, ${STATS.ncpu})
  st.writeBigUInt64LE(BigInt(records), ${STATS.records}); st.writeBigUInt64LE(BigInt(selfChecks), ${STATS.selfEnter}); st.writeBigUInt64LE(BigInt(selfChecks), ${STATS.selfExit})
  process.stdout.write(st)
}`
}

/** Writes the executable node script `name` in `dir` (a fake probe helper), `script` after its shebang; its path. */
export function writeFakeHelper (dir: string, name: string, script: string): string {
  const bin = path.join(dir, name)
  writeFileSync(bin, `#!/usr/bin/env node\n${script}`)
  chmodSync(bin, 0o755)
  return bin
}

/** Writes `record.bin` in `dir`: one close record (pid 1) for a fake helper to send; its path. */
export function writeCloseRecord (dir: string): string {
  const file = path.join(dir, 'record.bin')
  writeFileSync(file, record({ kind: 'close', res: 0, nums: [3], pid: 1, tid: 1 }))
  return file
}

/** A syscall rule that never fires here: enough for serve to start and load its rules. */
export const NEVER_FIRING_RULE = `- rule: Marker Opened
  desc: never fires here
  condition: evt.type = openat and evt.dir=< and fd.name = "/nonexistent/marker"
  output: "marker (file=%fd.name)"
  priority: NOTICE
  source: syscall
`

/**
 * `lanner serve --source syscall -r rulesFile` over the fake probe helper `helper`: no stdout
 * output, no config watch, the webserver on loopback, no kubeconfig (`no-kubeconfig` in `dir`) and
 * no in-cluster service; `extraEnv` adds to the environment.
 */
export function startServeOverFakeHelper (t: Teardown, dir: string, rulesFile: string, helper: string, extraEnv: NodeJS.ProcessEnv = {}, extraArgs: readonly string[] = []): ServeChild {
  const env: NodeJS.ProcessEnv = { ...process.env, LANNER_PROBE_HELPER: helper, KUBECONFIG: path.join(dir, 'no-kubeconfig'), ...extraEnv }
  delete env.KUBERNETES_SERVICE_HOST
  return startServe(t, ['serve', '--source', 'syscall', '-r', rulesFile,
    '-o', 'stdout_output.enabled=false', '-o', 'watch_config_files=false', ...extraArgs,
    '-o', 'webserver={listen_address: 127.0.0.1, listen_port: 0}'], { env })
}

/**
 * Polls `url` (one request at a time, every 25 ms) until it answers `want`, for at most `limitMs`
 * (60 s: a loaded machine delays a child's start and its timers by seconds; the bound is reached
 * only when something is broken); the last status.
 */
export async function statusBecomes (url: string, want: number, limitMs = 60_000): Promise<number> {
  const deadline = Date.now() + limitMs
  let status = (await request(url)).status
  while (status !== want && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    status = (await request(url)).status
  }
  return status
}

/** The yaml block of a section of ../shared/reference/seed-examples.md, as users copy it. */
export function seedYamlBlock (markdown: string, heading: string): string {
  const at = markdown.indexOf(heading)
  if (at < 0) throw new Error(`no '${heading}' section in seed-examples.md`)
  const m = /```yaml\n([\s\S]*?)```/.exec(markdown.slice(at))
  if (m === null) throw new Error(`no yaml block under '${heading}'`)
  return m[1] as string
}
