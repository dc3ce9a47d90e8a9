// `lanner serve` with Falco's TLS settings: `open_params: https://…` plus the k8saudit
// `sslCertificate` (one PEM holding certificate and key), and Lanner's bearer token file.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { startServe, webhookListening } from '../helpers/serve-child.ts'
import { makeCert } from '../outputs/certs.ts'
import { postAsApiserver } from '../helpers/apiserver-client.ts'
import { auditEvent, createRule } from '../app/fixtures.ts'

/** One batch as kube-apiserver sends it with this webhook kubeconfig (CA, optional token): the first attempt's status. */
async function post (url: string, ca: Buffer, events: Array<Record<string, unknown>>, token?: string): Promise<number> {
  return (await postAsApiserver(url, events, { certificateAuthority: ca, ...(token === undefined ? {} : { token }) })).status
}

t.test('https open_params with a combined sslCertificate PEM, and a bearer token file', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created'), token: 's3cret\n' })
  const cert = makeCert(dir, 'server')
  const pem = path.join(dir, 'falco.pem')
  writeFileSync(pem, readFileSync(cert.cert, 'utf8') + readFileSync(cert.key, 'utf8'))
  writeFileSync(path.join(dir, 'falco.yaml'), `
json_output: true
rules_files: [rules.yaml]
stdout_output: {enabled: false}
file_output: {enabled: true, filename: alerts.jsonl}
webserver: {enabled: false}
plugins:
  - name: k8saudit
    init_config: {sslCertificate: falco.pem}
    open_params: "https://127.0.0.1:0/k8s-audit"
lanner:
  webhook: {bearer_token_file: token}
`)
  const serve = startServe(t, ['serve', '-c', path.join(dir, 'falco.yaml')])
  const listening = await webhookListening(serve)
  const port = listening.port
  t.equal(listening.tls, true)
  const url = `https://127.0.0.1:${port}/k8s-audit`
  const ca = readFileSync(cert.cert)
  const body = [auditEvent({ name: 'tls-1' })]
  t.equal(await post(url, ca, body), 401, 'no bearer token')
  t.equal(await post(url, ca, body, 'wrong'), 401, 'wrong bearer token')
  t.equal(await post(url, ca, body, 's3cret'), 200, 'TLS with the PEM certificate and the right token')
  serve.child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0)
  t.match(readFileSync(path.join(dir, 'alerts.jsonl'), 'utf8'), /"ka.target.name":"tls-1"/)
})

t.test('an unreadable certificate is a start-up config error naming the key', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('X') })
  const serve = startServe(t, ['serve', '-r', path.join(dir, 'rules.yaml'), '-o', 'webserver.enabled=false',
    '-o', 'lanner.webhook={listen: "127.0.0.1:0", tls: {cert: /nonexistent/c.pem, key: /nonexistent/k.pem}}'])
  t.equal((await serve.exited).code, 1)
  t.match(serve.stderr(), /ERR_CONFIG_INVALID: lanner\.webhook\.tls\.cert: cannot read '\/nonexistent\/c\.pem'/)
})
