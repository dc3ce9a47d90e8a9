// The webhook kubeconfig: loads with @kubernetes/client-node's KubeConfig and says what
// kube-apiserver needs (server URL with path, CA, client certificate or token).
import t from 'tap'
import { parse } from 'yaml'
import { renderWebhookConfig, webhookServerUrl, WEBHOOK_CLUSTER_NAME, WEBHOOK_USER_NAME } from '../../src/setup/webhook-config.ts'
import { DEFAULTS } from '../../src/config/defaults.ts'
import { ConfigError } from '../../src/errors/index.ts'

import { KubeConfig } from '@kubernetes/client-node'

// Not real key material: the generator only checks the PEM armour and embeds the bytes.
const CA = '-----BEGIN CERTIFICATE-----\nTUlJQ0FURVNUQ0E=\n-----END CERTIFICATE-----\n'
const CERT = '-----BEGIN CERTIFICATE-----\nTUlJQ0NMSUVOVA==\n-----END CERTIFICATE-----\n'
const KEY = '-----BEGIN PRIVATE KEY-----\nTUlJRUtFWQ==\n-----END PRIVATE KEY-----\n'

function load (text: string): InstanceType<typeof KubeConfig> {
  const kc = new KubeConfig()
  kc.loadFromString(text)
  return kc
}

t.test('mTLS: CA and client certificate embedded, loads with KubeConfig', async (t) => {
  const text = renderWebhookConfig({ server: 'https://lanner.example:30007/k8s-audit', caPem: CA, clientCertPem: CERT, clientKeyPem: KEY })
  const kc = load(text)
  const cluster = kc.getCurrentCluster()
  t.equal(cluster?.name, WEBHOOK_CLUSTER_NAME)
  t.equal(cluster?.server, 'https://lanner.example:30007/k8s-audit', 'the path is part of the server URL')
  t.equal(Buffer.from(cluster?.caData ?? '', 'base64').toString(), CA)
  const user = kc.getCurrentUser()
  t.equal(user?.name, WEBHOOK_USER_NAME)
  t.equal(Buffer.from(user?.certData ?? '', 'base64').toString(), CERT)
  t.equal(Buffer.from(user?.keyData ?? '', 'base64').toString(), KEY)
  t.notOk(user?.token)
  const raw = parse(text)
  t.equal(raw.clusters[0].cluster['certificate-authority-data'], Buffer.from(CA).toString('base64'), 'the key kube-apiserver reads')
  t.equal(raw['current-context'], 'default')
})

t.test('bearer token, trimmed', async (t) => {
  const kc = load(renderWebhookConfig({ server: 'https://10.0.0.1:30007/k8s-audit', caPem: CA, token: 's3cr3t\n' }))
  t.equal(kc.getCurrentUser()?.token, 's3cr3t')
  t.notOk(kc.getCurrentUser()?.certData)
})

t.test('a bare host gets the default webhook path; plain http is allowed', async (t) => {
  t.equal(webhookServerUrl('http://127.0.0.1:30007'), `http://127.0.0.1:30007${DEFAULTS.webhookPath}`)
  t.equal(webhookServerUrl('https://h:1/custom/path'), 'https://h:1/custom/path')
  const kc = load(renderWebhookConfig({ server: 'http://127.0.0.1:30007' }))
  t.equal(kc.getCurrentCluster()?.server, 'http://127.0.0.1:30007/k8s-audit')
  t.same(parse(renderWebhookConfig({ server: 'https://h', insecureSkipTlsVerify: true })).clusters[0].cluster['insecure-skip-tls-verify'], true)
})

t.test('bad input is a usage error', async (t) => {
  const bad: Array<[Parameters<typeof renderWebhookConfig>[0], RegExp]> = [
    [{ server: 'not a url' }, /not a URL/],
    [{ server: 'ftp://h/x' }, /http or https/],
    [{ server: 'https://h', clientCertPem: CERT }, /go together/],
    [{ server: 'https://h', caPem: 'hello' }, /--ca: not a PEM/],
    [{ server: 'https://h', clientCertPem: CERT, clientKeyPem: CERT }, /--client-key/],
    [{ server: 'https://h', token: 'two words' }, /token/],
    // client-go refuses the pair, so kube-apiserver could not build the webhook
    [{ server: 'https://h', caPem: CA, insecureSkipTlsVerify: true }, /--ca and --insecure-skip-tls-verify exclude each other/],
    [{ server: 'http://h', insecureSkipTlsVerify: true }, /http:\/\/ server means nothing/]
  ]
  for (const [opts, msg] of bad) {
    let caught: unknown
    try { renderWebhookConfig(opts) } catch (err) { caught = err }
    t.ok(caught instanceof ConfigError, String(msg))
    t.match(caught, { code: 'ERR_CLI_USAGE', message: msg })
  }
})
