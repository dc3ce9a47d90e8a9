// Public surface of setup/, what `lanner setup` writes for a cluster: the TLS bundle and its
// Secret, the audit policy, the apiserver's webhook kubeconfig, and the kOps/minikube/kind recipes.
export { SETUP } from './constants.ts'
export { auditPolicy, renderAuditPolicy, type AuditLevel, type AuditPolicy, type AuditStage, type PolicyRule } from './audit-policy.ts'
export { levelFor, validatePolicy, type RequestAttrs } from './audit-policy-match.ts'
export {
  BUNDLE_FILES, createTlsBundle, readBundleCredentials, renderTlsSecret, type TlsBundle, type TlsBundleOptions
} from './tls-bundle.ts'
export { renderWebhookConfig, webhookKubeconfig, webhookServerUrl, type WebhookConfigOptions } from './webhook-config.ts'
export { renderKops, type RecipeFiles } from './kops.ts'
export { renderMinikube } from './minikube.ts'
export { renderKind } from './kind.ts'
