// kOps: a cluster-spec fragment that places the audit policy and webhook config on control-plane
// nodes (fileAssets) and points kube-apiserver at them (kubeAPIServer.*).
import { Document } from 'yaml'
import { SETUP } from './constants.ts'

export interface RecipeFiles {
  policyYaml: string
  webhookYaml: string
  /** --audit-webhook-batch-max-wait */
  batchMaxWait?: string
  /** commands to run once the cluster is up (the scripts' header); default: the audit overlay */
  afterwards?: readonly string[]
}

/** The scripts' header lines saying what to run next. */
export function afterwardsComment (files: RecipeFiles): string[] {
  const steps = files.afterwards ?? ['kubectl apply -k manifests/overlays/audit']
  return ['# Afterwards:', ...steps.map((s) => `#   ${s}`)]
}

export function kopsSpec (files: RecipeFiles): Record<string, unknown> {
  const policyPath = `${SETUP.kopsDir}/${SETUP.policyFileName}`
  const webhookPath = `${SETUP.kopsDir}/${SETUP.webhookFileName}`
  return {
    spec: {
      fileAssets: [
        { name: 'lanner-audit-policy', path: policyPath, roles: ['ControlPlane'], content: files.policyYaml },
        { name: 'lanner-audit-webhook', path: webhookPath, roles: ['ControlPlane'], content: files.webhookYaml }
      ],
      kubeAPIServer: {
        auditPolicyFile: policyPath,
        auditWebhookConfigFile: webhookPath,
        auditWebhookBatchMaxWait: files.batchMaxWait ?? SETUP.batchMaxWait
      }
    }
  }
}

export function renderKops (files: RecipeFiles): string {
  const doc = new Document(kopsSpec(files))
  doc.commentBefore = ' Merge into your kOps cluster spec (kops edit cluster NAME), then:\n' +
    '   kops update cluster NAME --yes && kops rolling-update cluster NAME --instance-group-roles=control-plane --yes\n' +
    ` kOps mounts the directory of auditPolicyFile (${SETUP.kopsDir}) into kube-apiserver; both files live there.`
  return doc.toString({ lineWidth: 0 })
}
