// The admin server on its own port: liveness, readiness (rules loaded) and Prometheus metrics, at
// the paths the caller gives. Kept apart from the webhook so probes never queue behind audit batches.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { buildFastify, listenOn } from './listen.ts'
import { errorBody } from './replies.ts'
import type { AdminDeps, AdminOptions } from './types.ts'

export interface AdminServer {
  port: number
  close(): Promise<void>
}

const TEXT = 'text/plain; charset=utf-8'
const VERSION_PATH = '/version'

export async function createAdminServer (opts: AdminOptions, deps: AdminDeps): Promise<AdminServer> {
  const log = deps.logger?.child({ module: 'admin' })
  const app = buildFastify({ logger: false }, opts.tls)

  async function adminHealthz (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const live = deps.isLive === undefined || deps.isLive()
    return reply.code(live ? 200 : 503).type(TEXT).send(live ? 'ok\n' : 'not live\n')
  }

  async function adminReadyz (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const ready = deps.isReady()
    return reply.code(ready ? 200 : 503).type(TEXT).send(ready ? 'ok\n' : 'not ready: rules not loaded\n')
  }

  async function adminMetrics (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    try {
      const text = await deps.metricsText()
      return reply.code(200).type(deps.metricsContentType).send(text)
    } catch (err) {
      log?.error({ err }, 'collecting metrics failed')
      return reply.code(500).type('application/json; charset=utf-8').send(errorBody(500, 'ERR_ADMIN_METRICS', 'collecting metrics failed'))
    }
  }

  async function adminVersion (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(deps.version) + '\n')
  }

  const served = [opts.healthzPath, opts.readyzPath]
  if (opts.metricsPath !== undefined) served.push(opts.metricsPath)
  if (deps.version !== undefined) served.push(VERSION_PATH)
  const tryPaths = served.join(', ')

  async function adminNotFound (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    return reply.code(404).type('application/json; charset=utf-8')
      .send(errorBody(404, 'ERR_WEBHOOK_NOT_FOUND', `nothing at ${request.method} ${request.url}; try ${tryPaths}`))
  }

  app.get(opts.healthzPath, adminHealthz)
  app.get(opts.readyzPath, adminReadyz)
  // metrics turned off: the path is simply not served, so scrapers see 404 like any unknown path
  if (opts.metricsPath !== undefined) app.get(opts.metricsPath, adminMetrics)
  if (deps.version !== undefined) app.get(VERSION_PATH, adminVersion)
  app.setNotFoundHandler(adminNotFound)

  let port: number
  try {
    port = await listenOn(app, opts.host, opts.port)
  } catch (err) {
    await app.close()
    throw err
  }
  log?.info({ port, paths: served }, `admin server listening (${tryPaths})`)

  return {
    port,
    async close () { await app.close() }
  }
}
