// `lanner setup <what>`: prints the files a cluster needs to send its audit events to Lanner.
// Output goes to stdout so that it can be redirected, reviewed and committed by the user.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { CliIO } from './index.ts'
import { ConfigError } from '../errors/index.ts'
import { renderAuditPolicy } from '../setup/audit-policy.ts'
import { renderWebhookConfig, type WebhookConfigOptions } from '../setup/webhook-config.ts'
import { renderKops, type RecipeFiles } from '../setup/kops.ts'
import { renderMinikube } from '../setup/minikube.ts'
import { renderKind } from '../setup/kind.ts'
import { SETUP } from '../setup/constants.ts'

const WHATS: Record<string, string> = {
  'audit-policy': 'an audit.k8s.io/v1 Policy (--audit-policy-file)',
  'webhook-config': 'the webhook kubeconfig (--audit-webhook-config-file); needs --server',
  kops: 'a kOps cluster-spec fragment (fileAssets + kubeAPIServer)',
  minikube: 'a script that starts minikube with the audit flags',
  kind: 'a script that creates a kind cluster with the audit flags'
}

function usage (): string {
  const lines = ['usage: lanner setup <what> [options]', '', 'what:']
  for (const [k, v] of Object.entries(WHATS)) lines.push(`  ${k.padEnd(15)} ${v}`)
  lines.push('', 'webhook options (webhook-config, kops, minikube, kind):',
    `  --server URL               where kube-apiserver POSTs, path included (default for recipes: ${SETUP.defaultServer})`,
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
  if (what === 'webhook-config' && v.server === undefined) throw usageError('webhook-config needs --server URL (e.g. https://HOST:30007/k8s-audit)')
  const wh: WebhookConfigOptions = { server: v.server ?? SETUP.defaultServer }
  if (v.ca !== undefined) wh.caPem = readInput(v.ca, '--ca')
  if (v['client-cert'] !== undefined) wh.clientCertPem = readInput(v['client-cert'], '--client-cert')
  if (v['client-key'] !== undefined) wh.clientKeyPem = readInput(v['client-key'], '--client-key')
  if (v['token-file'] !== undefined) wh.token = readInput(v['token-file'], '--token-file')
  if (v['insecure-skip-tls-verify'] === true) wh.insecureSkipTlsVerify = true
  const webhookYaml = renderWebhookConfig(wh)
  if (what === 'webhook-config') {
    io.stdout.write(webhookYaml)
    return 0
  }
  const wait = v['batch-max-wait'] ?? SETUP.batchMaxWait
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(wait)) throw usageError(`--batch-max-wait: expected a duration such as 5s or 500ms, got '${wait}'`)
  const files: RecipeFiles = { policyYaml: renderAuditPolicy(), webhookYaml, batchMaxWait: wait }
  const render = what === 'kops' ? renderKops : what === 'minikube' ? renderMinikube : renderKind
  io.stdout.write(render(files))
  return 0
}
