// The kind and minikube scripts write the webhook kubeconfig, which holds kube-apiserver's client
// key (or token): it must be owner-only from its creation, not world-readable until a later
// chmod (another user could read it in between). Checked with a `chmod` stand-in that does
// nothing, so only the mode the file was created with counts.
import t from 'tap'
import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { renderAuditPolicy } from '../../src/setup/audit-policy.ts'
import { renderWebhookConfig } from '../../src/setup/webhook-config.ts'
import { renderKind } from '../../src/setup/kind.ts'
import { renderMinikube } from '../../src/setup/minikube.ts'
import { SETUP } from '../../src/setup/constants.ts'

const files = {
  policyYaml: renderAuditPolicy(),
  webhookYaml: renderWebhookConfig({ server: 'https://lanner.example:30007/k8s-audit', token: 'tok' }),
  batchMaxWait: '5s'
}

/** stand-ins: `name` (the cluster tool, does nothing) and a `chmod` that changes nothing */
function fakeBin (name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `lanner-modes-${name}-`))
  for (const b of [name, 'chmod']) {
    writeFileSync(join(dir, b), '#!/bin/sh\nexit 0\n')
    chmodSync(join(dir, b), 0o755)
  }
  return dir
}

const umask = process.umask(0o022)
t.teardown(() => { process.umask(umask) })

t.test('kind: the webhook kubeconfig is owner-only when written', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'lanner-kind-modes-'))
  const auditDir = join(work, 'audit')
  mkdirSync(auditDir)
  const script = join(work, 'setup.sh')
  writeFileSync(script, renderKind(files))
  execFileSync('sh', [script], { cwd: work, env: { PATH: `${fakeBin('kind')}:/usr/bin:/bin`, HOME: work, LANNER_AUDIT_DIR: auditDir } })
  t.equal(statSync(join(auditDir, SETUP.webhookFileName)).mode & 0o077, 0, 'no access for group or others')
})

t.test('minikube: the webhook kubeconfig is owner-only when written', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'lanner-mk-modes-'))
  const script = join(home, 'setup.sh')
  writeFileSync(script, renderMinikube(files))
  execFileSync('sh', [script], { cwd: home, env: { PATH: `${fakeBin('minikube')}:/usr/bin:/bin`, HOME: home } })
  const synced = join(home, '.minikube', 'files', SETUP.minikubeDir.slice(1))
  t.equal(statSync(join(synced, SETUP.webhookFileName)).mode & 0o077, 0, 'no access for group or others')
})
