// The probe records only the event types the loaded syscall rules can match (plus what the
// process/fd tables need), and follows rules reloads: a reload whose rules need other types
// changes the running probe in place. Nothing is lost on a change: the enricher's tables live in
// Node, not in the helper.
import type { Logger } from '../../events/index.ts'
import type { Ruleset } from '../../rules/index.ts'
import { probeKindsFor, sameProbeKinds, type ProbeHandle, type ProbeKinds } from '../../syscall/index.ts'

const SOURCE = 'syscall'

export class ProbeKindsFollower {
  readonly #rules: { current(): Ruleset | undefined }
  readonly #log: Pick<Logger, 'info' | 'error'>
  #probe: Pick<ProbeHandle, 'kinds' | 'enterKinds' | 'setKinds'> | undefined
  #stopped = false

  constructor (rules: { current(): Ruleset | undefined }, log: Pick<Logger, 'info' | 'error'>) {
    this.#rules = rules
    this.#log = log
  }

  /** The kinds the current rules need. */
  kindsNow (): ProbeKinds {
    return probeKindsFor(this.#rules.current(), SOURCE)
  }

  /** One info line naming the kinds (and the rules' types the probe cannot produce). */
  logKinds (k: ProbeKinds, msg: string, extra: Record<string, unknown> = {}): void {
    this.#log.info({
      ...extra,
      kinds: k.kinds,
      enterKinds: k.enterKinds,
      anyType: k.anyType,
      ...(k.unproduced.length > 0 ? { typesNotProduced: k.unproduced } : {})
    }, k.anyType ? `${msg} (a rule matches any event type: default set)` : msg)
  }

  /** From now on follow() changes this probe. */
  attach (probe: Pick<ProbeHandle, 'kinds' | 'enterKinds' | 'setKinds'>): void {
    this.#probe = probe
  }

  /** Shutting down: later installs change nothing. */
  stop (): void {
    this.#stopped = true
  }

  /**
   * After a rules install: give the probe the kinds the new rules need, when they differ. A
   * failed change keeps the previous set (logged with its code); never rejects.
   */
  async follow (): Promise<void> {
    const running = this.#probe
    if (running === undefined || this.#stopped) return
    const want = this.kindsNow()
    if (sameProbeKinds(want, { kinds: running.kinds, enterKinds: running.enterKinds })) return
    try {
      const how = await running.setKinds(want.kinds, want.enterKinds)
      this.logKinds(want, 'probe event types changed for the new rules', { applied: how })
    } catch (err) {
      const code = (err as { code?: string }).code
      // a set the probe cannot take (ConfigError) changes nothing; any other failure is the
      // replacement helper's start, and the supervisor restarts it with the new set (KindsSwitch
      // took it as wanted before replacing)
      this.#log.error({ code, err: (err as Error).message }, code === 'ERR_CONFIG_INVALID'
        ? 'probe event types could not be changed: the previous set stays'
        : 'probe event types could not be changed now: the helper with the new set failed to start and is restarted with it')
    }
  }
}
