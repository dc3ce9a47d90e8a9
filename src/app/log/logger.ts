// The root pino logger. Logs go to stderr so that stdout carries alerts only (jq pipelines read
// it); Falco's `log_stderr: false` silences them, as there is no syslog here. JSON for machines
// (the default in a pod); text lines for people (lanner.log_format: text, or auto on a terminal).
import { pino, type Logger } from 'pino'
import type { Config } from '../../config/index.ts'
import { textDestination } from './log-text.ts'

export type AppLogger = Logger

function wantsText (log: Config['log'], dest: NodeJS.WritableStream | number): boolean {
  const format = log.format ?? 'auto'
  if (format !== 'auto') return format === 'text'
  const tty = typeof dest === 'number' ? dest === 2 && process.stderr.isTTY === true : (dest as { isTTY?: boolean }).isTTY === true
  return tty
}

export function createLogger (log: Config['log'], dest: NodeJS.WritableStream | number = 2): AppLogger {
  const level = log.stderr ? log.level : 'silent'
  const stream = wantsText(log, dest)
    ? textDestination(dest)
    : typeof dest === 'number' ? pino.destination({ dest, sync: true }) : dest
  return pino({ level, base: { name: 'lanner' }, timestamp: pino.stdTimeFunctions.isoTime }, stream)
}
