// Audit mode: the k8s audit webhook and the admin server over an App whose rules are loaded.
import { createWebhookServer, type AdminServer, type WebhookOptions, type WebhookServer } from '../webhook/index.ts'
import { createAuditBatchHandler } from './audit-handler.ts'
import type { App } from './build.ts'
import { startAdmin } from './admin.ts'
import { readTls, readToken } from './tls-files.ts'

export interface RunningMode {
  /** the webhook's bound port (audit mode) */
  port?: number
  adminPort?: number
  /** stop accepting, finish in-flight work, flush outputs */
  stop(): Promise<void>
}

export async function startAuditMode (app: App): Promise<RunningMode> {
  const wh = app.config.webhook
  const opts: WebhookOptions = {
    host: wh.host,
    port: wh.port,
    path: wh.path,
    maxBodyBytes: wh.maxBodyBytes,
    maxInFlightBatches: wh.maxInflightBatches,
    retryAfterSeconds: wh.retryAfterSeconds
  }
  if (wh.tls !== undefined) opts.tls = readTls(wh.tls, 'lanner.webhook.tls')
  if (wh.bearerTokenFile !== undefined) opts.bearerToken = readToken(wh.bearerTokenFile, 'lanner.webhook.bearer_token_file')
  const handleBody = createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: wh.maxEventBytes })
  const admin: AdminServer | undefined = await startAdmin(app)
  let webhook: WebhookServer
  try {
    webhook = await createWebhookServer(opts, { logger: app.logger, handleBody, metrics: app.metrics.webhook })
  } catch (err) {
    await admin?.close()
    throw err
  }
  app.logger.info({ port: webhook.port, path: wh.path, tls: opts.tls !== undefined, rules: app.rules.paths }, 'audit webhook listening')
  return {
    port: webhook.port,
    adminPort: admin?.port,
    async stop () {
      await webhook.close()
      await admin?.close()
    }
  }
}
