// The program channel: alerts go to a configured command's stdin, one per line. The command comes
// from the (trusted) config and runs through `/bin/sh -c`; event data only ever travels on stdin,
// never on a command line. keep_alive true keeps one child for all alerts (restarted if it
// exits); false spawns one child per alert and waits for it, like Falco's popen/pclose.
//
// Every child runs in its own process group, so ending it ends what the shell started too
// (`jq | curl`, `sleep`), and every write or run has a deadline: a stuck program fails its
// alerts (counted, logged) instead of holding the queue for ever. Children never outlive Lanner.
import { spawn, type ChildProcess } from 'node:child_process'
import type { OutputChannel } from './types.ts'

export interface ProgramOptions {
  program: string
  keepAlive: boolean
  /**
   * a child exited: logged and counted by the caller. `requested`: a kept-alive child that we
   * ended (SIGHUP reopen, close, deadline), not one that stopped by itself
   */
  onExit?(info: { code: number | null, signal: NodeJS.Signals | null, keepAlive: boolean, requested?: boolean }): void
  /** how long close() waits for a kept-alive child after closing its stdin */
  closeTimeoutMs?: number
  /**
   * deadline of one delivery: a per-alert run (spawn, write, exit), or a write of a batch to a
   * kept-alive child. Past it the child's process group is killed and the alerts fail (default 10 s)
   */
  timeoutMs?: number
  /**
   * keep_alive: how long a child must outlive a write for its lines to count as delivered (and a
   * new child must have lived YOUNG_CHILD_MS). The pipe takes lines whether or not the program
   * reads them; one that exits right after (a crash, `exit 0`, a program that ignores stdin) lost
   * them, and they count as failed (default 50 ms)
   */
  settleMs?: number
}

export const DEFAULT_PROGRAM_TIMEOUT_MS = 10_000
const DEFAULT_SETTLE_MS = 50
/**
 * A kept-alive child's first lines count as delivered only once it has lived this long: a program
 * that exits at once without reading (`exit 0`, a crash at start-up) must not have them counted
 * delivered just because the shell was slow to start on a busy node.
 */
const YOUNG_CHILD_MS = 1000

/** Rejection of a partly delivered batch: `failed` of the lines were not delivered. */
export class PartialDeliveryError extends Error {
  readonly failed: number
  constructor (message: string, failed: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.failed = failed
  }
}

/** A delivery that missed its deadline (code ERR_OUTPUT_TIMEOUT). */
export class OutputTimeoutError extends Error {
  readonly code = 'ERR_OUTPUT_TIMEOUT'
}

// Process groups of every program child of this process (a group outlives its leader when the
// shell backgrounded something): killed with the process, however it ends.
const groups = new Set<number>()
let exitHookInstalled = false

/** Signals the child's whole process group; false when no process of it is left. */
function killGroup (child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false
  return signalGroup(child.pid, signal)
}

function signalGroup (pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    groups.delete(pgid)
    return false
  }
}

function killAllOnExit (): void {
  for (const g of groups) signalGroup(g, 'SIGKILL')
}

/** Forget groups with no process left, so the set stays as small as what is running. */
function pruneGroups (): void {
  for (const g of groups) signalGroup(g, 0)
}


/**
 * The child's stdout goes to our stderr: what `curl` prints must stay visible in the logs but
 * never interleave with the alert stream on our stdout, which jq pipelines parse. `detached`
 * puts it in its own process group (it is still our child, and still waited for).
 */
function spawnShell (program: string): ChildProcess {
  if (!exitHookInstalled) {
    process.on('exit', killAllOnExit)
    exitHookInstalled = true
  }
  if (groups.size >= 64) pruneGroups()
  const child = spawn('/bin/sh', ['-c', program], { stdio: ['pipe', 2, 2], detached: true })
  if (child.pid !== undefined) groups.add(child.pid)
  return child
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

/** `work`, or an OutputTimeoutError after `ms` (then `onTimeout` runs: kill what is stuck). */
async function withDeadline<T> (work: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(function outputDeadline () {
      onTimeout()
      reject(new OutputTimeoutError(`${what} did not finish within ${ms} ms`))
    }, ms)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}

export function createProgramChannel (opts: ProgramOptions): OutputChannel {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROGRAM_TIMEOUT_MS
  const settleMs = opts.settleMs ?? DEFAULT_SETTLE_MS
  let child: ChildProcess | undefined
  const retiring = new WeakSet<ChildProcess>()
  /** per-alert children still running, ended by close() */
  const runs = new Set<ChildProcess>()
  let closed = false
  /** process groups this channel started */
  const mine = new Set<number>()
  const bornAt = new WeakMap<ChildProcess, number>()
  /** one exit promise per kept-alive child: a listener per write would pile up on a long-lived child */
  const exitOf = new WeakMap<ChildProcess, Promise<true>>()

  function spawnOwn (): ChildProcess {
    if (mine.size >= 64) for (const g of mine) if (!signalGroup(g, 0)) mine.delete(g)
    const c = spawnShell(opts.program)
    if (c.pid !== undefined) mine.add(c.pid)
    return c
  }

  /** Spawn one child for one alert: write it, close stdin, wait; rejects on spawn failure, non-zero exit or the deadline. */
  async function runOnce (line: string): Promise<void> {
    if (closed) throw new Error('program output closed')
    const c = spawnOwn()
    runs.add(c)
    c.stdin?.on('error', () => { /* EPIPE when the program ignores stdin: its exit status tells */ })
    const exited = waitExit(c)
    // a spawn failure also rejects `exited`; it is awaited below
    exited.catch(() => undefined)
    c.stdin?.end(line + '\n')
    try {
      const { code, signal } = await withDeadline(exited, timeoutMs, `program '${opts.program}'`, () => { killGroup(c, 'SIGKILL') })
      opts.onExit?.({ code, signal, keepAlive: false })
      if (code !== 0) throw new Error(`program exited with ${signal ?? `status ${code}`}`)
    } finally {
      runs.delete(c)
    }
  }

  function current (): ChildProcess {
    if (child !== undefined && child.exitCode === null && child.signalCode === null && child.stdin?.destroyed !== true) return child
    const c = spawnOwn()
    bornAt.set(c, Date.now())
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
    // a program that ignores EOF gets SIGTERM, and one that ignores SIGTERM gets SIGKILL (its whole group)
    const grace = opts.closeTimeoutMs ?? 5000
    const term = setTimeout(() => { killGroup(c, 'SIGTERM') }, grace)
    const kill = setTimeout(() => { killGroup(c, 'SIGKILL') }, grace + 2000)
    await exited
    clearTimeout(term)
    clearTimeout(kill)
  }

  /** keep_alive: write a batch, then make sure the child lived on after taking it. */
  async function writeKeptAlive (lines: readonly string[]): Promise<void> {
    if (closed) throw new Error('program output closed')
    const c = current()
    let exited = exitOf.get(c)
    if (exited === undefined) {
      exited = waitExit(c).then(() => true as const, () => true as const)
      exitOf.set(c, exited)
    }
    await withDeadline(writeTo(c, lines.join('\n') + '\n'), timeoutMs, `writing to program '${opts.program}'`, function programStuck () {
      // not reading: the next batch gets a fresh child
      retiring.add(c)
      if (child === c) child = undefined
      killGroup(c, 'SIGKILL')
    })
    let timer: NodeJS.Timeout | undefined
    const wait = Math.max(settleMs, (bornAt.get(c) ?? 0) + YOUNG_CHILD_MS - Date.now())
    const gone = await Promise.race([exited, new Promise<false>((resolve) => { timer = setTimeout(resolve, wait, false) })])
    clearTimeout(timer)
    if (gone && !retiring.has(c)) {
      throw new Error(`program exited (${c.signalCode ?? `status ${c.exitCode}`}) without reading ${lines.length} alert(s)`)
    }
  }

  return {
    name: 'program',
    async send (lines) {
      if (opts.keepAlive) {
        await writeKeptAlive(lines)
        return
      }
      let failed = 0
      let lastErr: unknown
      for (const line of lines) {
        try { await runOnce(line) } catch (err) { failed++; lastErr = err }
      }
      if (failed > 0) throw new PartialDeliveryError(`${failed} of ${lines.length} program runs failed: ${(lastErr as Error).message}`, failed, lastErr)
    },
    reopen () {
      const c = child
      child = undefined
      if (c !== undefined) void stopChild(c)
    },
    async close () {
      closed = true
      const c = child
      child = undefined
      // per-alert runs in progress: their alerts fail now rather than hold the shutdown
      for (const r of runs) killGroup(r, 'SIGKILL')
      if (c !== undefined) await stopChild(c)
      // what the programs left running in their groups (`cmd &`, a pipeline's stuck side) ends with us
      for (const g of mine) signalGroup(g, 'SIGKILL')
      mine.clear()
    }
  }
}
