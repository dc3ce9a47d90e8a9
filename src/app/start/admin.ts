// The admin server (Falco's `webserver`): health, readiness (rules loaded, source ready, not stopping) and metrics, at the
// configured paths; not started at all with webserver.enabled: false.
import { createAdminServer, type AdminOptions, type AdminServer } from '../../webhook/index.ts'
import type { App } from '../build.ts'
import { readTls } from './tls-files.ts'
import { versionInfo } from '../version.ts'

export interface AdminState {
  /** true once shutdown has begun: /readyz answers 503 so the Service stops routing here */
  stopping?: () => boolean
  /** the source's own readiness (syscall mode: the probe attached and delivering records) */
  sourceReady?: () => boolean
}

export async function startAdmin (app: App, state: AdminState = {}): Promise<AdminServer | undefined> {
  const cfg = app.config.admin
  if (!cfg.enabled) {
    app.logger.info({}, 'admin server disabled (webserver.enabled: false): no health, readiness or metrics endpoints')
    return undefined
  }
  const opts: AdminOptions = {
    host: cfg.host,
    port: cfg.port,
    healthzPath: cfg.healthzPath,
    readyzPath: cfg.readyzPath,
    metricsPath: cfg.metricsEnabled ? cfg.metricsPath : undefined
  }
  if (cfg.tls !== undefined) opts.tls = readTls(cfg.tls, 'webserver.ssl_certificate')
  const metrics = app.metrics
  return await createAdminServer(opts, {
    isReady: function rulesLoadedAndServing () { return app.rules.current() !== undefined && state.stopping?.() !== true && state.sourceReady?.() !== false },
    metricsText: async function metricsText () { return await metrics.text() },
    metricsContentType: metrics.contentType,
    logger: app.logger,
    version: versionInfo()
  })
}
