// `lanner setup tls`: one consistent set of credentials for the audit webhook, made with the
// openssl CLI (node can verify certificates but not issue them):
//   - a server CA and Lanner's serving certificate, with the SANs the recipes' URLs need;
//   - a client CA of its own and kube-apiserver's client certificate. Distinct from the server CA
//     on purpose: a CA that signed both would let Lanner's own certificate (or any server
//     certificate from it) pass as the apiserver;
//   - the Secret Lanner mounts (server certificate and key, client CA; no CA keys);
//   - the webhook kubeconfig that trusts the server CA and presents the client certificate.
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { ConfigError } from '../errors/index.ts'
import { SETUP } from './constants.ts'
import { renderWebhookConfig, webhookServerUrl } from './webhook-config.ts'

export interface TlsBundleOptions {
  /** directory the files are written to; created if missing */
  dir: string
  /** the URL kube-apiserver posts to (its host gets a SAN) */
  server: string
  /** extra DNS names or IP addresses for the serving certificate (node names/IPs) */
  sans?: string[]
  /** validity of every certificate, in days */
  days?: number
  /** overwrite existing files */
  force?: boolean
  /** the openssl binary */
  openssl?: string
}

/** The files written, by role; names are relative to the directory. */
export const BUNDLE_FILES = Object.freeze({
  serverCa: 'ca.crt',
  serverCaKey: 'ca.key',
  serverCert: 'tls.crt',
  serverKey: 'tls.key',
  clientCa: 'client-ca.crt',
  clientCaKey: 'client-ca.key',
  clientCert: 'apiserver.crt',
  clientKey: 'apiserver.key',
  secret: 'lanner-webhook-tls-secret.yaml',
  kubeconfig: SETUP.webhookFileName
})

/** The Secret's keys, as the default audit overlay mounts them under /etc/lanner/tls. */
export const SECRET_KEYS = Object.freeze({ cert: 'tls.crt', key: 'tls.key', clientCa: 'client-ca.crt' })

export const DEFAULT_DAYS = 825
/** the apiserver's identity in its client certificate (informational: trust comes from the client CA) */
export const CLIENT_CN = 'kube-apiserver-audit-webhook'

/** Names every recipe reaches Lanner by, plus the in-cluster Service names. */
export function defaultSans (serverUrl: string): string[] {
  const host = new URL(serverUrl).hostname.replace(/^\[|\]$/g, '')
  const svc = `lanner${SETUP.auditSuffix}`
  const names = ['localhost', '127.0.0.1', '::1', svc, `${svc}.${SETUP.namespace}`, `${svc}.${SETUP.namespace}.svc`, `${svc}.${SETUP.namespace}.svc.cluster.local`, host]
  return [...new Set(names)]
}

function sanExtension (sans: readonly string[]): string {
  return sans.map((s) => (isIP(s) !== 0 ? `IP:${s}` : `DNS:${s}`)).join(',')
}

function checkSan (s: string): void {
  if (isIP(s) === 0 && !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/.test(s)) {
    throw new ConfigError('ERR_CLI_USAGE', `--san: '${s}' is neither an IP address nor a DNS name`)
  }
}

export function renderTlsSecret (files: { cert: string, key: string, clientCa: string }): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: SETUP.tlsSecretName,
      namespace: SETUP.namespace,
      labels: { 'app.kubernetes.io/name': 'lanner', 'app.kubernetes.io/part-of': 'lanner', 'app.kubernetes.io/component': 'audit', 'app.kubernetes.io/instance': `lanner${SETUP.auditSuffix}` }
    },
    type: 'Opaque',
    data: {
      [SECRET_KEYS.cert]: Buffer.from(files.cert).toString('base64'),
      [SECRET_KEYS.key]: Buffer.from(files.key).toString('base64'),
      [SECRET_KEYS.clientCa]: Buffer.from(files.clientCa).toString('base64')
    }
  }
  return '# The audit webhook\'s TLS files (lanner setup tls): serving certificate and key, and the CA\n' +
    '# that signs only kube-apiserver\'s client certificate. kubectl apply -f this file before the overlay.\n' +
    stringify(doc, { lineWidth: 0 })
}

interface Step { run(args: string[]): void }

function opensslRunner (bin: string, dir: string): Step {
  return {
    run (args) {
      try {
        execFileSync(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
      } catch (err) {
        const e = err as NodeJS.ErrnoException & { stderr?: Buffer }
        if (e.code === 'ENOENT') throw new ConfigError('ERR_CLI_USAGE', `lanner setup tls needs the openssl command (${bin} not found)`)
        throw new ConfigError('ERR_CLI_USAGE', `openssl ${args[0] ?? ''} failed: ${String(e.stderr ?? e.message).trim()}`)
      }
    }
  }
}

// EC P-256: what kube-apiserver's Go TLS stack and node both handle, small and quick to make.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

function makeCa (o: Step, name: string, cn: string, days: number): void {
  o.run(['req', '-x509', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${cn}`, '-days', String(days),
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
}

function makeLeaf (o: Step, dir: string, name: string, ca: string, cn: string, ext: string, days: number): void {
  const extFile = `${name}.ext`
  writeFileSync(join(dir, extFile), ext)
  o.run(['req', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`])
  o.run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.crt`, '-days', String(days), '-extfile', extFile])
  for (const f of [extFile, `${name}.csr`, `${ca}.srl`]) rmSync(join(dir, f), { force: true })
}

/** A new file readable by its owner only from its creation (the Secret and kubeconfig embed keys). */
function writePrivate (path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' })
}

export interface TlsBundle {
  dir: string
  sans: string[]
  server: string
  files: typeof BUNDLE_FILES
}

export function createTlsBundle (opts: TlsBundleOptions): TlsBundle {
  const server = webhookServerUrl(opts.server)
  if (new URL(server).protocol !== 'https:') throw new ConfigError('ERR_CLI_USAGE', `--server: lanner setup tls makes TLS credentials, so the URL must be https:// (got ${server})`)
  const days = opts.days ?? DEFAULT_DAYS
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new ConfigError('ERR_CLI_USAGE', `--days: expected a whole number of days between 1 and 3650, got ${String(opts.days)}`)
  for (const s of opts.sans ?? []) checkSan(s)
  const sans = [...new Set([...defaultSans(server), ...(opts.sans ?? [])])]
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 })
  const existing = Object.values(BUNDLE_FILES).filter((f) => existsSync(join(opts.dir, f)))
  if (existing.length > 0 && opts.force !== true) {
    throw new ConfigError('ERR_CLI_USAGE', `${opts.dir} already holds ${existing.join(', ')}: choose another --out, or --force to replace them (the apiserver and Lanner must then both get the new files)`)
  }
  // --force: new files, never the old ones rewritten in place (openssl and writeFileSync keep an
  // existing file's mode, so a key would land in a file others may read until the final chmod)
  for (const f of existing) rmSync(join(opts.dir, f), { force: true })
  const o = opensslRunner(opts.openssl ?? 'openssl', opts.dir)
  makeCa(o, 'ca', 'lanner-webhook-server-ca', days)
  makeCa(o, 'client-ca', 'lanner-webhook-client-ca', days)
  makeLeaf(o, opts.dir, 'tls', 'ca', `lanner${SETUP.auditSuffix}`,
    `subjectAltName=${sanExtension(sans)}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n`, days)
  makeLeaf(o, opts.dir, 'apiserver', 'client-ca', CLIENT_CN,
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n', days)
  const read = (f: string): string => readFileSync(join(opts.dir, f), 'utf8')
  writePrivate(join(opts.dir, BUNDLE_FILES.secret), renderTlsSecret({ cert: read(BUNDLE_FILES.serverCert), key: read(BUNDLE_FILES.serverKey), clientCa: read(BUNDLE_FILES.clientCa) }))
  writePrivate(join(opts.dir, BUNDLE_FILES.kubeconfig), renderWebhookConfig({
    server,
    caPem: read(BUNDLE_FILES.serverCa),
    clientCertPem: read(BUNDLE_FILES.clientCert),
    clientKeyPem: read(BUNDLE_FILES.clientKey)
  }))
  // keys and the files embedding them are for their owners only
  for (const f of [BUNDLE_FILES.serverCaKey, BUNDLE_FILES.clientCaKey, BUNDLE_FILES.serverKey, BUNDLE_FILES.clientKey, BUNDLE_FILES.secret, BUNDLE_FILES.kubeconfig]) chmodSync(join(opts.dir, f), 0o600)
  return { dir: opts.dir, sans, server, files: BUNDLE_FILES }
}

/** The apiserver's side of a bundle, for the recipes: CA, client certificate and key. */
export function readBundleCredentials (dir: string): { caPem: string, clientCertPem: string, clientKeyPem: string, serverCertPem: string } {
  const read = (f: string): string => {
    try { return readFileSync(join(dir, f), 'utf8') } catch (err) {
      throw new ConfigError('ERR_CLI_USAGE', `--tls-dir: cannot read ${join(dir, f)} (${(err as NodeJS.ErrnoException).code ?? 'error'}); make the set with lanner setup tls --out ${dir}`)
    }
  }
  return { caPem: read(BUNDLE_FILES.serverCa), clientCertPem: read(BUNDLE_FILES.clientCert), clientKeyPem: read(BUNDLE_FILES.clientKey), serverCertPem: read(BUNDLE_FILES.serverCert) }
}
