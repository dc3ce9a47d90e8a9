// The rules inputs left out of the running ruleset (degraded load): every error of each is
// logged with its code, their number is the lanner_rules_rejected_inputs gauge, and each newly
// rejected input raises one internal alert (one per rejection, not one per reload).
import type { Alert, Logger } from '../../events/index.ts'
import { describeIssues } from './rules-issues.ts'
import { rulesRejectedAlert } from '../metrics/internal-alerts.ts'
import type { AppMetrics } from '../metrics/metrics.ts'
import type { RejectedInput } from './rules-degraded.ts'

export interface RulesRejectionsDeps {
  log: Pick<Logger, 'error'>
  metrics: Pick<AppMetrics, 'rulesRejected'>
  emit?: ((alert: Alert) => void) | undefined
  hostname: () => string | undefined
}

export class RulesRejections {
  #current: RejectedInput[] = []
  /** input name → the first error it was alerted for */
  readonly #alerted = new Map<string, string>()
  readonly #deps: RulesRejectionsDeps

  constructor (deps: RulesRejectionsDeps) {
    this.#deps = deps
  }

  /** inputs left out of the current ruleset; empty when everything loaded */
  get current (): RejectedInput[] {
    return this.#current
  }

  /** A ruleset was installed without `left`: logs every error, alerts once per newly rejected input. */
  note (left: RejectedInput[]): void {
    const { log, metrics, emit } = this.#deps
    this.#current = left
    metrics.rulesRejected(left.length)
    for (const r of left) {
      const lines = describeIssues(r.errors)
      r.errors.forEach((e, i) => { log.error({ input: r.name, code: e.code, detailCode: e.detailCode, error: lines[i] }, 'rules input rejected: running without it') })
      const first = lines[0] ?? r.name
      // the same input failing the same way again (a reload) is not news; failing differently is
      if (this.#alerted.get(r.name) === first) continue
      this.#alerted.set(r.name, first)
      emit?.(rulesRejectedAlert(BigInt(Date.now()) * 1_000_000n, { input: r.name, firstError: first, firstCode: r.errors[0]?.code ?? '', firstDetailCode: r.errors[0]?.detailCode, errors: r.errors.length }, this.#deps.hostname()))
    }
    for (const name of [...this.#alerted.keys()]) if (!left.some((r) => r.name === name)) this.#alerted.delete(name)
  }
}
