// kOps, minikube and kind recipes: the spec fragment parses and points at the files it ships; the
// scripts really run (with stand-in `minikube` and `kind` commands) and leave the files and flags
// kube-apiserver needs.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync, chmodSync, existsSync, statSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { renderAuditPolicy, auditPolicy } from '../../src/setup/audit-policy.ts'
import { renderWebhookConfig } from '../../src/setup/webhook-config.ts'
import { renderKops } from '../../src/setup/kops.ts'
import { renderMinikube } from '../../src/setup/minikube.ts'
import { renderKind } from '../../src/setup/kind.ts'
import { SETUP } from '../../src/setup/constants.ts'

const files = {
  policyYaml: renderAuditPolicy(),
  webhookYaml: renderWebhookConfig({ server: 'https://lanner.example:30007/k8s-audit', token: 'tok' }),
  batchMaxWait: '5s'
}

/** A directory with a stand-in for `name` that records its arguments and checks it was exec'd last. */
function fakeBin (name: string): { dir: string, argsFile: string } {
  const dir = mkdtempSync(join(tmpdir(), `lanner-fake-${name}-`))
  const argsFile = join(dir, 'args')
  writeFileSync(join(dir, name), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${argsFile}"\n`)
  chmodSync(join(dir, name), 0o755)
  return { dir, argsFile }
}

t.test('kops: fileAssets on control-plane nodes and kubeAPIServer fields that point at them', async (t) => {
  const spec = parse(renderKops(files)).spec
  const [policy, webhook] = spec.fileAssets
  t.same(policy.roles, ['ControlPlane'])
  t.same(webhook.roles, ['ControlPlane'])
  t.same(parse(policy.content), auditPolicy(), 'the policy content is the recommended policy')
  t.equal(parse(webhook.content).clusters[0].cluster.server, 'https://lanner.example:30007/k8s-audit')
  t.equal(spec.kubeAPIServer.auditPolicyFile, policy.path)
  t.equal(spec.kubeAPIServer.auditWebhookConfigFile, webhook.path)
  t.equal(spec.kubeAPIServer.auditWebhookBatchMaxWait, '5s')
  t.ok(webhook.path.startsWith(SETUP.kopsDir + '/') && policy.path.startsWith(SETUP.kopsDir + '/'), 'both in the directory kOps mounts')
})

t.test('minikube: files synced into the node, start flags point at their in-node paths', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'lanner-home-'))
  const bin = fakeBin('minikube')
  const script = join(home, 'setup.sh')
  writeFileSync(script, renderMinikube(files))
  execFileSync('sh', [script, '-p', 'audit', '--driver=docker'], { env: { PATH: `${bin.dir}:/usr/bin:/bin`, HOME: home } })

  const synced = join(home, '.minikube', 'files', SETUP.minikubeDir.slice(1))
  t.same(parse(readFileSync(join(synced, SETUP.policyFileName), 'utf8')), auditPolicy())
  t.equal(readFileSync(join(synced, SETUP.webhookFileName), 'utf8'), files.webhookYaml, 'written byte for byte')
  t.equal(statSync(join(synced, SETUP.webhookFileName)).mode & 0o777, 0o600, 'the webhook config may hold credentials')
  const args = readFileSync(bin.argsFile, 'utf8').trim().split('\n')
  t.same(args, [
    'start',
    `--extra-config=apiserver.audit-policy-file=${SETUP.minikubeDir}/${SETUP.policyFileName}`,
    `--extra-config=apiserver.audit-webhook-config-file=${SETUP.minikubeDir}/${SETUP.webhookFileName}`,
    '--extra-config=apiserver.audit-webhook-batch-max-wait=5s',
    '-p', 'audit', '--driver=docker'
  ])
})

t.test('minikube: MINIKUBE_HOME names the .minikube directory or its parent, as minikube reads it', async (t) => {
  for (const form of ['parent', '.minikube'] as const) {
    const base = mkdtempSync(join(tmpdir(), 'lanner-mkhome-'))
    const mkHome = form === 'parent' ? base : join(base, '.minikube')
    const bin = fakeBin('minikube')
    const script = join(base, 'setup.sh')
    writeFileSync(script, renderMinikube(files))
    execFileSync('sh', [script], { env: { PATH: `${bin.dir}:/usr/bin:/bin`, HOME: '/nonexistent', MINIKUBE_HOME: mkHome } })
    t.ok(existsSync(join(base, '.minikube', 'files', SETUP.minikubeDir.slice(1), SETUP.policyFileName)), `MINIKUBE_HOME=${form}`)
  }
})

t.test('kind: extraMounts bring the host directory into the node, kubeadm patch into kube-apiserver', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'lanner-kind-'))
  const auditDir = join(work, 'audit files')
  mkdirSync(auditDir)
  const bin = fakeBin('kind')
  const script = join(work, 'setup.sh')
  writeFileSync(script, renderKind(files))
  execFileSync('sh', [script, '--wait', '60s'], { cwd: work, env: { PATH: `${bin.dir}:/usr/bin:/bin`, HOME: work, LANNER_AUDIT_DIR: auditDir } })

  const args = readFileSync(bin.argsFile, 'utf8').trim().split('\n')
  t.same(args, ['create', 'cluster', '--name', 'lanner', '--config', join(auditDir, 'kind-config.yaml'), '--wait', '60s'])
  const config = parse(readFileSync(join(auditDir, 'kind-config.yaml'), 'utf8'))
  t.equal(config.kind, 'Cluster')
  t.equal(config.apiVersion, 'kind.x-k8s.io/v1alpha4')
  const node = config.nodes[0]
  t.equal(node.role, 'control-plane')
  t.same(node.extraMounts, [{ hostPath: auditDir, containerPath: SETUP.kindDir, readOnly: true }], 'absolute host path, spaces kept')
  const patch = parse(node.kubeadmConfigPatches[0])
  t.equal(patch.kind, 'ClusterConfiguration')
  t.same(patch.apiServer.extraArgs, {
    'audit-policy-file': `${SETUP.kindDir}/${SETUP.policyFileName}`,
    'audit-webhook-config-file': `${SETUP.kindDir}/${SETUP.webhookFileName}`,
    'audit-webhook-batch-max-wait': '5s'
  })
  t.match(patch.apiServer.extraVolumes, [{ hostPath: SETUP.kindDir, mountPath: SETUP.kindDir, readOnly: true }])
  t.same(parse(readFileSync(join(auditDir, SETUP.policyFileName), 'utf8')), auditPolicy())
  t.equal(readFileSync(join(auditDir, SETUP.webhookFileName), 'utf8'), files.webhookYaml)
  t.notOk(existsSync(join(auditDir, 'kind-config.yaml.in')), 'no template left behind')
})
