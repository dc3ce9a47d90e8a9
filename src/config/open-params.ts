// Falco's k8saudit `open_params` ("http://:9765/k8s-audit", "https://0.0.0.0:443/audit") as the
// webhook's listen address, port, path and scheme.
import { ConfigError } from '../errors/index.ts'
import { DEFAULTS } from './defaults.ts'

export interface ListenSpec { tls: boolean, host: string, port: number, path: string }

const OPEN_PARAMS_RE = /^(https?):\/\/(\[[^\]]*\]|[^/:]*)(?::(\d+))?(\/.*)?$/

/** Parse open_params; `keyPath` names the config key in errors. */
export function parseOpenParams (text: string, keyPath = 'plugins.k8saudit.open_params'): ListenSpec {
  const m = OPEN_PARAMS_RE.exec(text.trim())
  if (m === null) {
    throw new ConfigError('ERR_CONFIG_INVALID', `${keyPath}: expected "http[s]://[host]:port/path", got '${text}'`, { location: { itemType: 'config', itemName: keyPath } })
  }
  const tls = m[1] === 'https'
  const rawHost = m[2] ?? ''
  const host = rawHost === '' ? DEFAULTS.webhookAddress : rawHost.replace(/^\[|\]$/g, '')
  const port = m[3] === undefined ? (tls ? 443 : 80) : Number(m[3])
  if (port > 65535) throw new ConfigError('ERR_CONFIG_INVALID', `${keyPath}: port ${port} is out of range`, { location: { itemType: 'config', itemName: keyPath } })
  return { tls, host, port, path: m[4] ?? DEFAULTS.webhookPath }
}

/** `host:port`, `:port`, `[::1]:port` or a bare port number. */
export function parseListen (value: string | number, keyPath = 'lanner.webhook.listen'): { host: string, port: number } {
  if (typeof value === 'number') return { host: DEFAULTS.webhookAddress, port: value }
  const m = /^(?:(\[[^\]]*\]|[^:]*):)?(\d+)$/.exec(value.trim())
  const port = m === null ? NaN : Number(m[2])
  if (m === null || port > 65535) {
    throw new ConfigError('ERR_CONFIG_INVALID', `${keyPath}: expected "host:port", ":port" or a port number, got '${value}'`, { location: { itemType: 'config', itemName: keyPath } })
  }
  const host = (m[1] ?? '').replace(/^\[|\]$/g, '')
  return { host: host === '' ? DEFAULTS.webhookAddress : host, port }
}
