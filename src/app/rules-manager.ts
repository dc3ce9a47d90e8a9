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
import { hostname as osHostname } from 'node:os'
import { formatLocated } from '../errors/index.ts'
import type { Config } from '../config/index.ts'
import type { SourceDefinition } from '../fields/index.ts'
import { loadRules, readRulesPaths, type LoadIssue, type LoadOptions, type LoadResult, type Ruleset, type RulesInput } from '../rules/index.ts'
import type { AppLogger } from './logger.ts'
import type { AppMetrics } from './metrics.ts'
import { rulesRejectedAlert } from './internal-alerts.ts'
import { loadDroppingFailures, type RejectedInput } from './rules-degraded.ts'
import type { Alert, Logger } from '../events/index.ts'

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
   * Called with the texts of every ruleset that gets installed (evaluation workers compile their
   * own copy); awaited before load()/reload() resolve. A failing listener is logged, not fatal.
   */
  onInstall(listener: (inputs: RulesInput[]) => Promise<void>): void
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

/** `file:line:col: CODE: message` lines, for logs and the CLI. */
export function describeIssues (issues: readonly LoadIssue[]): string[] {
  return issues.map((i) => formatLocated({ code: i.code, message: i.message, location: i.location }))
}

/**
 * Rules warnings in the log: most are Falco's housekeeping (debug), but a rule built on a field
 * Lanner never fills (LOAD_FIELD_NO_DATA) is a detection gap the operator must see (warn).
 */
export function logRulesWarnings (log: Pick<Logger, 'warn' | 'debug'>, warnings: readonly LoadIssue[]): void {
  const lines = describeIssues(warnings)
  warnings.forEach((w, i) => {
    if (w.code === 'LOAD_FIELD_NO_DATA') log.warn({ warning: lines[i], code: w.code, rule: w.location?.itemName }, 'rule uses a field Lanner never fills')
    else log.debug({ warning: lines[i] }, 'rules warning')
  })
}

export async function loadRulesFromPaths (paths: readonly string[], opts: LoadOptions, extra: readonly RulesInput[] = []): Promise<LoadResult> {
  return loadRules([...await readRulesPaths(paths), ...extra], opts)
}

export function createRulesManager (cfg: Config, sources: readonly SourceDefinition<any>[], logger: AppLogger, metrics: AppMetrics, emit?: (alert: Alert) => void): RulesManager {
  let opts = loadOptionsFrom(cfg, sources)
  const log = logger.child({ module: 'rules' })
  const load = (inputs: RulesInput[]): LoadResult => loadRules(inputs, opts)
  let current: Ruleset | undefined
  let currentInputs: RulesInput[] | undefined
  let rejected: RejectedInput[] = []
  /** input name → the first error it was alerted for: one alert per rejection, not per reload */
  const alerted = new Map<string, string>()
  let running: Promise<boolean> | undefined
  let again = false
  let firstLoadSettled = false
  let settleFirstLoad!: () => void
  const firstLoad = new Promise<void>((resolve) => { settleFirstLoad = resolve })
  let afterFirstLoad: Promise<boolean> | undefined
  const extras = new Map<string, readonly RulesInput[]>()
  const extraInputs = (): RulesInput[] => [...extras.values()].flat()
  const listeners: Array<(inputs: RulesInput[]) => Promise<void>> = []

  async function readInputs (): Promise<RulesInput[]> {
    return [...await readRulesPaths(cfg.rulesPaths), ...extraInputs()]
  }

  async function install (rs: Ruleset, inputs: RulesInput[], left: RejectedInput[]): Promise<void> {
    current = rs
    currentInputs = inputs
    for (const s of sources) metrics.activeRules(s.name, rs.activeCount(s.name))
    noteRejected(left)
    for (const l of listeners) {
      try { await l(inputs) } catch (err) { log.error({ err: (err as Error).message }, 'a ruleset listener failed') }
    }
  }

  /** Logs every error of every rejected input and alerts once per newly rejected input. */
  function noteRejected (left: RejectedInput[]): void {
    rejected = left
    metrics.rulesRejected(left.length)
    for (const r of left) {
      const lines = describeIssues(r.errors)
      r.errors.forEach((e, i) => { log.error({ input: r.name, code: e.code, detailCode: e.detailCode, error: lines[i] }, 'rules input rejected: running without it') })
      const first = lines[0] ?? r.name
      if (alerted.get(r.name) === first) continue
      alerted.set(r.name, first)
      emit?.(rulesRejectedAlert(BigInt(Date.now()) * 1_000_000n, { input: r.name, firstError: first, firstCode: r.errors[0]?.code ?? '', firstDetailCode: r.errors[0]?.detailCode, errors: r.errors.length }, opts.hostname))
    }
    for (const name of [...alerted.keys()]) if (!left.some((r) => r.name === name)) alerted.delete(name)
  }

  async function reloadOnce (reason: string): Promise<boolean> {
    let result: LoadResult
    let inputs: RulesInput[] = []
    try {
      inputs = await readInputs()
      result = load(inputs)
    } catch (err) {
      result = { ok: false, errors: [{ code: 'LOAD_ERR_FILE_READ', severity: 'error', message: (err as Error).message }], warnings: [] }
    }
    if (result.ok && result.ruleset !== undefined) {
      const wasDegraded = rejected.length > 0
      await install(result.ruleset, inputs, [])
      metrics.reload(true)
      logRulesWarnings(log, result.warnings)
      // the same shape as the start-up line: active rules of this instance's source, a number
      log.info({ reason, source: cfg.source, rules: result.ruleset.rules.length, active: result.ruleset.activeCount(cfg.source), ...(wasDegraded ? { recovered: true } : {}) }, 'rules reloaded')
      return true
    }
    if (rejected.length > 0) {
      const d = loadDroppingFailures(inputs, load, result)
      if (d.ok) {
        await install(d.ruleset, d.inputs, d.rejected)
        metrics.reload(true)
        log.warn({ reason, rules: d.ruleset.rules.length, rejected: d.rejected.map((r) => r.name) }, 'rules reloaded without the rejected inputs')
        return true
      }
    }
    metrics.reload(false)
    log.error({ reason, errors: describeIssues(result.errors) }, 'rules reload rejected: the previous rules keep running')
    return false
  }

  async function reloadLoop (reason: string): Promise<boolean> {
    let ok = await reloadOnce(reason)
    while (again) {
      again = false
      ok = await reloadOnce(`${reason} (coalesced)`)
    }
    return ok
  }

  async function reloadNow (reason: string): Promise<boolean> {
    if (running !== undefined) { again = true; return await running }
    running = reloadLoop(reason).finally(() => { running = undefined })
    return await running
  }

  async function firstLoadOf (inputs: RulesInput[], degraded: boolean): Promise<FirstLoad> {
    const full = load(inputs)
    if (full.ok && full.ruleset !== undefined) {
      await install(full.ruleset, inputs, [])
      return { ...full, rejected: [] }
    }
    if (!degraded) return { ...full, rejected: [] }
    const d = loadDroppingFailures(inputs, load, full)
    if (!d.ok) {
      if (d.reason === 'unattributed') log.error({}, 'a rules error names no rules input: cannot start without the failing input')
      return { ...full, rejected: [] }
    }
    await install(d.ruleset, d.inputs, d.rejected)
    return { ...d.result, rejected: d.rejected }
  }

  return {
    paths: cfg.rulesPaths,
    current: () => current,
    rejected: () => rejected,
    setExtraInputs (key, inputs) { extras.set(key, inputs) },
    onInstall (listener) { listeners.push(listener) },
    inputs: () => currentInputs,
    setLoadOptions (next) { opts = next },
    async load (loadOpts = {}) {
      try {
        return await firstLoadOf(await readInputs(), loadOpts.degraded === true)
      } finally {
        firstLoadSettled = true
        settleFirstLoad()
      }
    },
    async reload (reason) {
      if (firstLoadSettled) return await reloadNow(reason)
      afterFirstLoad ??= firstLoad.then(async function reloadAfterFirstLoad () {
        afterFirstLoad = undefined
        // the first load failed: the instance is not starting, there is nothing to reload into
        if (current === undefined) return false
        return await reloadNow(`${reason} (requested during the first load)`)
      })
      return await afterFirstLoad
    }
  }
}
