// What a real start of the audit webhook reads before listening, done the same way for `serve`
// and `serve --dry-run`: the TLS, token and Basic password files (unreadable or malformed ones are errors that
// name the config key) and the authentication findings (webhook-auth.ts).
import { X509Certificate } from 'node:crypto'
import { createSecureContext } from 'node:tls'
import { AppError, ConfigError } from '../../errors/index.ts'
import type { Config } from '../../config/index.ts'
import type { WebhookTlsOptions } from '../../webhook/index.ts'
import { buildHttpsOptions, splitPem } from '../../webhook/index.ts'
import { readTls, readToken } from './tls-files.ts'
import { webhookAuthFindings, type AuthFinding } from './webhook-auth.ts'

export interface WebhookPreflight {
  tls?: WebhookTlsOptions
  bearerToken?: string
  basicAuth?: { username: string, password: string }
  findings: AuthFinding[]
}

export function webhookPreflight (config: Config): WebhookPreflight {
  const wh = config.webhook
  const out: WebhookPreflight = { findings: [] }
  if (wh.tls !== undefined) {
    out.tls = readTls(wh.tls, 'lanner.webhook.tls')
    // PEM shape, the CA requirement and a key that matches the certificate: what building the
    // server would refuse, found here so that --dry-run refuses it too
    const https = buildHttpsOptions(out.tls)
    try { createSecureContext(https) } catch (err) {
      throw new AppError('ERR_WEBHOOK_TLS', `TLS setup failed: ${(err as Error).message}`, { cause: err })
    }
    // the secure context accepts a CA block it cannot parse (it is left out of the store): a
    // webhook would start that no client certificate passes, so that is refused here instead
    if (https.ca !== undefined) {
      const bad = unreadableCertificate(https.ca)
      if (bad !== undefined) throw new AppError('ERR_WEBHOOK_TLS', `lanner.webhook.tls.ca: certificate ${bad} of '${wh.tls.ca ?? ''}' is not a readable X.509 certificate`)
    }
  }
  if (wh.bearerTokenFile !== undefined) out.bearerToken = readToken(wh.bearerTokenFile, 'lanner.webhook.bearer_token_file')
  if (wh.basicAuth !== undefined) out.basicAuth = { username: wh.basicAuth.username, password: readToken(wh.basicAuth.passwordFile, 'lanner.webhook.basic_auth.password_file') }
  out.findings = webhookAuthFindings(wh, { cert: out.tls?.cert, ca: out.tls?.ca })
  return out
}

/** The 1-based number of the first CERTIFICATE block of `pem` that does not parse, or undefined. */
function unreadableCertificate (pem: string): number | undefined {
  const certs = splitPem(pem).filter((b) => b.label === 'CERTIFICATE')
  for (const [i, b] of certs.entries()) {
    try { new X509Certificate(b.text) } catch { return i + 1 }
  }
  return undefined
}

/** The refusals as one error (exit 1), or undefined. */
export function refusalOf (findings: readonly AuthFinding[]): ConfigError | undefined {
  const refused = findings.filter((f) => f.severity === 'refuse')
  if (refused.length === 0) return undefined
  const first = refused[0] as AuthFinding
  return new ConfigError('ERR_CONFIG_INSECURE', refused.map((f) => `${f.key}: ${f.message}`).join('; '), { location: { itemType: 'config', itemName: first.key } })
}

/** One line per finding, as --dry-run prints them. */
export function findingLine (f: AuthFinding): string {
  return `${f.severity === 'refuse' ? 'error' : 'warning'}: ${f.code}: ${f.key}: ${f.message}`
}
