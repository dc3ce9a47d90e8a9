// `lanner setup <what>`: prints the files a cluster needs to send its audit events to Lanner.
// Output goes to stdout so that it can be redirected, reviewed and committed by the user.
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { CliIO } from './io.ts'
import { ConfigError } from '../errors/index.ts'
import {
  BUNDLE_FILES, createTlsBundle, readBundleCredentials, renderAuditPolicy, renderKind, renderKops, renderMinikube, renderWebhookConfig, SETUP,
  webhookServerUrl, type RecipeFiles, type WebhookConfigOptions
} from '../setup/index.ts'

const WHATS: Record<string, string> = {
  tls: `CA, Lanner's serving certificate, a client CA and kube-apiserver's client certificate, the Secret and the webhook kubeconfig (into --out, default ./${SETUP.tlsDir})`,
  'audit-policy': 'an audit.k8s.io/v1 Policy (--audit-policy-file)',
  'webhook-config': 'the webhook kubeconfig (--audit-webhook-config-file); needs --server',
  kops: 'a kOps cluster-spec fragment (fileAssets + kubeAPIServer)',
  minikube: 'a script that starts minikube with the audit flags',
  kind: 'a script that creates a kind cluster with the audit flags'
}

function usage (): string {
  const lines = ['usage: lanner setup <what> [options]', '', 'what:']
  for (const [k, v] of Object.entries(WHATS)) lines.push(`  ${k.padEnd(15)} ${v}`)
  lines.push('', 'tls options:',
    `  --out DIR                  where the files go (default ./${SETUP.tlsDir}); existing files are kept unless --force`,
    `  --server URL               the https URL kube-apiserver will use (default ${SETUP.defaultServer}); its host gets a SAN`,
    '  --san NAME|IP              one more DNS name or IP for the serving certificate (node names/IPs); repeatable',
    '  --days N                   validity of the certificates (default 825)',
    '', 'webhook options (webhook-config, kops, minikube, kind):',
    `  --server URL               where kube-apiserver POSTs, path included (default for recipes: ${SETUP.defaultServer})`,
    `  --tls-dir DIR              credentials made by lanner setup tls (recipes default: ./${SETUP.tlsDir} when https)`,
    '  --ca FILE                  PEM CA that signed Lanner\'s serving certificate',
    '  --client-cert FILE         PEM client certificate kube-apiserver presents (with --client-key)',
    '  --client-key FILE          PEM key of --client-cert',
    '  --token-file FILE          bearer token kube-apiserver sends',
    '  --insecure-skip-tls-verify do not verify Lanner\'s certificate (throwaway clusters only)',
    `  --batch-max-wait DURATION  --audit-webhook-batch-max-wait for recipes (default ${SETUP.batchMaxWait})`)
  return lines.join('\n') + '\n'
}

function usageError (msg: string): ConfigError {
  return new ConfigError('ERR_CLI_USAGE', msg)
}

function readInput (file: string, flag: string): string {
  try { return readFileSync(file, 'utf8') } catch (err) {
    throw usageError(`${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

export async function run (argv: string[], io: CliIO): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        server: { type: 'string' },
        ca: { type: 'string' },
        'client-cert': { type: 'string' },
        'client-key': { type: 'string' },
        'token-file': { type: 'string' },
        'insecure-skip-tls-verify': { type: 'boolean' },
        'batch-max-wait': { type: 'string' },
        'tls-dir': { type: 'string' },
        out: { type: 'string' },
        san: { type: 'string', multiple: true },
        days: { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    throw usageError(`${(err as Error).message}\n${usage()}`)
  }
  const { values: v, positionals } = parsed
  const what = positionals[0]
  if (v.help === true || what === undefined) {
    io.stdout.write(usage())
    return what === undefined && v.help !== true ? 2 : 0
  }
  if (!(what in WHATS)) throw usageError(`unknown setup target '${what}' (expected ${Object.keys(WHATS).join(', ')})`)
  if (positionals.length > 1) throw usageError(`unexpected argument '${String(positionals[1])}'`)

  if (what === 'audit-policy') {
    io.stdout.write(renderAuditPolicy())
    return 0
  }
  if (what === 'tls') return makeTls(v, io)
  if (what === 'webhook-config' && v.server === undefined) throw usageError('webhook-config needs --server URL (e.g. https://HOST:30007/k8s-audit)')
  const { wh, tlsDir } = webhookOptions(v, what !== 'webhook-config', io)
  const webhookYaml = renderWebhookConfig(wh)
  if (what === 'webhook-config') {
    io.stdout.write(webhookYaml)
    return 0
  }
  const wait = v['batch-max-wait'] ?? SETUP.batchMaxWait
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(wait)) throw usageError(`--batch-max-wait: expected a duration such as 5s or 500ms, got '${wait}'`)
  const files: RecipeFiles = { policyYaml: renderAuditPolicy(), webhookYaml, batchMaxWait: wait, afterwards: nextSteps(wh.server, tlsDir) }
  const render = what === 'kops' ? renderKops : what === 'minikube' ? renderMinikube : renderKind
  io.stdout.write(render(files))
  return 0
}

type SetupValues = Record<string, string | boolean | string[] | undefined>

function str (v: SetupValues, k: string): string | undefined {
  const x = v[k]
  return typeof x === 'string' ? x : undefined
}

function makeTls (v: SetupValues, io: CliIO): number {
  const dir = resolve(str(v, 'out') ?? SETUP.tlsDir)
  const days = str(v, 'days')
  const bundle = createTlsBundle({
    dir,
    server: str(v, 'server') ?? SETUP.defaultServer,
    sans: (v.san as string[] | undefined) ?? [],
    ...(days === undefined ? {} : { days: Number(days) }),
    force: v.force === true
  })
  const f = bundle.files
  io.stdout.write([
    `wrote ${dir}:`,
    `  ${f.secret.padEnd(32)} Secret ${SETUP.tlsSecretName} (${SETUP.namespace}): serving certificate and key, client CA`,
    `  ${f.kubeconfig.padEnd(32)} webhook kubeconfig for kube-apiserver: ${bundle.server}, trusts ${f.serverCa}, presents ${f.clientCert}`,
    `  ${f.serverCa} / ${f.serverCaKey}`.padEnd(34) + ' server CA (keep the key to re-issue)',
    `  ${f.serverCert} / ${f.serverKey}`.padEnd(34) + ` serving certificate, SANs: ${bundle.sans.join(', ')}`,
    `  ${f.clientCa} / ${f.clientCaKey}`.padEnd(34) + ' client CA: signs only the apiserver\'s certificate',
    `  ${f.clientCert} / ${f.clientKey}`.padEnd(34) + ' kube-apiserver\'s client certificate',
    'next:',
    `  kubectl create namespace ${SETUP.namespace} --dry-run=client -o yaml | kubectl apply -f -`,
    `  kubectl apply -f ${dir}/${f.secret}`,
    '  kubectl apply -k manifests/overlays/audit',
    `  lanner setup kops|minikube|kind --tls-dir ${dir}   (or copy ${f.kubeconfig} to --audit-webhook-config-file)`,
    ''
  ].join('\n'))
  return 0
}

/**
 * What to apply once the cluster runs: over TLS the audit overlay and the Secret its pod mounts
 * (it waits without it), over plain HTTP the only overlay that serves it.
 */
function nextSteps (server: string, tlsDir: string | undefined): string[] {
  if (new URL(server).protocol !== 'https:') return ['kubectl apply -k manifests/overlays/audit-insecure-http']
  const secret = tlsDir === undefined
    ? `the Secret ${SETUP.tlsSecretName} (namespace ${SETUP.namespace}) with your tls.crt, tls.key and client-ca.crt`
    : `kubectl apply -f ${join(resolve(tlsDir), BUNDLE_FILES.secret)}`
  return ['kubectl apply -k manifests/overlays/audit', secret]
}

/** The webhook kubeconfig's inputs from the flags, refusing combinations client-go refuses or that leak. */
function webhookOptions (v: SetupValues, recipe: boolean, io: CliIO): { wh: WebhookConfigOptions, tlsDir?: string } {
  const server = webhookServerUrl(str(v, 'server') ?? SETUP.defaultServer)
  const https = new URL(server).protocol === 'https:'
  const insecure = v['insecure-skip-tls-verify'] === true
  const ca = str(v, 'ca')
  let tlsDir = str(v, 'tls-dir')
  if (insecure && ca !== undefined) throw usageError('--ca and --insecure-skip-tls-verify exclude each other (client-go refuses the pair: "specifying a root certificates file with the insecure flag is not allowed"); drop --insecure-skip-tls-verify')
  if (insecure && tlsDir !== undefined) throw usageError('--tls-dir brings a CA to verify Lanner with: drop --insecure-skip-tls-verify')
  if (insecure && !https) throw usageError(`--insecure-skip-tls-verify with an http:// server means nothing: there is no TLS to verify (${server})`)
  if (!https && (tlsDir !== undefined || ca !== undefined || v['client-cert'] !== undefined)) throw usageError(`--server is http:// (${server}): TLS options need an https:// URL`)
  if (!https && v['token-file'] !== undefined) throw usageError(`a bearer token over http:// travels in clear (${server}): use https://`)
  // the recipes default to the TLS set made by `lanner setup tls` in the working directory
  if (recipe && https && tlsDir === undefined && ca === undefined && !insecure) {
    if (!existsSync(resolve(SETUP.tlsDir, BUNDLE_FILES.serverCa))) {
      throw usageError(`the default overlay serves TLS with client certificates: run \`lanner setup tls\` first (writes ./${SETUP.tlsDir}), or pass --tls-dir DIR; for the audit-insecure-http overlay pass --server http://…`)
    }
    tlsDir = SETUP.tlsDir
  }
  const wh: WebhookConfigOptions = { server }
  if (tlsDir !== undefined) {
    if (ca !== undefined || v['client-cert'] !== undefined || v['client-key'] !== undefined) throw usageError('--tls-dir already names the CA and client certificate: drop --ca/--client-cert/--client-key')
    const b = readBundleCredentials(tlsDir)
    checkServerName(server, b.serverCertPem, tlsDir)
    wh.caPem = b.caPem
    wh.clientCertPem = b.clientCertPem
    wh.clientKeyPem = b.clientKeyPem
  }
  if (ca !== undefined) wh.caPem = readInput(ca, '--ca')
  const cc = str(v, 'client-cert')
  const ck = str(v, 'client-key')
  if (cc !== undefined) wh.clientCertPem = readInput(cc, '--client-cert')
  if (ck !== undefined) wh.clientKeyPem = readInput(ck, '--client-key')
  const tf = str(v, 'token-file')
  if (tf !== undefined) wh.token = readInput(tf, '--token-file')
  if (insecure) wh.insecureSkipTlsVerify = true
  if (!https) io.stderr.write(`lanner setup: warning: ${server} is plain HTTP without authentication; it reaches only the audit-insecure-http overlay, and anyone who reaches the port can forge audit events\n`)
  else if (wh.clientCertPem === undefined && wh.token === undefined) io.stderr.write('lanner setup: warning: no client certificate or token: the apiserver will not authenticate itself, and the default overlay refuses it\n')
  return tlsDir === undefined ? { wh } : { wh, tlsDir }
}

/** The URL's host must be in the serving certificate's SANs, or the apiserver refuses the connection. */
function checkServerName (server: string, certPem: string, dir: string): void {
  const host = new URL(server).hostname.replace(/^\[|\]$/g, '')
  const cert = new X509Certificate(certPem)
  const ok = isIP(host) !== 0 ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined
  if (!ok) throw usageError(`${host} is not among the serving certificate's names (${cert.subjectAltName ?? 'none'}): make the set again with lanner setup tls --out ${dir} --server ${server} --force (add --san NAME for every other name the apiserver uses)`)
}
