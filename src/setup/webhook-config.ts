// The kubeconfig-format file kube-apiserver's audit webhook backend reads
// (--audit-webhook-config-file): where to POST, how to trust Lanner, how to present itself.
import { stringify } from 'yaml'
import { ConfigError } from '../errors/index.ts'
import { DEFAULTS } from '../config/index.ts'

export interface WebhookConfigOptions {
  /** full URL including the path, e.g. https://lanner.example:30007/k8s-audit */
  server: string
  /** PEM of the CA that signed Lanner's serving certificate */
  caPem?: string
  /** PEM client certificate and key the apiserver presents (mTLS) */
  clientCertPem?: string
  clientKeyPem?: string
  /** bearer token the apiserver sends */
  token?: string
  /** only for throwaway clusters */
  insecureSkipTlsVerify?: boolean
}

export const WEBHOOK_CLUSTER_NAME = 'lanner'
export const WEBHOOK_USER_NAME = 'kube-apiserver'

/**
 * Normalizes and checks the server URL: http(s) only; a bare host gets the default webhook path,
 * because a POST to `/` is a 404 that the apiserver would retry and then drop.
 */
export function webhookServerUrl (server: string): string {
  let url: URL
  try { url = new URL(server) } catch {
    throw new ConfigError('ERR_CLI_USAGE', `--server: not a URL: ${server} (expected e.g. https://HOST:30007${DEFAULTS.webhookPath})`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('ERR_CLI_USAGE', `--server: expected an http or https URL, got ${url.protocol}`)
  if (url.pathname === '/' || url.pathname === '') url.pathname = DEFAULTS.webhookPath
  return url.toString()
}

function b64 (pem: string): string {
  return Buffer.from(pem, 'utf8').toString('base64')
}

function checkPem (pem: string, what: string, kinds: RegExp): void {
  if (!/-----BEGIN [A-Z ]+-----/.test(pem) || !kinds.test(pem)) {
    throw new ConfigError('ERR_CLI_USAGE', `${what}: not a PEM ${what.includes('key') ? 'private key' : 'certificate'}`)
  }
}

export function webhookKubeconfig (opts: WebhookConfigOptions): Record<string, unknown> {
  const server = webhookServerUrl(opts.server)
  if ((opts.clientCertPem === undefined) !== (opts.clientKeyPem === undefined)) {
    throw new ConfigError('ERR_CLI_USAGE', '--client-cert and --client-key go together')
  }
  const cluster: Record<string, unknown> = { server }
  if (opts.caPem !== undefined) {
    checkPem(opts.caPem, '--ca', /BEGIN CERTIFICATE/)
    cluster['certificate-authority-data'] = b64(opts.caPem)
  }
  if (opts.insecureSkipTlsVerify === true) {
    // client-go refuses a kubeconfig with both, so the apiserver could not build the webhook
    if (opts.caPem !== undefined) throw new ConfigError('ERR_CLI_USAGE', '--ca and --insecure-skip-tls-verify exclude each other (client-go: "specifying a root certificates file with the insecure flag is not allowed")')
    if (server.startsWith('http:')) throw new ConfigError('ERR_CLI_USAGE', `--insecure-skip-tls-verify with an http:// server means nothing: there is no TLS to verify (${server})`)
    cluster['insecure-skip-tls-verify'] = true
  }
  const user: Record<string, unknown> = {}
  if (opts.clientCertPem !== undefined && opts.clientKeyPem !== undefined) {
    checkPem(opts.clientCertPem, '--client-cert', /BEGIN CERTIFICATE/)
    checkPem(opts.clientKeyPem, '--client-key', /PRIVATE KEY/)
    user['client-certificate-data'] = b64(opts.clientCertPem)
    user['client-key-data'] = b64(opts.clientKeyPem)
  }
  if (opts.token !== undefined) {
    const token = opts.token.trim()
    if (token === '' || /\s/.test(token)) throw new ConfigError('ERR_CLI_USAGE', '--token-file: expected one token without spaces')
    user.token = token
  }
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: WEBHOOK_CLUSTER_NAME, cluster }],
    users: [{ name: WEBHOOK_USER_NAME, user }],
    contexts: [{ name: 'default', context: { cluster: WEBHOOK_CLUSTER_NAME, user: WEBHOOK_USER_NAME } }],
    'current-context': 'default'
  }
}

export function renderWebhookConfig (opts: WebhookConfigOptions): string {
  const header = '# kube-apiserver audit webhook configuration for Lanner (lanner setup webhook-config).\n' +
    '# Use with --audit-webhook-config-file=<this file>. Holds credentials when a client key or token is set: mode 0600.\n'
  return header + stringify(webhookKubeconfig(opts), { lineWidth: 0 })
}
