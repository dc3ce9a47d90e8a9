// Shared by the webhook and admin servers: fastify construction over http or https, listening on
// Falco's "empty host = all interfaces", and the port actually bound (0 = ephemeral in tests).
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { AppError } from '../errors/index.ts'
import { buildHttpsOptions } from './tls.ts'
import type { WebhookTlsOptions } from './types.ts'

// fastify's default requestTimeout is 0 (none): node's 60 s headersTimeout still bounds the headers,
// but a client trickling a body byte by byte would then hold its socket forever.
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

/** node http(s) server settings fastify has no option for (passed to createServer) */
export interface NodeServerOptions {
  /**
   * how often node enforces headersTimeout and requestTimeout on open connections (node's
   * default 30 s lets a slow client hold its socket up to 30 s past either timeout)
   */
  connectionsCheckingInterval?: number
}

export function buildFastify (options: FastifyServerOptions, tls: WebhookTlsOptions | undefined, server: NodeServerOptions = {}): FastifyInstance {
  const base: FastifyServerOptions = { ...options, requestTimeout: options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS }
  if (tls === undefined) return withNoSniff(Fastify({ ...base, http: server } as FastifyServerOptions))
  const https = { ...buildHttpsOptions(tls), ...server }
  try {
    // The https and http instances differ only in their server type parameter, which nothing here uses.
    return withNoSniff(Fastify({ ...base, https } as FastifyServerOptions) as unknown as FastifyInstance)
  } catch (err) {
    // node checks that key and cert match while building the secure context
    throw new AppError('ERR_WEBHOOK_TLS', `TLS setup failed: ${(err as Error).message}`, { cause: err })
  }
}

// Error bodies quote the request's method and path (JSON-escaped); nosniff keeps a browser from
// ever rendering such an answer as HTML.
function withNoSniff (app: FastifyInstance): FastifyInstance {
  app.addHook('onRequest', async function setNoSniff (_request, reply) {
    reply.header('x-content-type-options', 'nosniff')
  })
  return app
}

function isAnyHost (host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::'
}

/** Listens and returns the bound port. '' means every interface, IPv6 too when the host has it. */
export async function listenOn (app: FastifyInstance, host: string, port: number): Promise<number> {
  if (isAnyHost(host) && host !== '0.0.0.0') {
    try {
      await app.listen({ host: '::', port })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw err
      await app.listen({ host: '0.0.0.0', port })
    }
  } else {
    await app.listen({ host, port })
  }
  const addr = app.server.address()
  // an object for any TCP listener (a string only for a pipe path, which Lanner never listens on)
  return typeof addr === 'object' && addr !== null ? addr.port : port
}
