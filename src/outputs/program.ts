// The program channel: alerts go to a configured command's stdin, one per line. The command comes
// from the (trusted) config and runs through `/bin/sh -c`; event data only ever travels on stdin,
// never on a command line. keep_alive true keeps one child for all alerts (restarted if it
// exits); false spawns one child per alert and waits for it, like Falco's popen/pclose.
import { spawn, type ChildProcess } from 'node:child_process'
import type { OutputChannel } from './types.ts'

export interface ProgramOptions {
  program: string
  keepAlive: boolean
  /**
   * a child exited: logged and counted by the caller. `requested`: a kept-alive child that we
   * ended (SIGHUP reopen, close), not one that stopped by itself
   */
  onExit?(info: { code: number | null, signal: NodeJS.Signals | null, keepAlive: boolean, requested?: boolean }): void
  /** how long close() waits for a kept-alive child after closing its stdin */
  closeTimeoutMs?: number
}

/** Rejection of a partly delivered batch: `failed` of the lines were not delivered. */
export class PartialDeliveryError extends Error {
  readonly failed: number
  constructor (message: string, failed: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.failed = failed
  }
}

/**
 * The child's stdout goes to our stderr: what `curl` prints must stay visible in the logs but
 * never interleave with the alert stream on our stdout, which jq pipelines parse.
 */
function spawnShell (program: string): ChildProcess {
  return spawn('/bin/sh', ['-c', program], { stdio: ['pipe', 2, 2] })
}

function writeTo (child: ChildProcess, data: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stdin = child.stdin
    if (stdin === null || stdin.destroyed) { reject(new Error('program stdin is closed')); return }
    stdin.write(data, (err) => { if (err === null || err === undefined) resolve(); else reject(err) })
  })
}

function waitExit (child: ChildProcess): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve({ code: child.exitCode, signal: child.signalCode }); return }
    child.once('error', reject)
    child.once('close', (code, signal) => { resolve({ code, signal }) })
  })
}

/** Spawn one child for one alert: write it, close stdin, wait; rejects on spawn failure or non-zero exit. */
async function runOnce (opts: ProgramOptions, line: string): Promise<void> {
  const child = spawnShell(opts.program)
  child.stdin?.on('error', () => { /* EPIPE when the program ignores stdin: its exit status tells */ })
  const exited = waitExit(child)
  child.stdin?.end(line + '\n')
  const { code, signal } = await exited
  opts.onExit?.({ code, signal, keepAlive: false })
  if (code !== 0) throw new Error(`program exited with ${signal ?? `status ${code}`}`)
}

export function createProgramChannel (opts: ProgramOptions): OutputChannel {
  let child: ChildProcess | undefined
  const retiring = new WeakSet<ChildProcess>()

  function current (): ChildProcess {
    if (child !== undefined && child.exitCode === null && child.signalCode === null && child.stdin?.destroyed !== true) return child
    const c = spawnShell(opts.program)
    c.stdin?.on('error', () => { /* surfaced by the next write's callback */ })
    c.on('error', () => { /* spawn failure: surfaced by the write */ })
    c.once('exit', function programExited (code, signal) {
      if (child === c) child = undefined
      opts.onExit?.({ code, signal, keepAlive: true, requested: retiring.has(c) })
    })
    child = c
    return c
  }

  async function stopChild (c: ChildProcess): Promise<void> {
    retiring.add(c)
    const exited = waitExit(c).catch(() => undefined)
    c.stdin?.end()
    // a program that ignores EOF gets SIGTERM, and one that ignores SIGTERM gets SIGKILL
    const grace = opts.closeTimeoutMs ?? 5000
    const term = setTimeout(() => { c.kill('SIGTERM') }, grace)
    const kill = setTimeout(() => { c.kill('SIGKILL') }, grace + 2000)
    await exited
    clearTimeout(term)
    clearTimeout(kill)
  }

  return {
    name: 'program',
    async send (lines) {
      if (opts.keepAlive) {
        await writeTo(current(), lines.join('\n') + '\n')
        return
      }
      let failed = 0
      let lastErr: unknown
      for (const line of lines) {
        try { await runOnce(opts, line) } catch (err) { failed++; lastErr = err }
      }
      if (failed > 0) throw new PartialDeliveryError(`${failed} of ${lines.length} program runs failed: ${(lastErr as Error).message}`, failed, lastErr)
    },
    reopen () {
      const c = child
      child = undefined
      if (c !== undefined) void stopChild(c)
    },
    async close () {
      const c = child
      child = undefined
      if (c !== undefined) await stopChild(c)
    }
  }
}
