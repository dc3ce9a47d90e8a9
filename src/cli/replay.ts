// `lanner replay`: evaluate audit events from files (JSON lines, EventList, array; `-` for stdin;
// gzip) with the same config, rules and outputs as `serve`. Alerts go to the outputs (stdout by
// default); the summary goes to stderr. Exit 1 for config or rules errors and for an input that
// cannot be read at all (a typo in a path is not "0 events"); malformed lines inside a readable
// input are reported in the summary and skipped.
import { loadConfig } from '../config/index.ts'
import { AppError } from '../errors/index.ts'
import { runReplay } from '../app/index.ts'
import { quietOnClosedStdout, type CliIO } from './io.ts'
import { configOptionsOf, parseCommonArgs, SHARED_OPTIONS_HELP } from './args.ts'
import { checkReadable } from './readable.ts'

const REPLAY_FLAGS = new Set(['config', 'rules', 'overrides', 'tagsKeep', 'tagsDrop', 'json', 'help'] as const)

const HELP = `usage: lanner replay [options] FILE...

Evaluate k8s audit events from files (JSON lines as the apiserver log backend writes them, an
EventList document or a JSON array; '-' for stdin; gzip accepted) with the k8s_audit rules.
Alerts go to the configured outputs (stdout by default); a summary goes to stderr.

options:
${SHARED_OPTIONS_HELP}      --json               JSON alerts (same as -o json_output=true)
`

export async function run (argv: string[], io: CliIO): Promise<number> {
  const args = parseCommonArgs(argv, REPLAY_FLAGS)
  if (args.help) { io.stdout.write(HELP); return 0 }
  if (args.positional.length === 0) throw new AppError('ERR_CLI_USAGE', 'no input: give one or more files, directories or - for stdin')
  for (const p of args.positional) if (p !== '-') checkReadable(p)
  const config = loadConfig({ ...configOptionsOf(args, args.json ? ['json_output=true'] : []), source: 'k8s_audit' })
  // stdout the only output: a reader closing it (`| head`) ends the replay quietly; with other
  // outputs it is that output's failure only, and the replay goes on so they get every alert
  const { stdout, file, program, http } = config.outputs
  if (stdout.enabled && !file.enabled && !program.enabled && !http.enabled) io.stdout.on('error', quietOnClosedStdout)
  const result = await runReplay(config, args.positional, io)
  const prefix = result.code === 0 ? '' : 'lanner replay: '
  for (const l of result.report) io.stderr.write(prefix + l + '\n')
  return result.code
}
