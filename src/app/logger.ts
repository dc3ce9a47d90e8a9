// The root pino logger. Logs go to stderr so that stdout carries alerts only (jq pipelines read
// it); Falco's `log_stderr: false` silences them, as there is no syslog here.
import { pino, type Logger } from 'pino'
import type { Config } from '../config/index.ts'

export type AppLogger = Logger

export function createLogger (log: Config['log'], dest: NodeJS.WritableStream | number = 2): AppLogger {
  const level = log.stderr ? log.level : 'silent'
  const stream = typeof dest === 'number' ? pino.destination({ dest, sync: true }) : dest
  return pino({ level, base: { name: 'lanner' }, timestamp: pino.stdTimeFunctions.isoTime }, stream)
}
