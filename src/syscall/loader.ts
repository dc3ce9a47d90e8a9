// Runs and supervises the probe helper (src/syscall/helper): spawns it, decodes its stdout into
// SyscallRecord batches and ProbeStats, restarts it with backoff when it dies, changes its event
// kinds while it runs (a control line on its stdin), and stops it.
// Why a helper process rather than an N-API addon: see the header of helper/lanner-probe.c.
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { AppError, ConfigError } from '../errors/index.ts'
import type { Logger } from '../events/index.ts'
import { ABI_VERSION, DEFAULT_KINDS, KIND_IDS } from './abi.ts'
import { prepareProbe } from './build.ts'
import { StreamDecoder, newDecodeContext, type ConfFrame, type StatsFrame } from './decode.ts'
import type { DecodeError, ProbeStats, SyscallRecord } from './record.ts'

export interface ProbeOptions {
  onRecords(batch: SyscallRecord[]): void
  onStats?(stats: ProbeStats): void
  /** helper crashes (before each restart), decode errors summaries, callback failures; without
   *  it they go to logger.error */
  onError?(err: AppError): void
  /** called each time a restart of the helper is scheduled (a crash, or a relaunch that failed) */
  onRestart?(): void
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
  /** event types to emit exit records for (procexit: process exits); default: DEFAULT_KINDS
   *  (all but recvfrom/recvmsg). STATE_KINDS are what the process/fd tables need. */
  kinds?: readonly string[]
  /** event types to also emit enter ('>') records for; default: none */
  enterKinds?: readonly string[]
  /** ring buffer size in bytes (rounded up to a power of two); default 4 MiB */
  ringBytes?: number
  statsIntervalMs?: number
  /** a prebuilt helper binary instead of build/syscall/lanner-probe */
  helperPath?: string
  /** restart backoff bounds */
  restartMinMs?: number
  restartMaxMs?: number
  /** how long to wait for the helper's HELLO frame */
  startTimeoutMs?: number
  /** how long setKinds waits for the helper's answer before restarting it instead (default 3000) */
  confTimeoutMs?: number
}

/** How setKinds took effect: already the set; applied in place; by restarting the helper; or
 *  kept for the next start (no helper running right now, e.g. during a restart backoff). */
export type KindsChange = 'unchanged' | 'live' | 'restarted' | 'deferred'

export interface ProbeHandle {
  stop(): Promise<void>
  /** pid of the current helper process (changes on restart) */
  readonly pid: number
  /** the event kinds recorded now (exit records; procexit = process exits) */
  readonly kinds: readonly string[]
  /** the event kinds also recorded on enter */
  readonly enterKinds: readonly string[]
  /**
   * Record another set of event kinds. The running helper rewrites its per-syscall config map
   * (no reload of the BPF programs, nothing lost); a helper that does not answer in confTimeoutMs
   * (an older prebuilt one) is restarted with the new set. Rejects with ConfigError for an
   * unknown kind (nothing changes then). Calls are applied in order. procexit cannot be switched on or off
   * in place: changing it restarts the helper.
   */
  setKinds(kinds: readonly string[], enterKinds?: readonly string[]): Promise<KindsChange>
}

type Helper = ChildProcessByStdio<Writable, Readable, Readable>

const STDERR_KEEP = 4096
const HEALTHY_MS = 30_000

function checkKinds (key: string, kinds: readonly string[] | undefined): string | undefined {
  if (kinds === undefined) return undefined
  for (const k of kinds) {
    if (!Object.hasOwn(KIND_IDS, k)) {
      throw new ConfigError('ERR_CONFIG_INVALID', `${key}: '${k}' is not an event type the probe produces (${Object.keys(KIND_IDS).join(', ')})`)
    }
  }
  return kinds.join(',')
}

function checkInt (key: string, v: number | undefined, min: number, max: number): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= max)) {
    throw new ConfigError('ERR_CONFIG_INVALID', `${key}: expected an integer from ${min} to ${max}, got ${v}`)
  }
}

interface KindSet { kinds: readonly string[], enter: readonly string[] }

function sameList (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  const s = new Set(a)
  return b.every(function has (x) { return s.has(x) })
}

function listArg (list: readonly string[]): string {
  return list.length === 0 ? 'none' : list.join(',')
}

function helperArgs (opts: ProbeOptions, set: KindSet): string[] {
  checkInt('ringBytes', opts.ringBytes, 4096, 1 << 30)
  checkInt('statsIntervalMs', opts.statsIntervalMs, 10, 3_600_000)
  checkInt('confTimeoutMs', opts.confTimeoutMs, 10, 600_000)
  const args: string[] = ['--kinds', listArg(set.kinds)]
  if (set.enter.length > 0) args.push('--enter', listArg(set.enter))
  if (opts.ringBytes !== undefined) args.push('--ring-bytes', String(opts.ringBytes))
  if (opts.statsIntervalMs !== undefined) args.push('--stats-ms', String(opts.statsIntervalMs))
  return args
}

function callSafely (what: string, fn: () => void, report: (err: AppError) => void): void {
  try {
    fn()
  } catch (cause) {
    report(new AppError('ERR_SYSCALL_PROBE_FAILED', `${what} callback threw: ${String(cause)}`, { cause }))
  }
}

/**
 * Starts the probe. Resolves once the helper has attached its programs (its HELLO frame arrived);
 * rejects with ERR_SYSCALL_UNSUPPORTED when the kernel or privileges cannot run it, or
 * ERR_SYSCALL_PROBE_FAILED when it fails otherwise. Later failures go to onError and trigger restarts.
 */
export async function startProbe (opts: ProbeOptions): Promise<ProbeHandle> {
  checkKinds('kinds', opts.kinds)
  checkKinds('enterKinds', opts.enterKinds)
  let wanted: KindSet = { kinds: [...(opts.kinds ?? DEFAULT_KINDS)], enter: [...(opts.enterKinds ?? [])] }
  let args = helperArgs(opts, wanted)
  const bin = opts.helperPath ?? await prepareProbe()
  const log = opts.logger
  const minBackoff = opts.restartMinMs ?? 250
  const maxBackoff = opts.restartMaxMs ?? 10_000
  const startTimeout = opts.startTimeoutMs ?? 15_000
  const decodeCtx = newDecodeContext()

  let child: Helper | undefined
  let stopping = false
  let restarts = 0
  let decodeErrors = 0
  let backoff = minBackoff
  let restartTimer: NodeJS.Timeout | undefined
  let lastDrops = 0
  let helperPid = 0
  const confTimeout = opts.confTimeoutMs ?? 3000
  let confSeq = 0
  const confWaiters = new Map<number, (c: ConfFrame | undefined) => void>()
  /** a helper being replaced on purpose: its exit starts the next one at once, without an error */
  let replacing: Helper | undefined
  let replaced: ((result: KindsChange | AppError) => void) | undefined
  let changes: Promise<unknown> = Promise.resolve()

  /** one log line per problem: onError when given (the app logs it with its code), else the logger */
  function reportError (err: AppError): void {
    if (opts.onError === undefined) { log?.error(`${err.code}: ${err.message}`); return }
    try { opts.onError(err) } catch { /* a failing error sink must not stop the probe */ }
  }

  function onStatsFrame (s: StatsFrame): void {
    const drops = s.dropsPerCpu.reduce(function sum (a, b) { return a + b }, 0)
    const stats: ProbeStats = {
      time: BigInt(Date.now()) * 1_000_000n,
      helperPid,
      records: s.records,
      bytes: s.bytes,
      dropsPerCpu: s.dropsPerCpu,
      drops,
      dropsDelta: Math.max(0, drops - lastDrops),
      decodeErrors,
      restarts
    }
    lastDrops = drops
    if (stats.dropsDelta > 0) log?.warn(`eBPF probe dropped ${stats.dropsDelta} records (ring buffer full)`)
    if (opts.onStats !== undefined) callSafely('onStats', function emit () { opts.onStats!(stats) }, reportError)
  }

  /** records lost to bad bytes: one error per chunk (with the count), through onError like a crash */
  function onDecodeErrors (errors: DecodeError[]): void {
    decodeErrors += errors.length
    const first = errors[0]!
    reportError(new AppError(first.code, `${errors.length} probe record(s) not decoded (${decodeErrors} in all); first: ${first.message}`))
  }

  /** spawns one helper; resolves on HELLO, rejects if it exits first */
  function launch (): Promise<void> {
    return new Promise(function run (ok, fail) {
      const decoder = new StreamDecoder(decodeCtx)
      const proc: Helper = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] })
      child = proc
      let started = false
      let stderrTail = ''
      const startedAt = Date.now()
      const timer = setTimeout(function noHello () {
        if (started) return
        proc.kill('SIGKILL')
        fail(new AppError('ERR_SYSCALL_PROBE_FAILED', `probe helper did not start within ${startTimeout} ms`))
      }, startTimeout)

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
          if (!started) { clearTimeout(timer); fail(new AppError('ERR_SYSCALL_PROBE_FAILED', why)) } else reportError(new AppError('ERR_SYSCALL_PROBE_FAILED', why))
          return
        }
        if (out.hello !== undefined) {
          helperPid = out.hello.helperPid
          lastDrops = 0
          if (!started) {
            started = true
            clearTimeout(timer)
            log?.info(`eBPF probe attached (helper pid ${helperPid}, ${out.hello.ncpu} CPUs)`)
            ok()
          }
        }
        if (out.conf !== undefined) {
          for (const c of out.conf) {
            const w = confWaiters.get(c.seq)
            if (w !== undefined) w(c)
          }
        }
        if (out.records.length > 0) callSafely('onRecords', function emit () { opts.onRecords(out.records) }, reportError)
        if (out.errors.length > 0) onDecodeErrors(out.errors)
        for (const s of out.stats) onStatsFrame(s)
      })
      proc.on('error', function onSpawnError (cause) {
        clearTimeout(timer)
        if (!started) fail(new AppError('ERR_SYSCALL_PROBE_FAILED', `cannot run probe helper ${bin}: ${cause.message}`, { cause }))
      })
      proc.on('close', function onClose (code, signal) {
        clearTimeout(timer)
        if (child === proc) child = undefined
        const why = `probe helper exited (${signal ?? `code ${code}`})${stderrTail.trim() === '' ? '' : `: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`}`
        if (!started) {
          fail(new AppError(code === 3 ? 'ERR_SYSCALL_UNSUPPORTED' : 'ERR_SYSCALL_PROBE_FAILED', why))
          return
        }
        if (replacing === proc) {
          replacing = undefined
          const done = replaced
          replaced = undefined
          if (stopping) { done?.('deferred'); return }
          launch().then(function relaunched () { done?.('restarted') }, function relaunchFailed (err: AppError) {
            done?.(err)
            if (stopping) return
            reportError(err)
            scheduleRestart()
          })
          return
        }
        if (stopping) return
        if (Date.now() - startedAt > HEALTHY_MS) backoff = minBackoff
        reportError(new AppError('ERR_SYSCALL_PROBE_FAILED', `${why}; restarting in ${backoff} ms`))
        scheduleRestart()
      })
    })
  }

  function scheduleRestart (): void {
    try { opts.onRestart?.() } catch { /* a failing counter must not stop the probe */ }
    const wait = backoff
    backoff = Math.min(maxBackoff, backoff * 2)
    restartTimer = setTimeout(function restart () {
      restartTimer = undefined
      if (stopping) return
      restarts++
      launch().catch(function failed (err: AppError) {
        if (stopping) return
        reportError(err)
        scheduleRestart()
      })
    }, wait)
  }

  /** asks the running helper to switch sets; resolves with its answer, or undefined on timeout */
  function askHelper (proc: Helper, set: KindSet): Promise<ConfFrame | undefined> {
    return new Promise(function ask (done) {
      const seq = ++confSeq >>> 0
      const timer = setTimeout(function noAnswer () { confWaiters.delete(seq); done(undefined) }, confTimeout)
      confWaiters.set(seq, function answered (c) { confWaiters.delete(seq); clearTimeout(timer); done(c) })
      proc.stdin.write(`kinds ${seq} ${listArg(set.kinds)} ${listArg(set.enter)}\n`)
    })
  }

  /** stops the helper and starts the next one with the current args at once */
  function replaceHelper (proc: Helper): Promise<KindsChange> {
    return new Promise(function replace (ok, fail) {
      replacing = proc
      replaced = function relaunched (result) { if (typeof result === 'string') ok(result); else fail(result) }
      proc.kill('SIGTERM')
    })
  }

  async function applyKinds (set: KindSet): Promise<KindsChange> {
    if (sameList(set.kinds, wanted.kinds) && sameList(set.enter, wanted.enter)) return 'unchanged'
    const procexitChanged = set.kinds.includes('procexit') !== wanted.kinds.includes('procexit')
    wanted = set
    args = helperArgs(opts, wanted)
    const proc = child
    if (stopping || proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return 'deferred'
    if (!procexitChanged) {
      const answer = await askHelper(proc, set)
      if (answer !== undefined && !answer.rejected) return 'live'
      if (stopping) return 'deferred'
      log?.warn(answer === undefined
        ? `probe helper did not answer the kinds change within ${confTimeout} ms: restarting it with the new set`
        : 'probe helper rejected the kinds change: restarting it with the new set')
      if (child !== proc || stopping) return 'deferred'
    }
    return await replaceHelper(proc)
  }

  await launch()

  return {
    get pid () { return child?.pid ?? 0 },
    get kinds () { return wanted.kinds },
    get enterKinds () { return wanted.enter },
    setKinds (kinds: readonly string[], enterKinds: readonly string[] = []): Promise<KindsChange> {
      try {
        checkKinds('kinds', kinds)
        checkKinds('enterKinds', enterKinds)
      } catch (err) {
        return Promise.reject(err)
      }
      const set: KindSet = { kinds: [...kinds], enter: [...enterKinds] }
      const next = changes.then(function apply () { return applyKinds(set) })
      changes = next.catch(function keepOrder () { /* the caller sees the error */ })
      return next
    },
    async stop (): Promise<void> {
      stopping = true
      if (restartTimer !== undefined) clearTimeout(restartTimer)
      for (const answer of [...confWaiters.values()]) answer(undefined)
      const proc = child
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return
      await new Promise<void>(function waitExit (done) {
        const kill = setTimeout(function force () { proc.kill('SIGKILL') }, 3000)
        proc.once('close', function closed () { clearTimeout(kill); done() })
        proc.stdin.end()
        proc.kill('SIGTERM')
      })
    }
  }
}
