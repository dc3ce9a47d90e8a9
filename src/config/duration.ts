// Falco's metrics.interval: a Prometheus-style duration (`15s`, `5m`, `1h30m`, `250ms`), units
// y w d h m s ms, largest first. A bare number is milliseconds.
import { ConfigError } from '../errors/index.ts'

const UNIT_MS: Record<string, number> = { y: 365 * 86400000, w: 7 * 86400000, d: 86400000, h: 3600000, m: 60000, s: 1000, ms: 1 }
const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/

/** Milliseconds of a duration text; throws ERR_CONFIG_INVALID naming `keyPath`. */
export function parseDurationMs (text: string, keyPath: string): number {
  const t = text.trim()
  if (/^\d+$/.test(t)) return Number(t)
  const m = DURATION_RE.exec(t)
  if (m === null || t === '') {
    throw new ConfigError('ERR_CONFIG_INVALID', `${keyPath}: expected a duration such as 15s, 5m, 1h or 1h30m, got '${text}'`, { location: { itemType: 'config', itemName: keyPath } })
  }
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms']
  let ms = 0
  units.forEach((u, i) => { const v = m[i + 1]; if (v !== undefined) ms += Number(v) * (UNIT_MS[u] as number) })
  return ms
}
