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

t.test('recipes default to the NodePort on the node itself', async (t) => {
  const r = await cli('kops')
  t.equal(r.code, 0, r.err)
  const spec = parse(r.out).spec
  t.equal(parse(spec.fileAssets[1].content).clusters[0].cluster.server, SETUP.defaultServer)
  t.equal(spec.kubeAPIServer.auditWebhookBatchMaxWait, SETUP.batchMaxWait)
  const custom = parse((await cli('kops', '--batch-max-wait', '1s')).out).spec
  t.equal(custom.kubeAPIServer.auditWebhookBatchMaxWait, '1s')
})

t.test('a real `lanner setup audit-policy` process prints the policy', async (t) => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'setup', 'audit-policy'], { cwd: root, encoding: 'utf8' })
  t.same(parse(out), auditPolicy())
})
