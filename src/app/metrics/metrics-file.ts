// metrics.output_file: Falco appends one JSON line per metrics snapshot to this file, whether or
// not the snapshot alert (metrics.output_rule) is on and whatever the priority filter says. The
// line is `{"output_fields":{…},"sample":N}`: nlohmann::json sorts object keys, so the fields come
// in byte order, "output_fields" before "sample"; output_fields starts with Falco's wrapper field
// evt.time (the snapshot's epoch nanoseconds). Falco never rotates the file; neither do we.
import { appendFile } from 'node:fs/promises'
import type { JsonValue } from '../../events/index.ts'
import { jsonText } from '../../outputs/index.ts'

/** One line of metrics.output_file, newline included. `sample` counts snapshots from 1. */
export function metricsFileLine (nowNs: bigint, fields: Readonly<Record<string, JsonValue>>, sample: number): string {
  const keys = Object.keys(fields).filter(function notTime (k) { return k !== 'evt.time' })
  keys.push('evt.time')
  keys.sort(function byteOrder (a, b) { return a < b ? -1 : a > b ? 1 : 0 })
  let out = '{"output_fields":{'
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    out += (i === 0 ? '' : ',') + JSON.stringify(k) + ':' + jsonText(k === 'evt.time' ? nowNs : fields[k] ?? null)
  }
  return `${out}},"sample":${sample}}\n`
}

export interface MetricsFileWriter {
  /** appends a snapshot line to `file`; a failure goes to `onError` (once per distinct message in a row) */
  write(file: string, nowNs: bigint, fields: Readonly<Record<string, JsonValue>>): Promise<void>
}

export function createMetricsFileWriter (onError: (file: string, err: Error) => void): MetricsFileWriter {
  let sample = 0
  let lastError: string | undefined
  return {
    async write (file, nowNs, fields) {
      sample++
      try {
        await appendFile(file, metricsFileLine(nowNs, fields, sample), { mode: 0o640 })
        lastError = undefined
      } catch (err) {
        // a full disk or a missing directory fails every tick: say so once, and again once it changes
        const message = (err as Error).message
        if (message !== lastError) onError(file, err as Error)
        lastError = message
      }
    }
  }
}
