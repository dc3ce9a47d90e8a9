// Does the audit webhook's authentication mean what it says? kube-apiserver is its only legitimate
// client; anyone else who reaches the port can forge audit events (fake alerts, floods to the
// outputs, noise to hide in). Settings that look protective but are not are refused at start-up
// and by --dry-run; an openly unauthenticated webhook (Falco's default) is allowed, loudly.
import { X509Certificate } from 'node:crypto'
import type { WebhookConfig } from '../../config/index.ts'
import { splitPem } from '../../webhook/index.ts'

export interface AuthFinding {
  /** refuse: serve and --dry-run exit 1; warn: logged at warn level, listed by --dry-run */
  severity: 'refuse' | 'warn'
  code: 'ERR_CONFIG_INSECURE' | 'WARN_CONFIG_INSECURE'
  /** the config key to change */
  key: string
  message: string
}

/** The PEM contents the check needs (already read: the caller reports unreadable files). */
export interface AuthMaterial {
  cert?: Buffer | string
  ca?: Buffer | string
}

/** More CAs than a deployment's own PKI plausibly rotates through at once. */
const PUBLIC_BUNDLE_MIN = 8

function certsOf (pem: Buffer | string | undefined): X509Certificate[] {
  const out: X509Certificate[] = []
  for (const b of splitPem(String(pem ?? ''))) {
    if (b.label !== 'CERTIFICATE') continue
    try { out.push(new X509Certificate(b.text)) } catch { /* a bad CA block is refused by the preflight (ERR_WEBHOOK_TLS) */ }
  }
  return out
}

/** true when a certificate of `ca` issued a certificate of the server's chain. */
function caSignedServer (ca: X509Certificate[], chain: X509Certificate[]): boolean {
  return chain.some((c) => ca.some((a) => c.checkIssued(a) && c.verify(a.publicKey)))
}

export function webhookAuthFindings (wh: WebhookConfig, material: AuthMaterial = {}): AuthFinding[] {
  const out: AuthFinding[] = []
  const token = wh.bearerTokenFile !== undefined
  const basic = wh.basicAuth !== undefined
  // a shared secret in the Authorization header: bearer token or Basic auth
  const secret = token || basic
  const tls = wh.tls
  const where = `port ${wh.port}`
  if (tls === undefined) {
    if (token) {
      out.push({ severity: 'refuse', code: 'ERR_CONFIG_INSECURE', key: 'lanner.webhook.bearer_token_file', message: `a bearer token over plain HTTP travels in clear to anyone on the path: serve TLS (lanner.webhook.tls, or an https:// open_params) or drop the token` })
    }
    if (basic) {
      out.push({ severity: 'refuse', code: 'ERR_CONFIG_INSECURE', key: 'lanner.webhook.basic_auth', message: `a Basic-auth password over plain HTTP travels in clear to anyone on the path: serve TLS (lanner.webhook.tls, or an https:// open_params) or drop basic_auth` })
    }
    if (!secret) {
      out.push({ severity: 'warn', code: 'WARN_CONFIG_INSECURE', key: 'lanner.webhook.tls', message: `the audit webhook serves plain HTTP without authentication: anyone who reaches ${where} can forge audit events. The default deployment serves TLS with client certificates (lanner setup tls); plain HTTP is for the audit-insecure-http overlay only` })
    }
    return out
  }
  if (tls.clientAuth === 'none' && !secret) {
    out.push({ severity: 'warn', code: 'WARN_CONFIG_INSECURE', key: 'lanner.webhook.tls.client_auth', message: `TLS without client authentication: anyone who reaches ${where} can forge audit events. Set client_auth: require with a client CA (lanner setup tls makes one), or bearer_token_file / basic_auth` })
  }
  if (tls.clientAuth === 'request' && !secret) {
    out.push({ severity: 'refuse', code: 'ERR_CONFIG_INSECURE', key: 'lanner.webhook.tls.client_auth', message: `client_auth: request admits clients without a certificate, so alone it authenticates nothing: use require, or add bearer_token_file or basic_auth` })
  }
  if (tls.clientAuth !== 'none') {
    const ca = certsOf(material.ca)
    const chain = certsOf(material.cert)
    // a bundle of many CAs is a system trust store: every certificate any public CA issues passes
    if (ca.length > PUBLIC_BUNDLE_MIN) {
      out.push({ severity: 'warn', code: 'WARN_CONFIG_INSECURE', key: 'lanner.webhook.tls.ca', message: `the client CA bundle (${tls.ca ?? ''}) holds ${ca.length} CAs, like a system trust store: a certificate from any of them passes as kube-apiserver. Use the one CA that signs the apiserver's client certificate (lanner setup tls makes one)` })
    }
    if (ca.length > 0 && chain.length > 0 && caSignedServer(ca, chain)) {
      out.push({ severity: 'refuse', code: 'ERR_CONFIG_INSECURE', key: 'lanner.webhook.tls.ca', message: `the client CA (${tls.ca ?? ''}) also signed the server certificate: every certificate it issues, Lanner's own serving certificate included, would pass as kube-apiserver. Use a CA that signs only the apiserver's client certificate (lanner setup tls makes one)` })
    }
  }
  return out
}
