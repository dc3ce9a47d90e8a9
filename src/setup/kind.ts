// kind: a script that writes the files into a host directory, a kind cluster config that mounts
// it into the control-plane node (extraMounts) and into kube-apiserver (kubeadm extraVolumes) with
// the audit flags (extraArgs), and creates the cluster.
import { stringify } from 'yaml'
import { SETUP } from './constants.ts'
import { afterwardsComment, type RecipeFiles } from './kops.ts'
import { writeFileSnippet, writePrivateFileSnippet } from './shell.ts'

/** The kubeadm ClusterConfiguration patch kind applies to the control plane. */
export function kindKubeadmPatch (batchMaxWait: string = SETUP.batchMaxWait): Record<string, unknown> {
  return {
    kind: 'ClusterConfiguration',
    apiServer: {
      extraArgs: {
        'audit-policy-file': `${SETUP.kindDir}/${SETUP.policyFileName}`,
        'audit-webhook-config-file': `${SETUP.kindDir}/${SETUP.webhookFileName}`,
        'audit-webhook-batch-max-wait': batchMaxWait
      },
      extraVolumes: [
        { name: 'lanner-audit', hostPath: SETUP.kindDir, mountPath: SETUP.kindDir, readOnly: true, pathType: 'Directory' }
      ]
    }
  }
}

/** The kind Cluster config; `hostDir` is the absolute host directory holding the two files. */
export function kindClusterConfig (hostDir: string, batchMaxWait?: string): Record<string, unknown> {
  return {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    nodes: [{
      role: 'control-plane',
      extraMounts: [{ hostPath: hostDir, containerPath: SETUP.kindDir, readOnly: true }],
      kubeadmConfigPatches: [stringify(kindKubeadmPatch(batchMaxWait))]
    }]
  }
}

const HOST_DIR_TOKEN = '/LANNER_HOST_DIR'

export function renderKind (files: RecipeFiles): string {
  // The config needs the absolute host path, known only when the script runs: write it with a
  // placeholder and substitute with sed, so the here-document itself stays unexpanded.
  const config = stringify(kindClusterConfig(HOST_DIR_TOKEN, files.batchMaxWait), { lineWidth: 0 })
  return [
    '#!/bin/sh',
    '# Creates a kind cluster with kube-apiserver sending audit events to Lanner (lanner setup kind).',
    '# Files go to $LANNER_AUDIT_DIR (default ./lanner-audit); extra arguments go to `kind create cluster`.',
    ...afterwardsComment(files),
    'set -eu',
    'dir="${LANNER_AUDIT_DIR:-$PWD/lanner-audit}"',
    'mkdir -p "$dir"',
    'dir="$(cd "$dir" && pwd)"',
    writeFileSnippet(`"$dir/${SETUP.policyFileName}"`, files.policyYaml).trimEnd(),
    writePrivateFileSnippet(`"$dir/${SETUP.webhookFileName}"`, files.webhookYaml).trimEnd(),
    `chmod 600 "$dir/${SETUP.webhookFileName}"`,
    writeFileSnippet('"$dir/kind-config.yaml.in"', config).trimEnd(),
    `sed "s|${HOST_DIR_TOKEN}|$dir|" "$dir/kind-config.yaml.in" > "$dir/kind-config.yaml"`,
    'rm -f "$dir/kind-config.yaml.in"',
    'exec kind create cluster --name "${KIND_CLUSTER_NAME:-lanner}" --config "$dir/kind-config.yaml" "$@"',
    ''
  ].join('\n')
}
