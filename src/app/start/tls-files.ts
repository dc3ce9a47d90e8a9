// Reading the PEM files named in config for the servers. Unreadable files are config errors that
// name the key, reported at start-up rather than on the first TLS handshake.
import { readFileSync } from 'node:fs'
import { ConfigError } from '../../errors/index.ts'
import type { TlsFiles } from '../../config/index.ts'
import type { WebhookTlsOptions } from '../../webhook/index.ts'

export function readPemFile (file: string, keyPath: string): Buffer {
  try { return readFileSync(file) } catch (err) {
    throw new ConfigError('ERR_CONFIG_INVALID', `${keyPath}: cannot read '${file}' (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err, location: { itemType: 'config', itemName: keyPath } })
  }
}

export function readTls (tls: Omit<TlsFiles, 'clientAuth'> & { clientAuth?: TlsFiles['clientAuth'] }, keyPath: string): WebhookTlsOptions {
  const out: WebhookTlsOptions = { cert: readPemFile(tls.cert, `${keyPath}.cert`), clientAuth: tls.clientAuth ?? 'none' }
  // Falco's sslCertificate is one PEM holding both: the webhook finds the key inside it
  if (tls.key !== tls.cert) out.key = readPemFile(tls.key, `${keyPath}.key`)
  if (tls.ca !== undefined) out.ca = readPemFile(tls.ca, `${keyPath}.ca`)
  return out
}

export function readToken (file: string, keyPath: string): string {
  const token = readPemFile(file, keyPath).toString('utf8').trim()
  if (token === '') throw new ConfigError('ERR_CONFIG_INVALID', `${keyPath}: '${file}' is empty`, { location: { itemType: 'config', itemName: keyPath } })
  return token
}
