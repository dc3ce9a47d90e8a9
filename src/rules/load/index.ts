// loadRules: rules texts → LoadResult (errors, warnings, ruleset). Pure: reading files is
// readRulesPaths' job. Pipeline: reader → collector (per file, stops at its first error) →
// compiler (lists → macros → rules) → selection → engine.
import { readdir, readFile as readFileFs, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { LoadIssue, LoadOptions, LoadResult, RuleSummary, RulesInput, RulesRequirements } from '../api.ts'
import { buildRuleset, type CompiledRule } from '../engine.ts'
import { Collector } from './collector.ts'
import { RulesCompiler } from './compiler.ts'
import { Files, ItemError, Issues } from './context.ts'
import type { Item } from './items.ts'
import { readFile } from './reader.ts'
import { isActive } from './selection.ts'
import { BUILTIN_PLUGINS, checkEngineVersion, checkPluginVersions, ENGINE_VERSION, maxVersion } from './versions.ts'

export function loadRules (inputs: readonly RulesInput[], opts: LoadOptions): LoadResult {
  const issues = new Issues()
  const files = new Files()
  const sources = new Map(opts.sources.map((s) => [s.name, s]))
  const col = new Collector(issues, new Map(opts.sources.map((s) => [s.name, s.fields])))
  const plugins = opts.pluginVersions ?? providedPlugins(opts)
  const engine = opts.engineVersion ?? ENGINE_VERSION
  const failed = new Set<string>()
  const requirements: RulesRequirements = { plugins: [] }
  for (const input of inputs) {
    if (input.readError !== undefined) {
      issues.add({ code: 'LOAD_ERR_FILE_READ', severity: 'error', message: input.readError, location: { file: input.name } })
      failed.add(input.name)
      continue
    }
    const res = readFile(files, input.name, input.content, issues, function collectItem (item: Item) {
      switch (item.kind) {
        case 'engine_version':
          requirements.engineVersion = maxVersion(requirements.engineVersion, checkEngineVersion(issues, item, engine))
          break
        case 'plugin_versions':
          for (const e of item.entries) requirements.plugins.push({ ...e.req, alternatives: e.alternatives })
          checkPluginVersions(issues, item, plugins)
          break
        case 'list': col.addList(item); break
        case 'macro': col.addMacro(item); break
        case 'rule': col.addRule(item); break
      }
    })
    if (res.failed) failed.add(input.name)
  }
  const before = issues.errors.length
  const compiled = new RulesCompiler(col, files, issues, sources, opts.appendOutput).compile()
  // Falco stops a file at its first error: keep one compile error per file, none for files that
  // already failed to read
  const compileErrors = issues.errors.splice(before)
  for (const e of compileErrors) {
    const f = e.location?.file ?? ''
    // `rules validate` wants every error of a file (opts.allErrors), serve Falco's first one
    if (opts.allErrors !== true && failed.has(f)) continue
    failed.add(f)
    issues.errors.push(e)
  }
  const result: LoadResult = { ok: issues.errors.length === 0, errors: issues.errors, warnings: issues.warnings, requirements }
  if (!result.ok) return result
  const active: CompiledRule[] = []
  const compiledNames = new Set<string>()
  for (const { def, rule } of compiled) {
    compiledNames.add(def.name)
    if (isActive(def, opts)) active.push(rule)
  }
  const summaries: RuleSummary[] = [...col.rules.values()].sort((a, b) => a.index - b.index).map((d) => ({
    name: d.name,
    source: d.source,
    priority: d.priority,
    tags: [...d.tags].sort(),
    enabled: compiledNames.has(d.name) && isActive(d, opts),
    desc: d.desc
  }))
  result.ruleset = buildRuleset(active, summaries, { sources: opts.sources, ruleMatching: opts.ruleMatching, hostname: opts.hostname })
  return result
}

function providedPlugins (opts: LoadOptions): Record<string, string> {
  const out: Record<string, string> = {}
  for (const s of opts.sources) Object.assign(out, BUILTIN_PLUGINS[s.name] ?? {})
  return out
}

/**
 * Files and directories → inputs, in argument order; a directory contributes its regular
 * `.yaml`/`.yml` files in lexical order (like rules.d). Unreadable paths become inputs with
 * `readError`, which loadRules reports as LOAD_ERR_FILE_READ.
 */
export async function readRulesPaths (paths: readonly string[]): Promise<RulesInput[]> {
  const out: RulesInput[] = []
  for (const p of paths) {
    let names: string[] | undefined
    try {
      if ((await stat(p)).isDirectory()) names = (await readdir(p)).filter((n) => /\.ya?ml$/.test(n)).sort()
    } catch (err) {
      out.push(unreadable(p, err))
      continue
    }
    if (names === undefined) {
      out.push(await readOne(p))
      continue
    }
    for (const n of names) {
      const full = join(p, n)
      // ConfigMap mounts hold symlinks: follow them; skip sub-directories; report dangling links
      const isFile = await stat(full).then((st) => st.isFile(), () => true)
      if (isFile) out.push(await readOne(full))
    }
  }
  return out
}

async function readOne (path: string): Promise<RulesInput> {
  try {
    return { name: path, content: await readFileFs(path, 'utf8') }
  } catch (err) {
    return unreadable(path, err)
  }
}

function unreadable (path: string, err: unknown): RulesInput {
  const code = (err as NodeJS.ErrnoException).code
  return { name: path, content: '', readError: `Could not read rules file ${path}: ${code ?? (err as Error).message}` }
}

export type { LoadIssue }
export { ItemError, ENGINE_VERSION }
