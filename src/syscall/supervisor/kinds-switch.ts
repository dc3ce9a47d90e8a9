// Changes the recorded event kinds while the probe runs, one change at a time in call order: in
// place when the helper answers the control line, else (no answer, a rejection, or procexit
// switched) by replacing the helper; kept for the next start when no helper is running.
import type { Logger } from '../../events/index.ts'
import type { ConfRequests } from './conf-requests.ts'
import { checkKinds, procexitChanged, sameKinds, type KindSet } from './helper-args.ts'
import type { KindsChange, ProbeSupervisor } from './probe-supervisor.ts'

export interface KindsSwitchOptions {
  supervisor: Pick<ProbeSupervisor, 'current' | 'stopping' | 'replace'>
  conf: ConfRequests
  log?: Pick<Logger, 'warn'> | undefined
}

export class KindsSwitch {
  #wanted: KindSet
  readonly #opts: KindsSwitchOptions
  /** the last change queued: the next one starts after it settles */
  #changes: Promise<unknown> = Promise.resolve()

  constructor (initial: KindSet, opts: KindsSwitchOptions) {
    this.#wanted = initial
    this.#opts = opts
  }

  /** the set the running helper records, or the next one will */
  get wanted (): KindSet {
    return this.#wanted
  }

  /** queues a change; rejects at once with ConfigError for an unknown kind (nothing changes) */
  change (kinds: readonly string[], enterKinds: readonly string[]): Promise<KindsChange> {
    try {
      checkKinds('kinds', kinds)
      checkKinds('enterKinds', enterKinds)
    } catch (err) {
      return Promise.reject(err)
    }
    const set: KindSet = { kinds: [...kinds], enter: [...enterKinds] }
    const next = this.#changes.then(() => this.#apply(set))
    this.#changes = next.catch(function keepOrder () { /* the caller sees the error */ })
    return next
  }

  async #apply (set: KindSet): Promise<KindsChange> {
    if (sameKinds(set, this.#wanted)) return 'unchanged'
    const needsNewHelper = procexitChanged(set, this.#wanted)
    this.#wanted = set
    const { supervisor, conf, log } = this.#opts
    const helper = supervisor.current
    if (supervisor.stopping || helper === undefined || !helper.running) return 'deferred'
    if (!needsNewHelper) {
      const answer = await conf.ask(function send (line) { helper.send(line) }, set)
      if (answer !== undefined && !answer.rejected) return 'live'
      if (supervisor.stopping) return 'deferred'
      log?.warn(answer === undefined
        ? `probe helper did not answer the kinds change within ${conf.timeoutMs} ms: restarting it with the new set`
        : 'probe helper rejected the kinds change: restarting it with the new set')
      if (supervisor.current !== helper || supervisor.stopping) return 'deferred'
    }
    return await supervisor.replace(helper)
  }
}
