// `lanner serve` with Falco's TLS settings: `open_params: https://…` plus the k8saudit
// `sslCertificate` (one PEM holding certificate and key), and Lanner's bearer token file.
import t from 'tap'
import https from 'node:https'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { startServe, webhookListening } from '../helpers/serve-child.ts'
import { makeCert } from '../outputs/certs.ts'
import { auditEvent, createRule, eventList } from '../app/fixtures.ts'

function post (url: string, ca: Buffer, body: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' }
    if (token !== undefined) headers.Authorization = `Bearer ${token}`
    const req = https.request(url, { method: 'POST', ca, headers }, (res) => { res.resume(); res.on('end', () => { resolve(res.statusCode ?? 0) }) })
    req.on('error', reject)
    req.end(body)
  })
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
  const body = eventList([auditEvent({ name: 'tls-1' })])
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
