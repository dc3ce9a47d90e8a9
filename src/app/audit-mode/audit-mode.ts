// Audit mode: the k8s audit webhook and the admin server over an App whose rules are loaded.
import { createWebhookServer, type AdminServer, type WebhookOptions, type WebhookServer } from '../../webhook/index.ts'
import { createAuditBatchHandler, createPooledAuditBatchHandler } from './audit-handler.ts'
import { createTruncationReporter } from './audit-truncation.ts'
import { createDuplicateBatchFilter } from './duplicate-batches.ts'
import { createUnusableReporter } from './unusable-batches.ts'
import { DEFAULTS } from '../../config/index.ts'
import { createEvalPool, type EvalPool } from './eval-pool.ts'
import type { WorkerSettings } from './eval-protocol.ts'
import type { LoadOptions } from '../../rules/index.ts'
import { K8S_AUDIT_SOURCE } from '../../audit/index.ts'
import { loadOptionsFrom } from '../rules/rules-manager.ts'
import type { App } from '../build.ts'
import { startAdmin } from '../start/admin.ts'
import { refusalOf, webhookPreflight } from '../start/webhook-preflight.ts'

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
    maxInFlightBytes: wh.maxInflightBytes,
    maxBodyValues: wh.maxBodyValues,
    minUploadBytesPerSecond: wh.minUploadBytesPerSecond,
    retryAfterSeconds: wh.retryAfterSeconds
  }
  const preflight = webhookPreflight(app.config)
  const refusal = refusalOf(preflight.findings)
  if (refusal !== undefined) throw refusal
  for (const f of preflight.findings) app.logger.warn({ code: f.code, key: f.key }, f.message)
  if (preflight.tls !== undefined) opts.tls = preflight.tls
  if (preflight.bearerToken !== undefined) opts.bearerToken = preflight.bearerToken
  if (preflight.basicAuth !== undefined) opts.basicAuth = preflight.basicAuth
  const pool = await startPool(app)
  const truncation = createTruncationReporter({ intervalMs: DEFAULTS.truncationReportIntervalMs, metrics: app.metrics, logger: app.logger, emit: app.emit })
  const evaluateBatch = pool === undefined
    ? createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: wh.maxEventBytes, truncation })
    : createPooledAuditBatchHandler({ pool, emit: app.emit, metrics: app.metrics, truncation })
  // a retry of a batch already evaluated (our 200 lost to the apiserver's timeout) is not evaluated twice
  const handleBody = createDuplicateBatchFilter({ metrics: app.metrics })(evaluateBatch)
  const unusable = createUnusableReporter({ intervalMs: DEFAULTS.truncationReportIntervalMs, metrics: app.metrics, logger: app.logger, emit: app.emit })
  let admin: AdminServer | undefined
  let webhook: WebhookServer
  let stopping = false
  try {
    admin = await startAdmin(app, { stopping: () => stopping })
    webhook = await createWebhookServer(opts, { logger: app.logger, handleBody, metrics: app.metrics.webhook, onUnusableBatch: unusable.record })
  } catch (err) {
    await admin?.close()
    await pool?.close()
    throw err
  }
  app.logger.info({ port: webhook.port, path: wh.path, tls: opts.tls !== undefined, rules: app.rules.paths, evalWorkers: pool?.size ?? 0 }, 'audit webhook listening')
  return {
    port: webhook.port,
    adminPort: admin?.port,
    async stop () {
      stopping = true
      await webhook.close()
      await pool?.close()
      // the last window's log line and alert, before the outputs drain
      truncation.close()
      unusable.close()
      await admin?.close()
    }
  }
}

/** What a worker compiles with for these load options: the options minus the sources (a worker
 *  builds its own audit table) and the static fields that table was wrapped with. */
function workerSettingsOf (opts: LoadOptions): WorkerSettings {
  const { sources, ...loadOptions } = opts
  const audit = sources.find(function isAudit (s) { return s.name === K8S_AUDIT_SOURCE })
  return { loadOptions, staticFields: { ...(audit?.fields.staticValues ?? {}) } }
}

/** Evaluation workers (lanner.eval_workers > 0), holding the current rules before any batch. */
async function startPool (app: App): Promise<EvalPool | undefined> {
  const n = app.config.evalWorkers
  if (n === 0) return undefined
  const { loadOptions, staticFields } = workerSettingsOf(loadOptionsFrom(app.config, app.sources))
  const pool = createEvalPool(n, { userFields: app.config.userFields, staticFields, loadOptions, maxEventBytes: app.config.webhook.maxEventBytes }, app.logger)
  try {
    const inputs = app.rules.inputs()
    if (inputs !== undefined) await pool.setRules(inputs)
  } catch (err) {
    await pool.close()
    throw err
  }
  // each ruleset goes to the workers with the settings it was validated with, so a live config
  // reload (priority, rule selection, append_output, static_fields) reaches them too
  app.rules.onInstall(async function rulesToWorkers (inputs, opts) { await pool.setRules(inputs, workerSettingsOf(opts)) })
  return pool
}
