// Webhook authentication that means what it says: `lanner serve` (spawned) and `--dry-run` refuse
// settings that protect nothing, warn about an open webhook, and dry-run reads the TLS files a
// real start reads.
import t from 'tap'
import path from 'node:path'
import { existsSync } from 'node:fs'
import { runLanner } from '../integration/cli-child.ts'
import { createTestPki, type TestPki } from '../helpers/certs.ts'
import { skipUnlessRequired } from '../helpers/probe-required.ts'

const LISTEN = ['-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver.enabled=false']

let pki: TestPki
t.before(async () => { pki = await createTestPki() })
t.teardown(async () => { await pki.remove() })

function tlsArgs (clientAuth: string, ca?: string): string[] {
  const a = ['-o', `lanner.webhook.tls.cert=${pki.files.serverCert}`, '-o', `lanner.webhook.tls.key=${pki.files.serverKey}`, '-o', `lanner.webhook.tls.client_auth=${clientAuth}`]
  if (ca !== undefined) a.push('-o', `lanner.webhook.tls.ca=${ca}`)
  return a
}

t.test('mTLS with the CA that signed the server certificate: refused by serve and --dry-run', async (t) => {
  // the test PKI signs server and client certificates with one CA: any of its certificates would pass
  for (const extra of [[], ['--dry-run']]) {
    const r = await runLanner(['serve', ...LISTEN, ...tlsArgs('require', pki.files.caCert), ...extra])
    t.equal(r.code, 1, `exit 1 ${extra.join(' ')}`)
    t.match(r.stderr, /ERR_CONFIG_INSECURE: .*lanner\.webhook\.tls\.ca: the client CA .* also signed the server certificate/)
  }
})

t.test('client_auth: request without a token: refused', async (t) => {
  const dir = t.testdir({ 'ca.pem': pki.rogueCert })
  for (const extra of [[], ['--dry-run']]) {
    const r = await runLanner(['serve', ...LISTEN, ...tlsArgs('request', path.join(dir, 'ca.pem')), ...extra])
    t.equal(r.code, 1)
    t.match(r.stderr, /ERR_CONFIG_INSECURE: .*client_auth: request admits clients without a certificate/)
  }
})

t.test('a bearer token over plain HTTP: refused; over TLS: fine', async (t) => {
  const dir = t.testdir({ token: 's3cret\n' })
  const token = ['-o', `lanner.webhook.bearer_token_file=${path.join(dir, 'token')}`]
  for (const extra of [[], ['--dry-run']]) {
    const r = await runLanner(['serve', ...LISTEN, ...token, ...extra])
    t.equal(r.code, 1)
    t.match(r.stderr, /ERR_CONFIG_INSECURE: .*bearer token over plain HTTP travels in clear/)
  }
  const ok = await runLanner(['serve', ...LISTEN, ...token, ...tlsArgs('none'), '--dry-run'])
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, /webhook authentication: bearer token/)
  t.notMatch(ok.stderr, /INSECURE/)
})

const SYSTEM_BUNDLE = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'].find((f) => existsSync(f))

t.test('a system trust store as client CA: warned', { skip: skipUnlessRequired(SYSTEM_BUNDLE === undefined ? 'no system CA bundle here (ca-certificates)' : undefined) ?? false }, async (t) => {
  const bundle = SYSTEM_BUNDLE as string
  const r = await runLanner(['serve', ...LISTEN, ...tlsArgs('require', bundle), '--dry-run'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /WARN_CONFIG_INSECURE: lanner\.webhook\.tls\.ca: the client CA bundle .* holds \d+ CAs, like a system trust store/)
})

t.test('a Basic-auth password over plain HTTP: refused; with client_auth request it counts as the credential', async (t) => {
  const dir = t.testdir({ password: 'pw\n', 'ca.pem': pki.rogueCert })
  const basic = ['-o', `lanner.webhook.basic_auth={username: apiserver, password_file: ${path.join(dir, 'password')}}`]
  const r = await runLanner(['serve', ...LISTEN, ...basic, '--dry-run'])
  t.equal(r.code, 1)
  t.match(r.stderr, /ERR_CONFIG_INSECURE: .*basic_auth: a Basic-auth password over plain HTTP/)
  const ok = await runLanner(['serve', ...LISTEN, ...basic, ...tlsArgs('request', path.join(dir, 'ca.pem')), '--dry-run'])
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, /webhook authentication: client certificate \(request.*\+ basic auth/)
})

t.test('plain HTTP without authentication: allowed (Falco\'s default) and said loudly', async (t) => {
  const r = await runLanner(['serve', ...LISTEN, '--dry-run'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /webhook authentication: none/)
  t.match(r.stderr, /warning: WARN_CONFIG_INSECURE: .*plain HTTP without authentication: anyone who reaches port \d+ can forge audit events/)
  const tlsOnly = await runLanner(['serve', ...LISTEN, ...tlsArgs('none'), '--dry-run'])
  t.equal(tlsOnly.code, 0)
  t.match(tlsOnly.stderr, /WARN_CONFIG_INSECURE: .*TLS without client authentication/)
})

t.test('--dry-run reads the TLS files a real start reads', async (t) => {
  const missing = await runLanner(['serve', ...LISTEN, '-o', 'lanner.webhook.tls.cert=/no/such/tls.crt', '-o', 'lanner.webhook.tls.key=/no/such/tls.key', '--dry-run'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /ERR_CONFIG_INVALID: lanner\.webhook\.tls\.cert: cannot read '\/no\/such\/tls\.crt' \(ENOENT\)/)
  const mismatched = await runLanner(['serve', ...LISTEN, '-o', `lanner.webhook.tls.cert=${pki.files.serverCert}`, '-o', `lanner.webhook.tls.key=${pki.files.clientKey}`, '--dry-run'])
  t.equal(mismatched.code, 1, 'a key that does not match the certificate')
  t.match(mismatched.stderr, /ERR_WEBHOOK_TLS/)
  const admin = await runLanner(['serve', ...LISTEN.slice(0, 2), '-o', 'webserver.ssl_enabled=true', '-o', 'webserver.ssl_certificate=/no/such/admin.pem', '--dry-run'])
  t.equal(admin.code, 1)
  t.match(admin.stderr, /webserver\.ssl_certificate/)
})
