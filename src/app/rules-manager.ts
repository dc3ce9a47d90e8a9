// Owns the current ruleset: the first load, and reloads (file change, SIGHUP) that swap in a new
// ruleset only when it loads without errors. The swap is one reference assignment; a batch reads
// the reference once and keeps that ruleset for all its events, so swaps land between batches.
import { hostname as osHostname } from 'node:os'
import { formatLocated } from '../errors/index.ts'
import type { Config } from '../config/index.ts'
import type { SourceDefinition } from '../fields/index.ts'
import { loadRules, readRulesPaths, type LoadIssue, type LoadOptions, type LoadResult, type Ruleset, type RulesInput } from '../rules/index.ts'
import type { AppLogger } from './logger.ts'
import type { AppMetrics } from './metrics.ts'

export interface RulesManager {
  /** undefined until the first successful load */
  current(): Ruleset | undefined
  /** the first load; the result says whether it succeeded */
  load(): Promise<LoadResult>
  /** re-read and swap if valid; concurrent calls coalesce into one more load */
  reload(reason: string): Promise<boolean>
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
}

export function loadOptionsFrom (cfg: Config, sources: readonly SourceDefinition<any>[]): LoadOptions {
  return {
    sources,
    minPriority: cfg.minPriority,
    tagsKeep: cfg.tagsKeep,
    tagsDrop: cfg.tagsDrop,
    selection: cfg.selection,
    ruleMatching: cfg.ruleMatching,
    hostname: process.env.FALCO_HOSTNAME ?? osHostname()
  }
}

/** `file:line:col: CODE: message` lines, for logs and the CLI. */
export function describeIssues (issues: readonly LoadIssue[]): string[] {
  return issues.map((i) => formatLocated({ code: i.code, message: i.message, location: i.location }))
}

export async function loadRulesFromPaths (paths: readonly string[], opts: LoadOptions, extra: readonly RulesInput[] = []): Promise<LoadResult> {
  return loadRules([...await readRulesPaths(paths), ...extra], opts)
}

export function createRulesManager (cfg: Config, sources: readonly SourceDefinition<any>[], logger: AppLogger, metrics: AppMetrics): RulesManager {
  const opts = loadOptionsFrom(cfg, sources)
  const log = logger.child({ module: 'rules' })
  let current: Ruleset | undefined
  let running: Promise<boolean> | undefined
  let again = false
  const extras = new Map<string, readonly RulesInput[]>()
  const extraInputs = (): RulesInput[] => [...extras.values()].flat()
  const listeners: Array<(inputs: RulesInput[]) => Promise<void>> = []

  async function readInputs (): Promise<RulesInput[]> {
    return [...await readRulesPaths(cfg.rulesPaths), ...extraInputs()]
  }

  let currentInputs: RulesInput[] | undefined

  async function install (rs: Ruleset, inputs: RulesInput[]): Promise<void> {
    current = rs
    currentInputs = inputs
    for (const s of sources) metrics.activeRules(s.name, rs.activeCount(s.name))
    for (const l of listeners) {
      try { await l(inputs) } catch (err) { log.error({ err: (err as Error).message }, 'a ruleset listener failed') }
    }
  }

  async function reloadOnce (reason: string): Promise<boolean> {
    let result: LoadResult
    let inputs: RulesInput[] = []
    try {
      inputs = await readInputs()
      result = loadRules(inputs, opts)
    } catch (err) {
      result = { ok: false, errors: [{ code: 'LOAD_ERR_FILE_READ', severity: 'error', message: (err as Error).message }], warnings: [] }
    }
    if (!result.ok || result.ruleset === undefined) {
      metrics.reload(false)
      log.error({ reason, errors: describeIssues(result.errors) }, 'rules reload rejected: the previous rules keep running')
      return false
    }
    await install(result.ruleset, inputs)
    metrics.reload(true)
    for (const w of describeIssues(result.warnings)) log.debug({ warning: w }, 'rules warning')
    log.info({ reason, rules: result.ruleset.rules.length, active: sources.map((s) => result.ruleset?.activeCount(s.name)) }, 'rules reloaded')
    return true
  }

  async function reloadLoop (reason: string): Promise<boolean> {
    let ok = await reloadOnce(reason)
    while (again) {
      again = false
      ok = await reloadOnce(`${reason} (coalesced)`)
    }
    return ok
  }

  return {
    paths: cfg.rulesPaths,
    current: () => current,
    setExtraInputs (key, inputs) { extras.set(key, inputs) },
    onInstall (listener) { listeners.push(listener) },
    inputs: () => currentInputs,
    async load () {
      const inputs = await readInputs()
      const result = loadRules(inputs, opts)
      if (result.ok && result.ruleset !== undefined) await install(result.ruleset, inputs)
      return result
    },
    async reload (reason) {
      if (running !== undefined) { again = true; return await running }
      running = reloadLoop(reason).finally(() => { running = undefined })
      return await running
    }
  }
}
