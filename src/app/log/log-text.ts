// Human-readable log lines for people at a terminal (lanner.log_format: text, or auto on a TTY):
//   2026-12-05T12:00:00.123Z INFO  audit webhook listening port=9765 tls=true
// pino still builds the JSON record; this stream rewrites each line before it reaches stderr. Our
// own ~40 lines instead of pino-pretty: one fixed layout, no dependency, no worker thread, and
// the same synchronous write to fd 2 as the JSON path (nothing lost on a crash).
import { pino } from 'pino'

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
// what every record carries and the line already shows (or nobody reads at a terminal)
const OMIT = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname'])

function valueText (v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)
  if (v !== null && typeof v === 'object' && 'message' in v && 'stack' in v) return JSON.stringify((v as { message: unknown }).message)
  return JSON.stringify(v) ?? String(v)
}

/** One JSON log record → one text line (newline included); a line that is not JSON passes as is. */
export function formatLogLine (json: string): string {
  let rec: Record<string, unknown>
  try { rec = JSON.parse(json) as Record<string, unknown> } catch { return json.endsWith('\n') ? json : json + '\n' }
  const level = LEVELS[Number(rec.level)] ?? String(rec.level)
  const parts = [String(rec.time ?? ''), level.padEnd(5), String(rec.msg ?? '')]
  for (const [k, v] of Object.entries(rec)) if (!OMIT.has(k) && v !== undefined) parts.push(`${k}=${valueText(v)}`)
  return parts.filter((p) => p !== '').join(' ') + '\n'
}

/** A pino destination that writes text lines to `out` (a stream or a file descriptor). */
export function textDestination (out: NodeJS.WritableStream | number): pino.DestinationStream {
  const sink = typeof out === 'number' ? pino.destination({ dest: out, sync: true }) : out
  return {
    write (chunk: string): void {
      // pino writes one record per call, newline-terminated
      for (const line of chunk.split('\n')) if (line !== '') sink.write(formatLogLine(line))
    }
  }
}
