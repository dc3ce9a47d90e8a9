// One run of the probe helper: spawn, the HELLO handshake (ABI check, start timeout), its stderr
// (each line logged, the tail kept for the exit message), its decoded stdout, and its exit.
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { AppError } from '../../errors/index.ts'
import type { Logger } from '../../events/index.ts'
import { ABI_VERSION } from '../abi.ts'
import { StreamDecoder, type ChunkResult, type DecodeContext, type HelloFrame } from '../decode.ts'

type Child = ChildProcessByStdio<Writable, Readable, Readable>

const STDERR_KEEP = 4096
/** how long stop() waits after SIGTERM before SIGKILL */
const STOP_GRACE_MS = 3000

export interface HelperExit {
  /** it had said HELLO (an exit before that rejects `started` instead) */
  started: boolean
  code: number | null
  signal: NodeJS.Signals | null
  /** `probe helper exited (SIGSEGV): <its last stderr lines>` */
  why: string
  /** ms from spawn to exit */
  ranMs: number
}

export interface HelperHooks {
  startTimeoutMs: number
  log?: Pick<Logger, 'info' | 'warn'> | undefined
  /** a HELLO of this ABI (the first one also resolves `started`) */
  onHello(hello: HelloFrame): void
  /** the rest of each stdout chunk: records, decode errors, stats, kinds-change answers */
  onChunk(out: ChunkResult): void
  /** a problem after the handshake that does not end the run by itself */
  onError(err: AppError): void
  /** the process is gone (after the handshake or not) */
  onClose(exit: HelperExit): void
}

export class HelperProcess {
  /** resolves on the first HELLO; rejects if the helper exits, times out or speaks another ABI first */
  readonly started: Promise<void>
  readonly #proc: Child

  constructor (bin: string, args: readonly string[], decodeCtx: DecodeContext, hooks: HelperHooks) {
    const proc: Child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    this.#proc = proc
    this.started = new Promise(function handshake (ok, fail) {
      const decoder = new StreamDecoder(decodeCtx)
      const log = hooks.log
      let started = false
      let stderrTail = ''
      const spawnedAt = Date.now()
      const timer = setTimeout(function noHello () {
        if (started) return
        proc.kill('SIGKILL')
        fail(new AppError('ERR_SYSCALL_PROBE_FAILED', `probe helper did not start within ${hooks.startTimeoutMs} ms`))
      }, hooks.startTimeoutMs)

      proc.stdin.on('error', function ignore () { /* the helper exiting closes the pipe */ })
      proc.stderr.setEncoding('utf8')
      proc.stderr.on('data', function onStderr (text: string) {
        stderrTail = (stderrTail + text).slice(-STDERR_KEEP)
        for (const line of text.split('\n')) if (line.trim() !== '') log?.warn(`probe helper: ${line.trim()}`)
      })
      proc.stdout.on('data', function onData (chunk: Buffer) {
        const out = decoder.push(chunk)
        if (out.hello !== undefined && out.hello.abi !== ABI_VERSION) {
          const why = `probe helper speaks record ABI ${out.hello.abi}, this decoder ABI ${ABI_VERSION}: rebuild it (scripts/build-probe.sh) or fix LANNER_PROBE_HELPER`
          proc.kill('SIGKILL')
          if (!started) { clearTimeout(timer); fail(new AppError('ERR_SYSCALL_PROBE_FAILED', why)) } else hooks.onError(new AppError('ERR_SYSCALL_PROBE_FAILED', why))
          return
        }
        if (out.hello !== undefined) {
          hooks.onHello(out.hello)
          if (!started) {
            started = true
            clearTimeout(timer)
            log?.info(`eBPF probe attached (helper pid ${out.hello.helperPid}, ${out.hello.ncpu} CPUs)`)
            ok()
          }
        }
        hooks.onChunk(out)
      })
      proc.on('error', function onSpawnError (cause) {
        clearTimeout(timer)
        if (!started) fail(new AppError('ERR_SYSCALL_PROBE_FAILED', `cannot run probe helper ${bin}: ${cause.message}`, { cause }))
      })
      proc.on('close', function onClose (code, signal) {
        clearTimeout(timer)
        const tail = stderrTail.trim()
        const why = `probe helper exited (${signal ?? `code ${code}`})${tail === '' ? '' : `: ${tail.split('\n').slice(-3).join(' | ')}`}`
        hooks.onClose({ started, code, signal, why, ranMs: Date.now() - spawnedAt })
        // exit code 3: lanner-probe.c could not load or attach (kernel, privileges)
        if (!started) fail(new AppError(code === 3 ? 'ERR_SYSCALL_UNSUPPORTED' : 'ERR_SYSCALL_PROBE_FAILED', why))
      })
    })
  }

  /** 0 when the spawn failed */
  get pid (): number {
    return this.#proc.pid ?? 0
  }

  /** not exited yet (its close may still be pending) */
  get running (): boolean {
    return this.#proc.exitCode === null && this.#proc.signalCode === null
  }

  /** one control line on its stdin */
  send (line: string): void {
    this.#proc.stdin.write(line)
  }

  kill (signal: NodeJS.Signals): void {
    this.#proc.kill(signal)
  }

  /** closes its stdin and SIGTERMs it (SIGKILL after a grace period); resolves once it is gone */
  async stop (): Promise<void> {
    const proc = this.#proc
    if (!this.running) return
    await new Promise<void>(function waitExit (done) {
      const kill = setTimeout(function force () { proc.kill('SIGKILL') }, STOP_GRACE_MS)
      proc.once('close', function closed () { clearTimeout(kill); done() })
      proc.stdin.end()
      proc.kill('SIGTERM')
    })
  }
}
