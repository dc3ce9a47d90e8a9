// What the audit webhook's start does with its authentication settings (webhook-preflight.ts,
// webhook-auth.ts, tls-files.ts, audit-mode.ts), over real PEM files made with openssl:
// settings that protect nothing refuse the start (ERR_CONFIG_INSECURE, naming the key) before a
// port opens; weak ones are logged as WARN_CONFIG_INSECURE; unreadable, empty or mismatched files
// are errors naming the key; a start that fails after the admin server is up closes it again.
import t from 'tap'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { promisify } from 'node:util'
import { Worker } from 'node:worker_threads'
import { loadConfig, type Config } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { startAuditMode } from '../../src/app/audit-mode/audit-mode.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { refusalOf, webhookPreflight } from '../../src/app/start/webhook-preflight.ts'
import { webhookAuthFindings } from '../../src/app/start/webhook-auth.ts'
import { createTestPki, type TestPki } from '../helpers/certs.ts'
import { postAsApiserver } from '../helpers/apiserver-client.ts'
import { auditEvent, createRule } from './fixtures.ts'

const run = promisify(execFile)

let pki: TestPki
let other: TestPki
let dir: string
t.before(async () => {
  ;[pki, other] = await Promise.all([createTestPki(), createTestPki()])
  dir = await mkdtemp(path.join(tmpdir(), 'lanner-webhook-auth-'))
  await writeFile(path.join(dir, 'rules.yaml'), createRule('Auth Rule'))
  await writeFile(path.join(dir, 'token'), 's3cret-token\n')
  await writeFile(path.join(dir, 'password'), 'pa55word\n')
  await writeFile(path.join(dir, 'empty'), '\n')
})
t.teardown(async () => { await Promise.all([pki.remove(), other.remove(), rm(dir, { recursive: true, force: true })]) })

/** lanner.webhook from YAML (flow style), loaded from a real falco.yaml as serve loads it. */
function configWith (webhook: string, extra = ''): Config {
  const file = path.join(dir, `falco-${Math.random().toString(36).slice(2)}.yaml`)
  const text = `rules_files: [rules.yaml]\njson_output: true\nwebserver: {enabled: false}\n${extra}lanner:\n  webhook: {listen: "127.0.0.1:0"${webhook === '' ? '' : ', ' + webhook}}\n`
  writeFileSync(file, text)
  return loadConfig({ file })
}

const tlsOf = (clientAuth: string, ca = pki.files.caCert): string =>
  `tls: {cert: ${pki.files.serverCert}, key: ${pki.files.serverKey}, ca: ${ca}, client_auth: ${clientAuth}}`

/** [severity, code, key] of each finding, in order */
function findings (c: Config): string[][] {
  return webhookPreflight(c).findings.map((f) => [f.severity, f.code, f.key])
}

t.test('each authentication setting, and what the start says about it', async (t) => {
  const token = `bearer_token_file: ${path.join(dir, 'token')}`
  const basic = `basic_auth: {username: kube-apiserver, password_file: ${path.join(dir, 'password')}}`
  t.same(findings(configWith('')), [['warn', 'WARN_CONFIG_INSECURE', 'lanner.webhook.tls']], 'plain HTTP, no secret: allowed, loudly')
  t.same(findings(configWith(token)), [['refuse', 'ERR_CONFIG_INSECURE', 'lanner.webhook.bearer_token_file']], 'a token in clear is refused')
  t.same(findings(configWith(basic)), [['refuse', 'ERR_CONFIG_INSECURE', 'lanner.webhook.basic_auth']], 'a password in clear is refused')
  t.same(findings(configWith(tlsOf('none', other.files.caCert))), [['warn', 'WARN_CONFIG_INSECURE', 'lanner.webhook.tls.client_auth']], 'TLS alone authenticates no client')
  t.same(findings(configWith(`${tlsOf('none', other.files.caCert)}, ${basic}`)), [], 'TLS with Basic auth')
  t.same(findings(configWith(tlsOf('request', other.files.caCert))), [['refuse', 'ERR_CONFIG_INSECURE', 'lanner.webhook.tls.client_auth']], 'client_auth: request alone is refused')
  t.same(findings(configWith(`${tlsOf('request', other.files.caCert)}, ${token}`)), [], 'request with a token')
  t.same(findings(configWith(tlsOf('require', other.files.caCert))), [], 'a client CA of its own')
  t.same(findings(configWith(tlsOf('require'))), [['refuse', 'ERR_CONFIG_INSECURE', 'lanner.webhook.tls.ca']], 'the CA that signed the server certificate is refused as client CA')

  const refusal = refusalOf(webhookPreflight(configWith(`${tlsOf('request')}`)).findings)
  t.match(refusal, { code: 'ERR_CONFIG_INSECURE', location: { itemName: 'lanner.webhook.tls.client_auth' } }, 'the first refused key is the error location')
  t.match(refusal?.message, /^lanner\.webhook\.tls\.client_auth: .*; lanner\.webhook\.tls\.ca: /, 'every refusal is in the message')
})

t.test('a client CA bundle the size of a system trust store is a warning', async (t) => {
  const cas = await mkdtemp(path.join(tmpdir(), 'lanner-cas-'))
  t.teardown(async () => { await rm(cas, { recursive: true, force: true }) })
  await Promise.all(Array.from({ length: 9 }, async (_, i) => {
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', `ca${i}.key`, '-out', `ca${i}.crt`, '-subj', `/CN=public-ca-${i}`, '-days', '2'], { cwd: cas })
  }))
  const pems = await Promise.all(Array.from({ length: 9 }, async (_, i) => await readFile(path.join(cas, `ca${i}.crt`), 'utf8')))
  // a key block in the bundle is not a CA: nine certificates, not ten
  const bundle = path.join(cas, 'bundle.pem')
  await writeFile(bundle, pems.join('') + await readFile(path.join(cas, 'ca0.key'), 'utf8'))
  const f = webhookPreflight(configWith(tlsOf('require', bundle))).findings
  t.same(f.map((x) => [x.severity, x.code, x.key]), [['warn', 'WARN_CONFIG_INSECURE', 'lanner.webhook.tls.ca']])
  t.match(f[0]?.message, /holds 9 CAs, like a system trust store/)
})

t.test('a client CA file with an unreadable certificate is refused at start, naming the key', async (t) => {
  const bad = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n'
  const badCa = path.join(dir, 'bad-ca.pem')
  await writeFile(badCa, other.caCert + bad)
  // node's TLS layer accepts this file (the block is left out of the trust store): the start
  // would then serve a webhook that no client certificate can pass
  t.throws(() => webhookPreflight(configWith(tlsOf('require', badCa))),
    { code: 'ERR_WEBHOOK_TLS', message: `lanner.webhook.tls.ca: certificate 2 of '${badCa}' is not a readable X.509 certificate` })
  // the authentication check alone reads past it (the good CA still counts)
  const wh = configWith(tlsOf('require', other.files.caCert)).webhook
  t.same(webhookAuthFindings(wh, { cert: pki.serverCert, ca: bad + pki.caCert }).map((f) => f.key), ['lanner.webhook.tls.ca'])
})

t.test('unreadable, empty or mismatched files are errors naming the key', async (t) => {
  t.throws(() => webhookPreflight(configWith(`tls: {cert: ${path.join(dir, 'nope.crt')}, key: ${pki.files.serverKey}}`)),
    { code: 'ERR_CONFIG_INVALID', message: /^lanner\.webhook\.tls\.cert: cannot read '.*nope\.crt' \(ENOENT\)$/, location: { itemName: 'lanner.webhook.tls.cert' } })
  t.throws(() => webhookPreflight(configWith(`${tlsOf('none')}, bearer_token_file: ${path.join(dir, 'empty')}`)),
    { code: 'ERR_CONFIG_INVALID', message: /^lanner\.webhook\.bearer_token_file: '.*empty' is empty$/ })
  t.throws(() => webhookPreflight(configWith(`${tlsOf('none')}, basic_auth: {username: u, password_file: ${path.join(dir, 'empty')}}`)),
    { code: 'ERR_CONFIG_INVALID', message: /^lanner\.webhook\.basic_auth\.password_file: / })
  // the other PKI's key does not belong to this certificate
  t.throws(() => webhookPreflight(configWith(`tls: {cert: ${pki.files.serverCert}, key: ${other.files.serverKey}}`)),
    { code: 'ERR_WEBHOOK_TLS', message: /^TLS setup failed: / })
})

/** A port nothing listens on now (the kernel's pick, released). */
async function freePort (): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => srv.close(() => { resolve() }))
  return port
}

async function appFor (config: Config) {
  const logOut = new PassThrough()
  const logs: Array<Record<string, unknown>> = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const alertsOut = new PassThrough()
  const alerts: string[] = []
  alertsOut.on('data', (b: Buffer) => alerts.push(...b.toString().trimEnd().split('\n')))
  const app = await buildApp(config, { stdout: alertsOut, logger: createLogger(config.log, logOut), defaultMetrics: false })
  t.equal((await app.rules.load()).ok, true)
  return { app, logs, alerts }
}

t.test('a refused setting stops the start before the webhook listens', async (t) => {
  const port = await freePort()
  const c = configWith(`bearer_token_file: ${path.join(dir, 'token')}`)
  c.webhook.port = port
  const { app } = await appFor(c)
  t.teardown(async () => { await app.dispatcher.close(1000) })
  await t.rejects(startAuditMode(app), { code: 'ERR_CONFIG_INSECURE', message: /bearer_token_file: a bearer token over plain HTTP/ })
  const probe = net.connect(port, '127.0.0.1')
  const refused = await new Promise<string>((resolve) => { probe.on('error', (e: NodeJS.ErrnoException) => { resolve(e.code ?? '') }); probe.on('connect', () => { probe.destroy(); resolve('connected') }) })
  t.equal(refused, 'ECONNREFUSED', 'nothing listens on the webhook port')
})

t.test('TLS with Basic auth: the apiserver\'s credentials pass, wrong ones get 401', async (t) => {
  const c = configWith(`tls: {cert: ${pki.files.serverCombined}, key: ${pki.files.serverCombined}, client_auth: none}, basic_auth: {username: kube-apiserver, password_file: ${path.join(dir, 'password')}}`)
  const { app, logs, alerts } = await appFor(c)
  const mode = await startAuditMode(app)
  t.teardown(async () => { await mode.stop(); await app.dispatcher.close(1000) })
  t.match(logs.find((l) => l.msg === 'audit webhook listening'), { tls: true, evalWorkers: 0 })
  t.notOk(logs.some((l) => l.code === 'WARN_CONFIG_INSECURE'), 'nothing to warn about')
  const url = `https://localhost:${mode.port ?? 0}/k8s-audit`
  const ok = await postAsApiserver(url, [auditEvent()], { certificateAuthority: pki.caCert, username: 'kube-apiserver', password: 'pa55word' })
  t.equal(ok.status, 200)
  await app.dispatcher.flush(30_000)
  t.same(alerts.map((a) => JSON.parse(a).rule), ['Auth Rule'])
  const wrong = await postAsApiserver(url, [auditEvent()], { certificateAuthority: pki.caCert, username: 'kube-apiserver', password: 'guess' })
  t.equal(wrong.status, 401)
})

t.test('a plain unauthenticated webhook starts with its warning logged under the code', async (t) => {
  const { app, logs } = await appFor(configWith(''))
  const mode = await startAuditMode(app)
  t.teardown(async () => { await mode.stop(); await app.dispatcher.close(1000) })
  t.match(logs.find((l) => l.code === 'WARN_CONFIG_INSECURE'), { level: 40, key: 'lanner.webhook.tls', msg: /anyone who reaches port \d+ can forge audit events/ })
})

t.test('a webhook port already taken fails the start and closes the admin server it had opened', async (t) => {
  const taken = net.createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { taken.close() })
  const adminPort = await freePort()
  const c = configWith('')
  c.admin = { ...c.admin, enabled: true, host: '127.0.0.1', port: adminPort }
  c.webhook.port = (taken.address() as net.AddressInfo).port
  const { app } = await appFor(c)
  t.teardown(async () => { await app.dispatcher.close(1000) })
  await t.rejects(startAuditMode(app), { code: 'EADDRINUSE' })
  // the admin server was listening before the webhook failed; its port is free again
  const again = net.createServer()
  await t.resolves(new Promise<void>((resolve, reject) => { again.once('error', reject); again.listen(adminPort, '127.0.0.1', resolve) }), 'the admin port is free again')
  again.close()
})

t.test('TLS with a bearer token: the apiserver\'s token passes, none gets 401', async (t) => {
  const c = configWith(`${tlsOf('none', other.files.caCert)}, bearer_token_file: ${path.join(dir, 'token')}`)
  const { app, logs } = await appFor(c)
  const mode = await startAuditMode(app)
  t.teardown(async () => { await mode.stop(); await app.dispatcher.close(1000) })
  t.notOk(logs.some((l) => l.code === 'WARN_CONFIG_INSECURE'), 'nothing to warn about')
  const url = `https://localhost:${mode.port ?? 0}/k8s-audit`
  t.equal((await postAsApiserver(url, [auditEvent()], { certificateAuthority: pki.caCert, token: 's3cret-token' })).status, 200)
  t.equal((await postAsApiserver(url, [auditEvent()], { certificateAuthority: pki.caCert })).status, 401)
})

t.test('with evaluation workers, a failed start also ends the workers (else the process could not exit)', async (t) => {
  const taken = net.createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { taken.close() })
  const c = configWith('')
  c.evalWorkers = 1
  c.webhook.port = (taken.address() as net.AddressInfo).port
  const { app } = await appFor(c)
  t.teardown(async () => { await app.dispatcher.close(1000) })
  const exits: Array<Promise<unknown>> = []
  const post = Worker.prototype.postMessage
  // learn the pool's workers from the rules it sends them
  Worker.prototype.postMessage = function seeWorker (this: Worker, ...args: Parameters<Worker['postMessage']>) {
    exits.push(new Promise((resolve) => this.once('exit', resolve)))
    return post.apply(this, args)
  }
  t.teardown(() => { Worker.prototype.postMessage = post })
  await t.rejects(startAuditMode(app), { code: 'EADDRINUSE' })
  t.equal(exits.length, 1, 'the worker was sent the rules')
  await Promise.all(exits)
  t.pass('every worker exited')
})
