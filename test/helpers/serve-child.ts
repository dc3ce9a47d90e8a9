// `lanner serve` as a child process for integration tests: its stdout, stderr and JSON log lines
// collected, its exit awaited, SIGKILLed in teardown if still running; plus polling and HTTP calls.
import http from 'node:http'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { spawnLanner } from '../integration/cli-child.ts'

/** One stderr line: the JSON log record, or `{ msg: line }` for a line that is not JSON. */
export interface LogLine { msg?: string, port?: number, [k: string]: unknown }

export interface ServeChild {
  child: ChildProcessWithoutNullStreams
  stdout(): string
  stderr(): string
  /** parsed stderr lines so far, in order */
  logs: LogLine[]
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

interface Teardown { teardown(fn: () => void | Promise<void>): void }

/**
 * Resolves with the first value `get` returns (or resolves to) that is neither undefined nor false, polling every
 * `stepMs`; rejects naming `what` after `limitMs` so a broken child fails the test, not hangs it.
 * The default bound is generous (60 s): a child's start-up (tsx, @kubernetes/client-node) takes
 * seconds on a loaded machine, and the bound is only ever reached when something is broken.
 */
export async function until<T> (get: () => T | undefined | false | Promise<T | undefined | false>, what: string, limitMs = 60_000, stepMs = 25): Promise<T> {
  const start = Date.now()
  for (;;) {
    // one call at a time: an async `get` (an HTTP request) is awaited before the next
    const v = await get()
    if (v !== undefined && v !== false) return v
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, stepMs))
  }
}

/** Spawns `lanner <args>` (usually `serve …`) and starts collecting its output. */
export function startServe (t: Teardown, args: string[], opts: { env?: NodeJS.ProcessEnv, built?: string, cwd?: string } = {}): ServeChild {
  const child = spawnLanner(args, opts)
  const logs: LogLine[] = []
  let stdout = ''
  let stderr = ''
  let partial = ''
  child.stdout.on('data', function collectStdout (b: Buffer) { stdout += b.toString() })
  child.stderr.on('data', function collectStderr (b: Buffer) {
    const text = b.toString()
    stderr += text
    const lines = (partial + text).split('\n')
    partial = lines.pop() ?? ''
    for (const l of lines) { try { logs.push(JSON.parse(l)) } catch { logs.push({ msg: l }) } }
  })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', function onClose (code, signal) { resolve({ code, signal }) })
  })
  t.teardown(function killServe () { if (child.exitCode === null) child.kill('SIGKILL') })
  return { child, stdout: () => stdout, stderr: () => stderr, logs, exited }
}

/**
 * Like `until`, but rejects at once (with the tail of stderr) if the child exits before `get`
 * yields: a serve that failed to start is reported as such, not as a timeout.
 */
export async function untilServing<T> (s: ServeChild, get: () => T | undefined | false, what: string, limitMs?: number): Promise<T> {
  return await until(function whileRunning () {
    const v = get()
    if (v !== undefined && v !== false) return v
    if (s.child.exitCode !== null || s.child.signalCode !== null) throw new Error(`serve exited before ${what}: ${s.stderr().slice(-2000)}`)
    return undefined
  }, what, limitMs)
}

/** The "audit webhook listening" log record (it carries `port`, `tls`, `evalWorkers`, …). */
export async function webhookListening (s: ServeChild, limitMs?: number): Promise<LogLine & { port: number }> {
  return await untilServing(s, () => s.logs.find((l): l is LogLine & { port: number } => l.msg === 'audit webhook listening' && typeof l.port === 'number'), 'the webhook to listen', limitMs)
}

/** The port the admin server (webserver) reports listening on. */
export async function adminPort (s: ServeChild, limitMs?: number): Promise<number> {
  return await untilServing(s, () => s.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('admin server listening'))?.port, 'the admin server', limitMs)
}

export interface HttpResult { status: number, body: string, headers: http.IncomingHttpHeaders }

/** A plain HTTP request; a body is sent as JSON. */
export function request (url: string, opts: { method?: string, body?: string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
      let body = ''
      res.on('data', (b: Buffer) => { body += b.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body, headers: res.headers }) })
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** POSTs a JSON body and resolves with the status code. */
export async function postJson (url: string, body: string): Promise<number> {
  return (await request(url, { method: 'POST', body })).status
}
