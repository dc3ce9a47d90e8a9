// Names and numbers the cluster recipes and the manifests share. Ports and paths of the server
// itself come from src/config/defaults.ts; these are the deployment's own choices.
import { DEFAULTS } from '../config/index.ts'

export const SETUP = Object.freeze({
  /** the audit overlay's namespace (the syscall overlay has its own: installed and removed apart) */
  namespace: 'lanner',
  syscallNamespace: 'lanner-syscall',
  /** kustomize nameSuffix of the audit overlay: Service lanner-audit, Deployment lanner-audit */
  auditSuffix: '-audit',
  /** Service type NodePort for the webhook: reachable from the apiserver on every node */
  webhookNodePort: 30007,
  /** what the recipes point kube-apiserver at when no --server is given: TLS, as the default overlay serves */
  defaultServer: `https://127.0.0.1:30007${DEFAULTS.webhookPath}`,
  /** the Secret the default audit overlay mounts at /etc/lanner/tls (lanner setup tls writes it) */
  tlsSecretName: 'lanner-webhook-tls',
  /** where `lanner setup tls` writes, and where the recipes look, by default */
  tlsDir: 'lanner-tls',
  /** kOps' and Falco users' habit; the apiserver default (30s) delays alerts by up to half a minute */
  batchMaxWait: '5s',
  policyFileName: 'lanner-audit-policy.yaml',
  webhookFileName: 'lanner-audit-webhook.yaml',
  /** kOps mounts the directory of auditPolicyFile into kube-apiserver: keep both files in it */
  kopsDir: '/etc/kubernetes/audit',
  /** minikube copies ~/.minikube/files/<path> to /<path> in the node; kubeadm mounts /etc/ssl/certs */
  minikubeDir: '/etc/ssl/certs',
  /** inside the kind node container (extraMounts) and the kube-apiserver pod (extraVolumes) */
  kindDir: '/etc/kubernetes/lanner'
})
