// The admin server (Falco's `webserver`): health, readiness (rules loaded) and metrics.
import { createAdminServer, type AdminOptions, type AdminServer } from '../webhook/index.ts'
import type { App } from './build.ts'
import { readTls } from './tls-files.ts'

export async function startAdmin (app: App): Promise<AdminServer | undefined> {
  const cfg = app.config.admin
  if (!cfg.enabled) return undefined
  const opts: AdminOptions = { host: cfg.host, port: cfg.port }
  if (cfg.tls !== undefined) opts.tls = readTls(cfg.tls, 'webserver.ssl_certificate')
  const metrics = app.metrics
  return await createAdminServer(opts, {
    isReady: function rulesLoaded () { return app.rules.current() !== undefined },
    metricsText: cfg.metricsEnabled ? async function metricsText () { return await metrics.text() } : async function noMetrics () { return '' },
    metricsContentType: metrics.contentType,
    logger: app.logger
  })
}
