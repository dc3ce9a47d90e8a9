// Keeps one probe helper running: launches it, restarts it with backoff when it dies, replaces it
// on purpose (a kinds change that needs a new helper), and stops it. Everything it reads from
// the helper goes to the probe's callbacks; every problem is reported once.
import { AppError } from '../../errors/index.ts'
import type { Logger } from '../../events/index.ts'
import { newDecodeContext, type ChunkResult, type HelloFrame } from '../decode.ts'
import type { DecodeError, ProbeStats, SyscallRecord } from '../record.ts'
import type { ConfRequests } from './conf-requests.ts'
import { HelperProcess, type HelperExit } from './helper-process.ts'
import type { ProbeCounters } from './probe-counters.ts'
import type { RestartBackoff } from './restart-backoff.ts'

/** How a kinds change took effect; see ProbeHandle.setKinds. */
export type KindsChange = 'unchanged' | 'live' | 'restarted' | 'deferred'

/** What the probe hands its user (startProbe's options carry them). */
export interface ProbeCallbacks {
  onRecords(batch: SyscallRecord[]): void
  onStats?(stats: ProbeStats): void
  /** helper crashes (before each restart), decode errors summaries, callback failures; without
   *  it they go to logger.error */
  onError?(err: AppError): void
  /** called each time a restart of the helper is scheduled (a crash, or a relaunch that failed) */
  onRestart?(): void
}

export interface SupervisorOptions {
  bin: string
  /** the helper's argv, read at each launch (a kinds change alters it) */
  args: () => readonly string[]
  startTimeoutMs: number
  backoff: RestartBackoff
  counters: ProbeCounters
  conf: ConfRequests
  log?: Pick<Logger, 'info' | 'warn' | 'error'> | undefined
  /** called as methods of this object */
  callbacks: ProbeCallbacks
  /**
   * A helper that attached but showed no sign of its programs running for this long is restarted
   * like a crashed one (0: never). The sign is a record, or a STATS frame whose self-check counts
   * (the helper's own getppid calls, seen by its sys_enter and sys_exit programs) are above zero:
   * a quiet node, where nothing the rules ask for happens, is not a broken probe. A helper whose
   * loop is stuck sends no STATS and is restarted too.
   */
  silentRestartMs?: number
}

export class ProbeSupervisor {
  readonly #opts: SupervisorOptions
  readonly #decodeCtx = newDecodeContext()
  #current: HelperProcess | undefined
  #stopping = false
  #restartTimer: NodeJS.Timeout | undefined
  /** a helper being replaced on purpose: its exit starts the next one at once, without an error */
  #replacing: HelperProcess | undefined
  #replaced: ((result: KindsChange | AppError) => void) | undefined
  /** the helper that proved its programs run since its HELLO (the silence watch skips it) */
  #delivering: HelperProcess | undefined
  #silenceTimer: NodeJS.Timeout | undefined

  constructor (opts: SupervisorOptions) {
    this.#opts = opts
  }

  /** the helper spawned last, until it exits */
  get current (): HelperProcess | undefined {
    return this.#current
  }

  get stopping (): boolean {
    return this.#stopping
  }

  /** spawns one helper; resolves on its HELLO, rejects if it exits first */
  launch (): Promise<void> {
    const helper: HelperProcess = new HelperProcess(this.#opts.bin, this.#opts.args(), this.#decodeCtx, {
      startTimeoutMs: this.#opts.startTimeoutMs,
      log: this.#opts.log,
      onHello: (hello) => { this.#onHello(hello); this.#watchSilence(helper) },
      onChunk: (out) => { if (provesRunning(out)) this.#delivering = helper; this.#onChunk(out) },
      onError: (err) => { this.report(err) },
      onClose: (exit) => { this.#onClose(helper, exit) }
    })
    this.#current = helper
    return helper.started
  }

  /** stops `helper` and starts the next one (with the current args) at once */
  replace (helper: HelperProcess): Promise<KindsChange> {
    return new Promise((ok, fail) => {
      this.#replacing = helper
      this.#replaced = function relaunched (result) { if (typeof result === 'string') ok(result); else fail(result) }
      helper.kill('SIGTERM')
    })
  }

  async stop (): Promise<void> {
    this.#stopping = true
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer)
    if (this.#silenceTimer !== undefined) clearTimeout(this.#silenceTimer)
    this.#opts.conf.cancelAll()
    await this.#current?.stop()
  }

  /** one log line per problem: onError when given (the app logs it with its code), else the logger */
  report (err: AppError): void {
    const cb = this.#opts.callbacks
    if (cb.onError === undefined) { this.#opts.log?.error(`${err.code}: ${err.message}`); return }
    try { cb.onError(err) } catch { /* a failing error sink must not stop the probe */ }
  }

  #onHello (hello: HelloFrame): void {
    this.#opts.counters.helperStarted(hello.helperPid)
  }

  /** restarts `helper` if it delivers no record within silentRestartMs of its HELLO */
  #watchSilence (helper: HelperProcess): void {
    const ms = this.#opts.silentRestartMs ?? 0
    if (ms <= 0) return
    if (this.#silenceTimer !== undefined) clearTimeout(this.#silenceTimer)
    this.#silenceTimer = setTimeout(() => {
      this.#silenceTimer = undefined
      if (this.#stopping || this.#current !== helper || this.#delivering === helper || this.#replacing === helper) return
      this.report(new AppError('ERR_SYSCALL_PROBE_FAILED', `probe helper attached but showed no sign of its programs running in ${ms / 1000} s (no record, no self-check seen): restarting it`))
      helper.kill('SIGTERM')
    }, ms)
    this.#silenceTimer.unref()
  }

  #onChunk (out: ChunkResult): void {
    if (out.conf !== undefined) this.#opts.conf.answer(out.conf)
    if (out.records.length > 0) this.#callSafely('onRecords', () => { this.#opts.callbacks.onRecords(out.records) })
    if (out.errors.length > 0) this.#onDecodeErrors(out.errors)
    for (const frame of out.stats) this.#onStats(this.#opts.counters.statsOf(frame))
  }

  #onStats (stats: ProbeStats): void {
    if (stats.dropsDelta > 0) this.#opts.log?.warn(`eBPF probe dropped ${stats.dropsDelta} records (ring buffer full)`)
    const cb = this.#opts.callbacks
    if (cb.onStats !== undefined) this.#callSafely('onStats', function emit () { cb.onStats!(stats) })
  }

  /** records lost to bad bytes: one error per chunk (with the count), through onError like a crash */
  #onDecodeErrors (errors: DecodeError[]): void {
    const total = this.#opts.counters.addDecodeErrors(errors.length)
    const first = errors[0]!
    this.report(new AppError(first.code, `${errors.length} probe record(s) not decoded (${total} in all); first: ${first.message}`))
  }

  #callSafely (what: string, fn: () => void): void {
    try {
      fn()
    } catch (cause) {
      this.report(new AppError('ERR_SYSCALL_PROBE_FAILED', `${what} callback threw: ${String(cause)}`, { cause }))
    }
  }

  #onClose (helper: HelperProcess, exit: HelperExit): void {
    if (this.#current === helper) this.#current = undefined
    if (!exit.started) {
      // launch() rejects and its caller decides (a restart retries with the current args); a
      // replacement asked for meanwhile is therefore kept for that next start
      if (this.#replacing === helper) this.#settleReplacement('deferred')
      return
    }
    if (this.#replacing === helper) { this.#relaunchReplaced(); return }
    if (this.#stopping) return
    this.#opts.backoff.noteRun(exit.ranMs)
    this.report(new AppError('ERR_SYSCALL_PROBE_FAILED', `${exit.why}; restarting in ${this.#opts.backoff.nextMs} ms`))
    this.#scheduleRestart()
  }

  #relaunchReplaced (): void {
    if (this.#stopping) { this.#settleReplacement('deferred'); return }
    const done = this.#takeReplacement()
    this.launch().then(function relaunched () { done?.('restarted') }, (err: AppError) => {
      done?.(err)
      this.#restartAfterFailure(err)
    })
  }

  #settleReplacement (result: KindsChange): void {
    this.#takeReplacement()?.(result)
  }

  #takeReplacement (): ((result: KindsChange | AppError) => void) | undefined {
    const done = this.#replaced
    this.#replacing = undefined
    this.#replaced = undefined
    return done
  }

  #scheduleRestart (): void {
    try { this.#opts.callbacks.onRestart?.() } catch { /* a failing counter must not stop the probe */ }
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined
      if (this.#stopping) return
      this.#opts.counters.restarts++
      this.launch().catch((err: AppError) => { this.#restartAfterFailure(err) })
    }, this.#opts.backoff.take())
  }

  #restartAfterFailure (err: AppError): void {
    if (this.#stopping) return
    this.report(err)
    this.#scheduleRestart()
  }
}

/** a chunk with records, or with a STATS frame whose self-check both programs saw */
function provesRunning (out: ChunkResult): boolean {
  if (out.records.length > 0) return true
  for (const s of out.stats) if (s.selfEnter > 0 && s.selfExit > 0) return true
  return false
}
