// `lanner setup tls` end to end: the generated Secret's files, mounted as the default audit
// overlay mounts them and read through the overlay's own config, serve the webhook; the generated
// kubeconfig's credentials (read by the kube-apiserver webhook double, as the apiserver reads
// them) are accepted, and clients without them are refused.
import t from 'tap'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { parse } from 'yaml'
import { runLanner, ROOT } from '../integration/cli-child.ts'
import { startServe, webhookListening } from '../helpers/serve-child.ts'
import { auditEvent, createWebhookBackend, encodeEventList, request } from '../helpers/apiserver-client.ts'
import { SETUP } from '../../src/setup/constants.ts'
import { BUNDLE_FILES, SECRET_KEYS } from '../../src/setup/tls-bundle.ts'

const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8')

/** The pod's view: every key of the Secret as a file under `mount` (what the kubelet writes). */
function mountSecret (secretYaml: string, mount: string): Record<string, string> {
  const secret = parse(secretYaml)
  mkdirSync(mount, { recursive: true })
  const files: Record<string, string> = {}
  for (const [k, v] of Object.entries(secret.data as Record<string, string>)) {
    files[k] = b64(v)
    writeFileSync(join(mount, k), files[k] as string)
  }
  return files
}

t.test('lanner setup tls: a consistent set; the kubeconfig gets in, nothing else does', async (t) => {
  const dir = t.testdir({})
  const out = join(dir, 'creds')
  const made = await runLanner(['setup', 'tls', '--out', out, '--san', 'node-1.example', '--san', '10.1.2.3'])
  t.equal(made.code, 0, made.stderr)
  for (const f of Object.values(BUNDLE_FILES)) t.ok(statSync(join(out, f)).isFile(), `${f} written`)
  for (const f of [BUNDLE_FILES.serverKey, BUNDLE_FILES.clientKey, BUNDLE_FILES.serverCaKey, BUNDLE_FILES.clientCaKey, BUNDLE_FILES.kubeconfig, BUNDLE_FILES.secret]) {
    t.equal(statSync(join(out, f)).mode & 0o077, 0, `${f} is readable by its owner only`)
  }
  const again = await runLanner(['setup', 'tls', '--out', out])
  t.equal(again.code, 2, 'an existing set is not overwritten without --force')
  t.match(again.stderr, /--force/)

  // the certificates: SANs for the recipes' URL and the requested names; two distinct CAs
  const serverCa = new X509Certificate(readFileSync(join(out, BUNDLE_FILES.serverCa)))
  const clientCa = new X509Certificate(readFileSync(join(out, BUNDLE_FILES.clientCa)))
  const serverCert = new X509Certificate(readFileSync(join(out, BUNDLE_FILES.serverCert)))
  const clientCert = new X509Certificate(readFileSync(join(out, BUNDLE_FILES.clientCert)))
  for (const ip of ['127.0.0.1', '10.1.2.3']) t.equal(serverCert.checkIP(ip), ip, `SAN IP ${ip}`)
  for (const h of ['localhost', 'node-1.example', `lanner-audit.${SETUP.namespace}.svc`]) t.equal(serverCert.checkHost(h), h, `SAN ${h}`)
  t.ok(serverCert.verify(serverCa.publicKey) && !serverCert.verify(clientCa.publicKey), 'the server certificate comes from the server CA only')
  t.ok(clientCert.verify(clientCa.publicKey) && !clientCert.verify(serverCa.publicKey), 'the client certificate comes from the client CA only')

  // the Secret: the keys the overlay's config names, no CA key
  const secretYaml = readFileSync(join(out, BUNDLE_FILES.secret), 'utf8')
  const secret = parse(secretYaml)
  t.equal(secret.metadata.name, SETUP.tlsSecretName)
  t.equal(secret.metadata.namespace, SETUP.namespace)
  t.match(secret.metadata.labels, { 'app.kubernetes.io/name': 'lanner', 'app.kubernetes.io/component': 'audit', 'app.kubernetes.io/instance': 'lanner-audit' }, 'labelled like the overlay\'s objects')
  t.same(Object.keys(secret.data).sort(), Object.values(SECRET_KEYS).sort())
  const mount = join(dir, 'etc-lanner-tls')
  const files = mountSecret(secretYaml, mount)
  t.notMatch(Object.values(files).join(''), readFileSync(join(out, BUNDLE_FILES.clientCaKey), 'utf8').trim(), 'no CA key in the Secret')

  // Lanner with the default overlay's own config, its /etc/lanner/tls pointing at the mounted Secret
  const overlayConfig = readFileSync(join(ROOT, 'manifests/overlays/audit/lanner.yaml'), 'utf8').replaceAll('/etc/lanner/tls/', mount + '/')
  t.match(overlayConfig, /client_auth: require/)
  const cfg = join(dir, 'lanner.yaml')
  writeFileSync(cfg, overlayConfig)
  const serve = startServe(t, ['serve', '-c', cfg, '-r', join(ROOT, 'rules/k8s_audit_rules.yaml'),
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver.enabled=false'])
  const { port, tls } = await webhookListening(serve)
  t.equal(tls, true, 'TLS on')

  // the kubeconfig as kube-apiserver reads it; only the port differs from the NodePort's
  const kc = parse(readFileSync(join(out, BUNDLE_FILES.kubeconfig), 'utf8'))
  const cluster = kc.clusters[0].cluster
  const user = kc.users[0].user
  t.equal(cluster.server, SETUP.defaultServer)
  t.notOk(cluster['insecure-skip-tls-verify'], 'verifies Lanner')
  const server = cluster.server.replace(`:${SETUP.webhookNodePort}/`, `:${port}/`)
  const backend = createWebhookBackend({
    kubeconfig: { server, certificateAuthority: b64(cluster['certificate-authority-data']), clientCertificate: b64(user['client-certificate-data']), clientKey: b64(user['client-key-data']) },
    mode: 'blocking-strict',
    initialBackoffMs: 10
  })
  t.teardown(() => { backend.close() })
  t.equal(await backend.processEvents(auditEvent(1)), true, 'the generated kubeconfig delivers a batch')
  t.equal(backend.outcomes[0]?.attempts[0]?.status, 200)

  // clients without the credential
  const body = encodeEventList([auditEvent(2)])
  const post = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }
  const ca = b64(cluster['certificate-authority-data'])
  await t.rejects(request(server, { ...post, ca }), 'no client certificate: the handshake is refused')
  await t.rejects(request(server, { ...post, ca, cert: files[SECRET_KEYS.cert], key: files[SECRET_KEYS.key] }), 'Lanner\'s own serving certificate is no client credential')
  await t.rejects(request(server.replace('https:', 'http:'), post), 'plain HTTP gets nowhere')
  serve.child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0)
})

t.test('the recipes and webhook-config use the set; names must match the certificate', async (t) => {
  const dir = t.testdir({})
  const out = join(dir, 'creds')
  t.equal((await runLanner(['setup', 'tls', '--out', out])).code, 0)
  for (const target of ['kops', 'minikube', 'kind']) {
    const r = await runLanner(['setup', target, '--tls-dir', out])
    t.equal(r.code, 0, `${target}: ${r.stderr}`)
    const kubeconfig = readFileSync(join(out, BUNDLE_FILES.kubeconfig), 'utf8')
    const ca = parse(kubeconfig).clusters[0].cluster['certificate-authority-data']
    t.ok(r.stdout.includes(ca), `${target}: embeds the set's CA`)
    t.ok(r.stdout.includes(parse(kubeconfig).users[0].user['client-key-data']), `${target}: and the apiserver's client key`)
  }
  const cwdDefault = await runLanner(['setup', 'kind'], { cwd: dir })
  t.equal(cwdDefault.code, 2, 'without a set in ./lanner-tls the recipes refuse to write an unauthenticated config')
  t.match(cwdDefault.stderr, /lanner setup tls/)
  const wrongHost = await runLanner(['setup', 'kops', '--tls-dir', out, '--server', 'https://10.9.9.9:30007/k8s-audit'])
  t.equal(wrongHost.code, 2)
  t.match(wrongHost.stderr, /10\.9\.9\.9 is not among the serving certificate's names/)
  const http = await runLanner(['setup', 'kind', '--server', 'http://127.0.0.1:30007/k8s-audit'])
  t.equal(http.code, 0, 'plain HTTP for the insecure overlay is still possible')
  t.match(http.stderr, /warning: .*plain HTTP without authentication/)
})
