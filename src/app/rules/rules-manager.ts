// Owns the current ruleset: the first load, and reloads (file change, SIGHUP, ConfigMap) that swap
// in a new ruleset. The swap is one reference assignment; a batch reads the reference once and
// keeps that ruleset for all its events, so swaps land between batches.
//
// Policy when rules inputs fail (serve; `--dry-run`, `rules validate` and replay load strictly):
// - first load, degraded allowed (serve without lanner.rules_strict): when the full set fails, the
//   inputs the errors point at are dropped, repeatedly (see rules-degraded.ts), and the instance
//   starts with what loads; each rejected input is logged (every error, with file:line:col and
//   code), counted in lanner_rules_rejected_inputs and raised as an internal alert. Nothing loads
//   or an error names no input: the load fails as in strict mode (serve exits 1).
// - every reload tries the FULL set first, so a fixed input comes back and the gauge returns to 0.
//   When the full set fails: a degraded instance retries with the failing inputs dropped (fixing
//   file A while file B is still broken works); an instance running everything rejects the reload
//   and keeps its rules, as always. A reload never makes a healthy instance degraded.
// - reloads requested before or during the first load run once after it (coalesced): the
//   installed set then reflects inputs (ConfigMaps) that changed while the first load ran, and
//   installs never overlap, so install listeners (evaluation workers) end on the latest set.
//
// The pieces: RulesInstaller (below: the current ruleset, first load and reload policy),
// RulesReloadQueue (when reloads run), RulesRejections (what is left out, logged and alerted).
import { hostname as osHostname } from 'node:os'
import type { Config } from '../../config/index.ts'
import type { SourceDefinition } from '../../fields/index.ts'
import { loadRules, readRulesPaths, type LoadOptions, type LoadResult, type Ruleset, type RulesInput } from '../../rules/index.ts'
import type { AppLogger } from '../log/logger.ts'
import type { AppMetrics } from '../metrics/metrics.ts'
import { loadDroppingFailures, type RejectedInput } from './rules-degraded.ts'
import { describeIssues, logRulesWarnings } from './rules-issues.ts'
import { RulesRejections } from './rules-rejections.ts'
import { RulesReloadQueue } from './rules-reload-queue.ts'
import type { Alert } from '../../events/index.ts'

export { describeIssues, logRulesWarnings }

export interface RulesManager {
  /** undefined until the first successful load */
  current(): Ruleset | undefined
  /**
   * The first load; the result says whether a ruleset was installed. With `degraded` (serve
   * without lanner.rules_strict) failing inputs are left out when the rest loads (`rejected`).
   */
  load(opts?: { degraded?: boolean }): Promise<FirstLoad>
  /**
   * Re-read and swap if valid (see the policy above); concurrent calls coalesce into one more
   * load; calls before the first load has finished wait for it (so they need load() to be called)
   * and then run once; when the first load installed nothing they resolve false.
   */
  reload(reason: string): Promise<boolean>
  /** inputs left out of the current ruleset; empty when everything loaded */
  rejected(): readonly RejectedInput[]
  readonly paths: readonly string[]
  /**
   * Rules texts from elsewhere than files (ConfigMaps via the API), loaded after the files in
   * the order their keys were first set. Takes effect on the next load or reload.
   */
  setExtraInputs(key: string, inputs: readonly RulesInput[]): void
  /**
   * Called with the texts of every ruleset that gets installed and the options it was loaded with
   * (evaluation workers compile their own copy with the same settings); awaited before
   * load()/reload() resolve. A failing listener is logged, not fatal.
   */
  onInstall(listener: (inputs: RulesInput[], opts: LoadOptions) => Promise<void>): void
  /** the texts the current ruleset was built from */
  inputs(): RulesInput[] | undefined
  /** new load settings (a live config reload); they take effect on the next reload */
  setLoadOptions(opts: LoadOptions): void
}

export interface FirstLoad extends LoadResult {
  /** inputs left out of the installed ruleset (degraded load); their errors are not in `errors` */
  rejected: RejectedInput[]
}

export function loadOptionsFrom (cfg: Config, sources: readonly SourceDefinition<any>[]): LoadOptions {
  return {
    sources,
    minPriority: cfg.minPriority,
    tagsKeep: cfg.tagsKeep,
    tagsDrop: cfg.tagsDrop,
    selection: cfg.selection,
    ruleMatching: cfg.ruleMatching,
    hostname: process.env.FALCO_HOSTNAME ?? osHostname(),
    appendOutput: cfg.appendOutput
  }
}

export async function loadRulesFromPaths (paths: readonly string[], opts: LoadOptions, extra: readonly RulesInput[] = []): Promise<LoadResult> {
  return loadRules([...await readRulesPaths(paths), ...extra], opts)
}

export function createRulesManager (cfg: Config, sources: readonly SourceDefinition<any>[], logger: AppLogger, metrics: AppMetrics, emit?: (alert: Alert) => void): RulesManager {
  const rules = new RulesInstaller(cfg, sources, logger.child({ module: 'rules' }), metrics, emit)
  const queue = new RulesReloadQueue({
    reloadOnce: function reloadOnce (reason) { return rules.reloadOnce(reason) },
    hasRules: function hasRules () { return rules.current !== undefined }
  })
  return {
    paths: cfg.rulesPaths,
    current: () => rules.current,
    rejected: () => rules.rejections.current,
    setExtraInputs (key, inputs) { rules.extras.set(key, inputs) },
    onInstall (listener) { rules.listeners.push(listener) },
    inputs: () => rules.currentInputs,
    setLoadOptions (next) { rules.opts = next },
    async load (loadOpts = {}) {
      try {
        return await rules.firstLoad(loadOpts.degraded === true)
      } finally {
        queue.firstLoadSettled()
      }
    },
    async reload (reason) { return await queue.request(reason) }
  }
}

/** The current ruleset and the policy that replaces it (see the top of this file). */
class RulesInstaller {
  current: Ruleset | undefined
  currentInputs: RulesInput[] | undefined
  opts: LoadOptions
  readonly rejections: RulesRejections
  /** ConfigMap texts by key, loaded after the files in the order their keys were first set */
  readonly extras = new Map<string, readonly RulesInput[]>()
  readonly listeners: Array<(inputs: RulesInput[], opts: LoadOptions) => Promise<void>> = []
  readonly #cfg: Config
  readonly #sources: readonly SourceDefinition<any>[]
  readonly #log: AppLogger
  readonly #metrics: AppMetrics

  constructor (cfg: Config, sources: readonly SourceDefinition<any>[], log: AppLogger, metrics: AppMetrics, emit: ((alert: Alert) => void) | undefined) {
    this.#cfg = cfg
    this.#sources = sources
    this.#log = log
    this.#metrics = metrics
    this.opts = loadOptionsFrom(cfg, sources)
    this.rejections = new RulesRejections({ log, metrics, emit, hostname: () => this.opts.hostname })
  }

  /** The first load: the full set, or with `degraded` what loads without the failing inputs. */
  async firstLoad (degraded: boolean): Promise<FirstLoad> {
    const inputs = await this.#readInputs()
    const full = this.#load(inputs)
    if (full.ok && full.ruleset !== undefined) {
      await this.#install(full.ruleset, inputs, [])
      return { ...full, rejected: [] }
    }
    if (!degraded) return { ...full, rejected: [] }
    const d = loadDroppingFailures(inputs, this.#load, full)
    if (!d.ok) {
      if (d.reason === 'unattributed') this.#log.error({}, 'a rules error names no rules input: cannot start without the failing input')
      return { ...full, rejected: [] }
    }
    await this.#install(d.ruleset, d.inputs, d.rejected)
    return { ...d.result, rejected: d.rejected }
  }

  /** One reload: the full set first; a degraded instance may drop failing inputs again. */
  async reloadOnce (reason: string): Promise<boolean> {
    let result: LoadResult
    let inputs: RulesInput[] = []
    try {
      inputs = await this.#readInputs()
      result = this.#load(inputs)
    } catch (err) {
      result = { ok: false, errors: [{ code: 'LOAD_ERR_FILE_READ', severity: 'error', message: (err as Error).message }], warnings: [] }
    }
    const log = this.#log
    if (result.ok && result.ruleset !== undefined) {
      const wasDegraded = this.rejections.current.length > 0
      await this.#install(result.ruleset, inputs, [])
      this.#metrics.reload(true)
      logRulesWarnings(log, result.warnings)
      // the same shape as the start-up line: active rules of this instance's source, a number
      log.info({ reason, source: this.#cfg.source, rules: result.ruleset.rules.length, active: result.ruleset.activeCount(this.#cfg.source), ...(wasDegraded ? { recovered: true } : {}) }, 'rules reloaded')
      return true
    }
    if (this.rejections.current.length > 0) {
      const d = loadDroppingFailures(inputs, this.#load, result)
      if (d.ok) {
        await this.#install(d.ruleset, d.inputs, d.rejected)
        this.#metrics.reload(true)
        log.warn({ reason, rules: d.ruleset.rules.length, rejected: d.rejected.map((r) => r.name) }, 'rules reloaded without the rejected inputs')
        return true
      }
    }
    this.#metrics.reload(false)
    log.error({ reason, errors: describeIssues(result.errors) }, 'rules reload rejected: the previous rules keep running')
    return false
  }

  readonly #load = (inputs: RulesInput[]): LoadResult => loadRules(inputs, this.opts)

  async #readInputs (): Promise<RulesInput[]> {
    return [...await readRulesPaths(this.#cfg.rulesPaths), ...[...this.extras.values()].flat()]
  }

  async #install (rs: Ruleset, inputs: RulesInput[], left: RejectedInput[]): Promise<void> {
    this.current = rs
    this.currentInputs = inputs
    for (const s of this.#sources) this.#metrics.activeRules(s.name, rs.activeCount(s.name))
    this.rejections.note(left)
    for (const l of this.listeners) {
      try { await l(inputs, this.opts) } catch (err) { this.#log.error({ err: (err as Error).message }, 'a ruleset listener failed') }
    }
  }
}
