// The probe's entry point: startProbe checks the options, finds or builds the helper
// (src/syscall/helper) and puts together the supervisor's units (supervisor/): the helper process
// and its handshake, restart backoff, kinds changes and their answers, the stats counters.
// Why a helper process rather than an N-API addon: see the header of helper/lanner-probe.c.
import type { Logger } from '../events/index.ts'
import { DEFAULT_KINDS } from './abi.ts'
import { prepareProbe } from './build.ts'
import { ConfRequests } from './supervisor/conf-requests.ts'
import { checkKinds, helperArgs, type KindSet } from './supervisor/helper-args.ts'
import { KindsSwitch } from './supervisor/kinds-switch.ts'
import { ProbeCounters } from './supervisor/probe-counters.ts'
import { ProbeSupervisor, type KindsChange, type ProbeCallbacks } from './supervisor/probe-supervisor.ts'
import { RestartBackoff } from './supervisor/restart-backoff.ts'

export interface ProbeOptions extends ProbeCallbacks {
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
  /** a helper that attached but showed no sign of running (no record, no self-check) for this long is restarted (default 30 s; 0: never) */
  silentRestartMs?: number
}

/** The first STATS, with its self-check, comes right after HELLO: 30 s without a sign is a broken attach or a stuck helper. */
const DEFAULT_SILENT_RESTART_MS = 30_000

/** How setKinds took effect: already the set; applied in place; by restarting the helper; or
 *  kept for the next start (no helper running right now, e.g. during a restart backoff). */
export type { KindsChange }

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

/**
 * Starts the probe. Resolves once the helper has attached its programs (its HELLO frame arrived);
 * rejects with ERR_SYSCALL_UNSUPPORTED when the kernel or privileges cannot run it, or
 * ERR_SYSCALL_PROBE_FAILED when it fails otherwise. Later failures go to onError and trigger restarts.
 */
export async function startProbe (opts: ProbeOptions): Promise<ProbeHandle> {
  checkKinds('kinds', opts.kinds)
  checkKinds('enterKinds', opts.enterKinds)
  const initial: KindSet = { kinds: [...(opts.kinds ?? DEFAULT_KINDS)], enter: [...(opts.enterKinds ?? [])] }
  helperArgs(opts, initial) // checks the numeric options before anything is built or spawned
  const bin = opts.helperPath ?? await prepareProbe()
  const conf = new ConfRequests(opts.confTimeoutMs ?? 3000)
  const supervisor: ProbeSupervisor = new ProbeSupervisor({
    bin,
    args: function currentArgs () { return helperArgs(opts, kinds.wanted) },
    startTimeoutMs: opts.startTimeoutMs ?? 15_000,
    backoff: new RestartBackoff({ minMs: opts.restartMinMs ?? 250, maxMs: opts.restartMaxMs ?? 10_000 }),
    counters: new ProbeCounters(),
    conf,
    log: opts.logger,
    callbacks: opts,
    silentRestartMs: opts.silentRestartMs ?? DEFAULT_SILENT_RESTART_MS
  })
  const kinds = new KindsSwitch(initial, { supervisor, conf, log: opts.logger })

  await supervisor.launch()

  return {
    get pid () { return supervisor.current?.pid ?? 0 },
    get kinds () { return kinds.wanted.kinds },
    get enterKinds () { return kinds.wanted.enter },
    setKinds (kindList: readonly string[], enterKinds: readonly string[] = []): Promise<KindsChange> {
      return kinds.change(kindList, enterKinds)
    },
    async stop (): Promise<void> { await supervisor.stop() }
  }
}
