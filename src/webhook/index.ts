// Public surface of the webhook module: the audit webhook server and the admin server.
export { createWebhookServer, NOOP_WEBHOOK_METRICS, type WebhookServer } from './webhook-server.ts'
export { createAdminServer, type AdminServer } from './admin-server.ts'
export { buildHttpsOptions, splitPem, type HttpsServerOptions } from './tls.ts'
export type {
  AdminDeps, AdminOptions, BodyIssue, HandleBodyResult, UnusableBatch, WebhookDeps, WebhookMetrics,
  WebhookOptions, WebhookTlsOptions
} from './types.ts'
