// `lanner setup …` through the CLI dispatcher, and once as a real child process.
import t from 'tap'
import { PassThrough } from 'node:stream'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { runCli } from '../../src/cli/index.ts'
import { auditPolicy } from '../../src/setup/audit-policy.ts'
import { SETUP } from '../../src/setup/constants.ts'

async function cli (...argv: string[]): Promise<{ code: number, out: string, err: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d) => { out += String(d) })
  stderr.on('data', (d) => { err += String(d) })
  const code = await runCli(['setup', ...argv], { stdout, stderr, stdin: new PassThrough() })
  return { code, out, err }
}

t.test('help and usage errors', async (t) => {
  const help = await cli('--help')
  t.equal(help.code, 0)
  t.match(help.out, /audit-policy[\s\S]*webhook-config[\s\S]*kops[\s\S]*minikube[\s\S]*kind/)
  t.equal((await cli()).code, 2, 'no target is a usage error')
  const unknown = await cli('eks')
  t.equal(unknown.code, 2)
  t.match(unknown.err, /ERR_CLI_USAGE/)
  const noServer = await cli('webhook-config')
  t.equal(noServer.code, 2)
  t.match(noServer.err, /--server/)
  t.equal((await cli('kind', '--batch-max-wait', 'soon')).code, 2)
  t.equal((await cli('webhook-config', '--server', 'https://h', '--ca', '/nonexistent/ca.pem')).code, 2)
  t.equal((await cli('audit-policy', '--bogus')).code, 2)
})

t.test('webhook-config reads the PEM and token files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-setup-cli-'))
  writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n')
  writeFileSync(join(dir, 'token'), 'abc123\n')
  const r = await cli('webhook-config', '--server', 'https://node1:30007/k8s-audit', '--ca', join(dir, 'ca.pem'), '--token-file', join(dir, 'token'))
  t.equal(r.code, 0, r.err)
  const kc = parse(r.out)
  t.equal(kc.clusters[0].cluster.server, 'https://node1:30007/k8s-audit')
  t.ok(kc.clusters[0].cluster['certificate-authority-data'])
  t.equal(kc.users[0].user.token, 'abc123')
})

t.test('recipes default to the NodePort on the node itself, over TLS with the set lanner setup tls made', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-setup-cli-'))
  const cwd = process.cwd()
  process.chdir(dir)
  t.teardown(() => { process.chdir(cwd) })
  const none = await cli('kops')
  t.equal(none.code, 2, 'no credentials yet: refused rather than an unauthenticated config')
  t.match(none.err, /lanner setup tls/)
  t.equal((await cli('tls')).code, 0, 'writes ./lanner-tls')
  const r = await cli('kops')
  t.equal(r.code, 0, r.err)
  const spec = parse(r.out).spec
  const kc = parse(spec.fileAssets[1].content)
  t.equal(kc.clusters[0].cluster.server, SETUP.defaultServer)
  t.ok(kc.clusters[0].cluster['certificate-authority-data'] && kc.users[0].user['client-certificate-data'], 'trusts the CA and presents the client certificate')
  t.equal(spec.kubeAPIServer.auditWebhookBatchMaxWait, SETUP.batchMaxWait)
  const custom = parse((await cli('kops', '--batch-max-wait', '1s')).out).spec
  t.equal(custom.kubeAPIServer.auditWebhookBatchMaxWait, '1s')
})

t.test('combinations client-go refuses, or that leak, are refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-setup-cli-'))
  writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n')
  writeFileSync(join(dir, 'token'), 'abc123\n')
  const ca = join(dir, 'ca.pem')
  for (const [args, msg] of [
    [['webhook-config', '--server', 'https://h:30007/k8s-audit', '--ca', ca, '--insecure-skip-tls-verify'], /--ca and --insecure-skip-tls-verify exclude each other/],
    [['kops', '--server', 'https://h:30007/k8s-audit', '--ca', ca, '--insecure-skip-tls-verify'], /--ca and --insecure-skip-tls-verify exclude each other/],
    [['webhook-config', '--server', 'http://h:30007/k8s-audit', '--insecure-skip-tls-verify'], /http:\/\/ server means nothing/],
    [['kops', '--server', 'http://h:30007/k8s-audit', '--insecure-skip-tls-verify'], /http:\/\/ server means nothing/],
    [['webhook-config', '--server', 'http://h:30007/k8s-audit', '--token-file', join(dir, 'token')], /bearer token over http:\/\/ travels in clear/]
  ] as const) {
    const r = await cli(...args)
    t.equal(r.code, 2, args.join(' '))
    t.match(r.err, msg)
    t.equal(r.out, '', 'nothing written')
  }
})

t.test('a real `lanner setup audit-policy` process prints the policy', async (t) => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'setup', 'audit-policy'], { cwd: root, encoding: 'utf8' })
  t.same(parse(out), auditPolicy())
})
