// Command dispatcher: `lanner <command> [args]`. Each command lives in its own file and exports
// `run(argv: string[], io: CliIO): Promise<number>` (the exit code). Commands load lazily so that
// `lanner rules validate` never pays for app/ (fastify, pino): it loads the source bundles alone
// (cli/rules.ts), and `lanner --version` reads app/version.ts alone.
import { AppError, formatLocated } from '../errors/index.ts'

import { quietOnClosedStdout, type CliIO, type CommandModule } from './io.ts'

export type { CliIO }

const COMMANDS: Record<string, { desc: string, load: () => Promise<CommandModule> }> = {
  serve: { desc: 'run a source (audit webhook by default, or --source syscall) and emit alerts', load: async () => await import('./serve.ts') as CommandModule },
  replay: { desc: 'evaluate audit events from files (JSON lines, EventList, array; - for stdin; gzip)', load: async () => await import('./replay.ts') as CommandModule },
  rules: { desc: 'rules validate|list FILE|DIR...', load: async () => await import('./rules.ts') as CommandModule },
  setup: { desc: 'cluster set-up: tls (credentials + Secret + webhook kubeconfig), audit-policy, webhook-config, kops, minikube, kind', load: async () => await import('./setup.ts') as CommandModule }
}

function usage (): string {
  const lines = ['usage: lanner <command> [options]', '', 'commands:']
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${c.desc}`)
  lines.push('', "run 'lanner <command> --help' for a command's options; 'lanner --version' for the version")
  return lines.join('\n') + '\n'
}

export async function runCli (argv: string[], io: CliIO = process): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage())
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    const { VERSION } = await import('../app/version.ts')
    io.stdout.write(`lanner ${VERSION} (node ${process.version})\n`)
    return 0
  }
  const cmd = COMMANDS[name]
  if (cmd === undefined) {
    io.stderr.write(`lanner: unknown command '${name}'\n${usage()}`)
    return 2
  }
  // A reader that stops early (`lanner rules list | head`) closes our stdout: a normal end for a
  // command that prints, not a crash. serve has its own answer (the stdout output counts the
  // failure and the webhook goes on), so it keeps its stream as it is; so does replay when it has
  // other outputs (replay.ts decides: exiting would lose their alerts).
  if (name !== 'serve' && name !== 'replay') io.stdout.on('error', quietOnClosedStdout)
  try {
    const mod = await cmd.load()
    return await mod.run(rest, io)
  } catch (err) {
    if (err instanceof AppError) {
      io.stderr.write(`lanner ${name}: ${formatLocated(err)}\n`)
      return err.code === 'ERR_CLI_USAGE' ? 2 : 1
    }
    throw err
  }
}
