// minikube: a script that puts the files where minikube syncs them into the node
// (~/.minikube/files/<path> → /<path>) and starts minikube with the apiserver audit flags.
// /etc/ssl/certs is chosen because kubeadm already mounts it into the kube-apiserver pod.
import { SETUP } from './constants.ts'
import { afterwardsComment, type RecipeFiles } from './kops.ts'
import { shQuote, writeFileSnippet, writePrivateFileSnippet } from './shell.ts'

export function minikubeStartArgs (batchMaxWait: string = SETUP.batchMaxWait): string[] {
  return [
    'start',
    `--extra-config=apiserver.audit-policy-file=${SETUP.minikubeDir}/${SETUP.policyFileName}`,
    `--extra-config=apiserver.audit-webhook-config-file=${SETUP.minikubeDir}/${SETUP.webhookFileName}`,
    `--extra-config=apiserver.audit-webhook-batch-max-wait=${batchMaxWait}`
  ]
}

export function renderMinikube (files: RecipeFiles): string {
  return [
    '#!/bin/sh',
    '# Starts minikube with kube-apiserver sending audit events to Lanner (lanner setup minikube).',
    '# Extra arguments are passed to `minikube start` (e.g. -p PROFILE, --driver=docker).',
    ...afterwardsComment(files),
    'set -eu',
    // minikube's own rule: MINIKUBE_HOME names the .minikube directory or the one that holds it
    'mk="${MINIKUBE_HOME:-$HOME}"',
    'case "$mk" in */.minikube) ;; *) mk="$mk/.minikube" ;; esac',
    `dir="$mk/files${SETUP.minikubeDir}"`,
    'mkdir -p "$dir"',
    writeFileSnippet(`"$dir/${SETUP.policyFileName}"`, files.policyYaml).trimEnd(),
    writePrivateFileSnippet(`"$dir/${SETUP.webhookFileName}"`, files.webhookYaml).trimEnd(),
    `chmod 600 "$dir/${SETUP.webhookFileName}"`,
    `exec minikube ${minikubeStartArgs(files.batchMaxWait).map(shQuote).join(' ')} "$@"`,
    ''
  ].join('\n')
}
