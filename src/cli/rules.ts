// `lanner rules validate|list FILE|DIR... [--json]`: load rules files with every source's field
// table and report Falco-style results. Sources load by dynamic import so this command works
// (with fewer sources) while a source module is missing.
//
// validate --json prints (one entry per input path, in argument order):
//   {"falco_load_results": [{"name": "<file>", "successful": <no errors in this file>,
//     "errors":   [{"code": "LOAD_ERR_…", "codes": ["LOAD_ERR_…", "RULE_…"?], "message": "…",
//                   "context": {"snippet": "<line>\n<caret>", "locations": [{"item_type": "rule",
//                   "item_name": "…", "position": {"name": "<file>", "line": 1-based,
//                   "column": 1-based, "offset": 0-based}}]}}],
//     "warnings": [same shape]}]}
// `codes` adds the expression error's own code (RULE_PARSE_*, RULE_COMPILE_*) after the LOAD_ code.
// list --json prints {"rules": [{name, source, priority (capitalised), tags, enabled, desc}]}.
import { AppError, type ErrorCode } from '../errors/index.ts'
import { withStaticFieldsAll, type SourceDefinition } from '../fields/index.ts'
import { BUILTIN_PLUGINS, formatLoadIssue, loadRules, priorityName, readRulesPaths, type LoadIssue, type LoadResult, type RulesInput } from '../rules/index.ts'
import type { CliIO } from './io.ts'
import { loadConfig } from '../config/index.ts'

const USAGE = `usage: lanner rules validate FILE|DIR... [-c falco.yaml] [--json]
       lanner rules list FILE|DIR... [-c falco.yaml] [--json]

validate  load the rules files (directories: their .yaml/.yml files in lexical order) with every
          source's fields; exit 0 when valid, 1 on any error (warnings do not fail)
list      print each rule's name, source, priority, tags and whether it is enabled
--json    machine-readable output (validate: Falco's {"falco_load_results": [...]} shape)
-c FILE   the config whose static_fields and append_output the rules are loaded with (as serve
          would load them); \${VAR}s in it are expanded from the environment
`

/**
 * Each source's module and the bundle it exports. Loaded from the source modules themselves, not
 * through app/ (whose index loads fastify and pino): `rules validate` stays light (cli/index.ts).
 */
const SOURCE_MODULES: ReadonlyArray<{ path: string, load: () => Promise<SourceDefinition<any>> }> = [
  { path: '../audit/index.ts', load: async function loadAuditSource () { return (await import('../audit/index.ts')).k8sAuditSource } },
  { path: '../syscall/index.ts', load: async function loadSyscallSource () { return (await import('../syscall/index.ts')).syscallSource } }
]

/** Every source this build has, skipping any whose module is missing. */
export async function defaultSources (): Promise<SourceDefinition<any>[]> {
  const out: SourceDefinition<any>[] = []
  for (const { path, load } of SOURCE_MODULES) {
    try {
      out.push(await load())
    } catch (err) {
      // a source that is not built yet: its rules load with LOAD_UNKNOWN_SOURCE warnings
      if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') {
        process.emitWarning(`source module ${path} failed to load: ${(err as Error).message}`)
      }
    }
  }
  return out
}

export async function run (argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(USAGE)
    return sub === undefined ? 2 : 0
  }
  if (sub !== 'validate' && sub !== 'list') throw new AppError('ERR_CLI_USAGE', `unknown rules subcommand '${sub}'\n${USAGE}`)
  const json = rest.includes('--json')
  const c = rest.findIndex((a) => a === '-c' || a === '--config')
  const configFile = c < 0 ? undefined : rest[c + 1]
  if (c >= 0 && (configFile === undefined || configFile.startsWith('-'))) throw new AppError('ERR_CLI_USAGE', `${rest[c] ?? '-c'} needs a FILE\n${USAGE}`)
  const args = c < 0 ? rest : [...rest.slice(0, c), ...rest.slice(c + 2)]
  const unknownFlag = args.find((a) => a.startsWith('-') && a !== '--json')
  if (unknownFlag !== undefined) throw new AppError('ERR_CLI_USAGE', `unknown option '${unknownFlag}'\n${USAGE}`)
  const paths = args.filter((a) => a !== '--json')
  if (paths.length === 0) throw new AppError('ERR_CLI_USAGE', `rules ${sub}: at least one FILE or DIR is required\n${USAGE}`)
  const inputs = await readRulesPaths(paths)
  // with -c, the rules see the config's static.* fields and append_output, as serve loads them
  const config = configFile === undefined ? undefined : loadConfig({ file: configFile })
  const sources = withStaticFieldsAll(await defaultSources(), config?.staticFields ?? {})
  const res = loadRules(inputs, { sources, pluginVersions: allBuiltinPlugins(), allErrors: true, ...(config !== undefined ? { appendOutput: config.appendOutput } : {}) })
  return sub === 'validate' ? validate(io, inputs, res, json) : list(io, res, json)
}

function allBuiltinPlugins (): Record<string, string> {
  return Object.assign({}, ...Object.values(BUILTIN_PLUGINS)) as Record<string, string>
}

function validate (io: CliIO, inputs: readonly RulesInput[], res: LoadResult, json: boolean): number {
  if (json) {
    io.stdout.write(JSON.stringify(validateJson(inputs, res), null, 2) + '\n')
    return res.ok ? 0 : 1
  }
  // every error of every file, in file order and then by position (read, validation and compile
  // errors are found in different passes)
  const order = new Map(inputs.map((input, i) => [input.name, i]))
  const byPlace = (a: LoadIssue, b: LoadIssue): number =>
    (order.get(a.location?.file ?? '') ?? -1) - (order.get(b.location?.file ?? '') ?? -1) || (a.location?.pos?.offset ?? 0) - (b.location?.pos?.offset ?? 0)
  for (const e of [...res.errors].sort(byPlace)) io.stderr.write(formatLoadIssue(e))
  for (const w of [...res.warnings].sort(byPlace)) io.stderr.write(formatLoadIssue(w))
  for (const input of inputs) {
    const bad = res.errors.some((e) => e.location?.file === input.name)
    io.stdout.write(`${input.name}: ${bad ? 'Invalid' : 'Ok'}\n`)
  }
  return res.ok ? 0 : 1
}

interface JsonIssue {
  code: ErrorCode
  codes: ErrorCode[]
  message: string
  context: { snippet?: string, locations: Array<{ item_type: string, item_name: string, position: { name: string, line: number, column: number, offset: number } }> }
}

function issueJson (i: LoadIssue): JsonIssue {
  const loc = i.location
  const locations = loc?.file === undefined
    ? []
    : [{
        item_type: loc.itemType ?? 'item',
        item_name: loc.itemName ?? '',
        position: { name: loc.file, line: loc.pos?.line ?? 0, column: loc.pos?.col ?? 0, offset: loc.pos?.offset ?? 0 }
      }]
  const out: JsonIssue = { code: i.code, codes: i.detailCode === undefined ? [i.code] : [i.code, i.detailCode], message: i.message, context: { locations } }
  if (i.snippet !== undefined) out.context.snippet = i.snippet
  return out
}

/** One result per input file: its errors and warnings; issues without a file go to the first. */
function validateJson (inputs: readonly RulesInput[], res: LoadResult): unknown {
  const names = inputs.map((i) => i.name)
  const fileOf = (i: LoadIssue): string => i.location?.file !== undefined && names.includes(i.location.file) ? i.location.file : (names[0] ?? '')
  return {
    falco_load_results: names.map((name) => {
      const errors = res.errors.filter((e) => fileOf(e) === name).map(issueJson)
      return { name, successful: errors.length === 0, errors, warnings: res.warnings.filter((w) => fileOf(w) === name).map(issueJson) }
    })
  }
}

function list (io: CliIO, res: LoadResult, json: boolean): number {
  if (res.ruleset === undefined) {
    for (const e of res.errors) io.stderr.write(formatLoadIssue(e))
    return 1
  }
  const rules = res.ruleset.rules.map((r) => ({ name: r.name, source: r.source, priority: priorityName(r.priority), tags: [...r.tags], enabled: r.enabled, desc: r.desc }))
  if (json) {
    io.stdout.write(JSON.stringify({ rules }, null, 2) + '\n')
    return 0
  }
  const rows = [['NAME', 'SOURCE', 'PRIORITY', 'TAGS', 'ENABLED'], ...rules.map((r) => [r.name, r.source, r.priority, r.tags.join(','), String(r.enabled)])]
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? []
  for (const row of rows) io.stdout.write(row.map((cell, c) => c === row.length - 1 ? cell : cell.padEnd(widths[c] ?? 0)).join('  ') + '\n')
  return 0
}
