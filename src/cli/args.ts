// Command-line flags shared by `serve` and `replay` (Falco's spellings where Falco has them):
// -c FILE, -r RULES (repeatable), -o key=value (repeatable), -t/-T TAG, --source, --dry-run,
// --json, --help. `--flag=value` and `--flag value` both work. Usage errors are ERR_CLI_USAGE.
import { AppError } from '../errors/index.ts'
import type { LoadConfigOptions, SourceName } from '../config/index.ts'

export interface CommonArgs {
  config?: string
  rules: string[]
  overrides: string[]
  tagsKeep: string[]
  tagsDrop: string[]
  source?: SourceName
  dryRun: boolean
  json: boolean
  help: boolean
  positional: string[]
}

type Flag = 'config' | 'rules' | 'overrides' | 'tagsKeep' | 'tagsDrop' | 'source' | 'dryRun' | 'json' | 'help'

const FLAGS: Record<string, Flag> = {
  '-c': 'config', '--config': 'config',
  '-r': 'rules', '--rules': 'rules',
  '-o': 'overrides', '--option': 'overrides',
  '-t': 'tagsKeep', '--tag': 'tagsKeep',
  '-T': 'tagsDrop', '--disable-tag': 'tagsDrop',
  '--source': 'source',
  '--dry-run': 'dryRun',
  '--json': 'json',
  '-h': 'help', '--help': 'help'
}
const BOOLEAN: ReadonlySet<Flag> = new Set(['dryRun', 'json', 'help'])

function usage (message: string): AppError {
  return new AppError('ERR_CLI_USAGE', message)
}

/** Parse argv; `allowed` limits the flags a command accepts. Throws AppError ERR_CLI_USAGE. */
export function parseCommonArgs (argv: readonly string[], allowed: ReadonlySet<Flag>): CommonArgs {
  const out: CommonArgs = { rules: [], overrides: [], tagsKeep: [], tagsDrop: [], dryRun: false, json: false, help: false, positional: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') { out.positional.push(...argv.slice(i + 1)); break }
    if (arg === '-' || !arg.startsWith('-')) { out.positional.push(arg); continue }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const name = eq < 0 ? arg : arg.slice(0, eq)
    const flag = FLAGS[name]
    if (flag === undefined || !allowed.has(flag)) throw usage(`unknown option '${name}'`)
    if (BOOLEAN.has(flag)) {
      if (eq >= 0) throw usage(`option '${name}' takes no value`)
      if (flag === 'dryRun') out.dryRun = true
      else if (flag === 'json') out.json = true
      else out.help = true
      continue
    }
    let value: string | undefined
    if (eq >= 0) value = arg.slice(eq + 1)
    else { value = argv[i + 1]; i++ }
    if (value === undefined) throw usage(`option '${name}' needs a value`)
    switch (flag) {
      case 'config':
        if (out.config !== undefined) throw usage('-c may be given only once')
        out.config = value
        break
      case 'source':
        if (value !== 'k8s_audit' && value !== 'syscall') throw usage(`--source must be k8s_audit or syscall, got '${value}'`)
        out.source = value
        break
      case 'rules': case 'overrides': case 'tagsKeep': case 'tagsDrop':
        out[flag].push(value)
        break
    }
  }
  return out
}

/** The part of the args that loadConfig takes. */
export function configOptionsOf (args: CommonArgs, extraOverrides: readonly string[] = []): LoadConfigOptions {
  const opts: LoadConfigOptions = {
    overrides: [...args.overrides, ...extraOverrides],
    rules: args.rules,
    tagsKeep: args.tagsKeep,
    tagsDrop: args.tagsDrop
  }
  if (args.config !== undefined) opts.file = args.config
  if (args.source !== undefined) opts.source = args.source
  return opts
}

export const SHARED_OPTIONS_HELP = `  -c, --config FILE        config file (falco.yaml-compatible)
  -r, --rules PATH         rules file or directory; repeatable; replaces rules_files
  -o, --option KEY=VALUE   override a config key (dotted, YAML value); repeatable
  -t, --tag TAG            keep only rules with this tag; repeatable
  -T, --disable-tag TAG    drop rules with this tag; repeatable
  -h, --help               this help
`
