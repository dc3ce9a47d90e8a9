// `lanner serve`: run one source (audit webhook by default, or --source syscall) until SIGTERM.
// Parses flags and config; the app/ layer does the wiring.
import { loadConfig } from '../config/index.ts'
import { formatLocated } from '../errors/index.ts'
import {
  buildApp, buildSources, dryRunReport, k8sOptionsOf, loadOptionsFrom, loadRulesFromPaths, readTls, runReplay, runService, VERSION, versionInfo,
  webhookPreflight
} from '../app/index.ts'
import type { Config } from '../config/index.ts'
import { AppError } from '../errors/index.ts'
import type { CliIO } from './io.ts'
import { configOptionsOf, parseCommonArgs, SHARED_OPTIONS_HELP } from './args.ts'
import { checkReadable } from './readable.ts'

const EXIT_GRACE_MS = 2000

const SERVE_FLAGS = new Set(['config', 'rules', 'overrides', 'tagsKeep', 'tagsDrop', 'source', 'dryRun', 'help'] as const)

const HELP = `usage: lanner serve [options]

Run the k8s audit webhook (default) or the eBPF syscall source, evaluate rules, emit alerts.
SIGHUP or a change to the rules files reloads the rules; SIGTERM drains and exits.

options:
${SHARED_OPTIONS_HELP}      --source SOURCE      k8s_audit (default) or syscall
      --dry-run            load and validate config and rules, print a summary, exit 0/1
`

export async function run (argv: string[], io: CliIO): Promise<number> {
  const args = parseCommonArgs(argv, SERVE_FLAGS)
  if (args.help) { io.stdout.write(HELP); return 0 }
  if (args.positional.length > 0) throw new AppError('ERR_CLI_USAGE', `unexpected argument '${args.positional[0] ?? ''}'`)
  const config = loadConfig(configOptionsOf(args))
  // the k8saudit open_params naming a file: a missing one fails serve (and --dry-run), as
  // `lanner replay` does, instead of "0 events read" and exit 0
  if (config.replayFile !== undefined) checkReadable(config.replayFile, "the k8saudit plugin's open_params")
  if (args.dryRun) {
    k8sOptionsOf({ config })
    // the files a real start reads: missing or mismatched ones fail here as they would there
    const preflight = config.source === 'k8s_audit' && config.replayFile === undefined ? webhookPreflight(config) : undefined
    if (config.admin.enabled && config.admin.tls !== undefined) readTls(config.admin.tls, 'webserver.ssl_certificate')
    const sources = await buildSources(config)
    const report = dryRunReport(config, await loadRulesFromPaths(config.rulesPaths, loadOptionsFrom(config, sources)), preflight)
    for (const l of report.stderr) io.stderr.write(l + '\n')
    for (const l of report.stdout) io.stdout.write(l + '\n')
    return report.ok ? 0 : 1
  }
  if (config.replayFile !== undefined) return await replayOpenParamsFile(config, config.replayFile, io)
  const app = await buildApp(config, { stdout: io.stdout })
  app.logger.info({ ...versionInfo(), source: config.source }, `lanner ${VERSION} starting`)
  try {
    const code = await runService(app, { onFatal: (line) => io.stderr.write(`lanner serve: ${line}\n`) })
    if (code !== 0) await app.dispatcher.close(1000)
    // Everything is flushed and closed by now; a handle some dependency leaves open must not
    // turn a clean SIGTERM into the kubelet's SIGKILL. Unref'd: a clean exit happens sooner.
    setTimeout(function forceExit () { process.exit(code) }, EXIT_GRACE_MS).unref()
    return code
  } catch (err) {
    // start-up failed (certificate, port in use, probe): release outputs (kept-alive programs)
    await app.dispatcher.close(1000)
    if (err instanceof AppError) throw err
    const e = err as NodeJS.ErrnoException & { port?: number }
    io.stderr.write(`lanner serve: ${formatLocated({ code: e.code ?? 'ERR_SERVE_FAILED', message: e.message + addressHint(e, config) })}\n`)
    return 1
  }
}

/**
 * The k8saudit plugin's open_params naming a file (`file://…` or a path): as in Falco, the
 * events are read once and evaluated, and the instance ends when the source is exhausted.
 */
async function replayOpenParamsFile (config: Config, file: string, io: CliIO): Promise<number> {
  const result = await runReplay(config, [file], io)
  for (const l of result.report) io.stderr.write(`lanner serve: ${l}\n`)
  return result.code
}

/** For a port already taken or not allowed: which setting chose it. */
function addressHint (e: NodeJS.ErrnoException & { port?: number }, config: Config): string {
  if (e.code !== 'EADDRINUSE' && e.code !== 'EACCES' && e.code !== 'EADDRNOTAVAIL') return ''
  const settings: string[] = []
  if (config.admin.enabled && e.port === config.admin.port) settings.push(`webserver.listen_port / webserver.listen_address (admin server; e.g. -o webserver.listen_port=${config.admin.port + 1})`)
  if (config.source === 'k8s_audit' && e.port === config.webhook.port) settings.push(`lanner.webhook.listen or the k8saudit plugin's open_params (audit webhook; e.g. -o lanner.webhook.listen=:${config.webhook.port + 1})`)
  if (settings.length === 0) return ''
  const why = e.code === 'EADDRINUSE' ? `port ${e.port ?? '?'} is already in use (another Lanner or program?)` : `address or port ${e.port ?? '?'} cannot be used here`
  return `: ${why}; change ${settings.join(', or ')}`
}
