// A loopback stand-in for falcosidekick's main handler (POST /), reproducing what it accepts:
// falcosidekick decodes the body into types.FalcoPayload and answers 400 "Please send a valid
// request body" unless FalcoPayload.Check() holds: a known priority (emergency … debug, any case;
// anything else decodes to the empty priority), a non-empty rule, a non-zero RFC 3339 time, and
// non-empty output_fields. Valid payloads are answered 200 with an empty body. Bodies are recorded.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

const PRIORITIES = new Set(['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'informationnal', 'debug'])

export interface SidekickPost { body: string, contentType: string | undefined, accepted: boolean, payload?: Record<string, unknown> }

/** FalcoPayload.Check() on a JSON body: the reason it fails, or undefined when falcosidekick accepts it. */
export function sidekickRejects (body: string): string | undefined {
  let p: Record<string, unknown>
  try { p = JSON.parse(body) as Record<string, unknown> } catch { return 'not JSON' }
  if (p === null || typeof p !== 'object') return 'not an object'
  if (typeof p.priority !== 'string' || !PRIORITIES.has(p.priority.toLowerCase())) return 'priority'
  if (typeof p.rule !== 'string' || p.rule === '') return 'rule'
  if (typeof p.time !== 'string' || Number.isNaN(Date.parse(p.time)) || Date.parse(p.time) === Date.parse('0001-01-01T00:00:00Z')) return 'time'
  const of = p.output_fields
  if (of === null || typeof of !== 'object' || Object.keys(of).length === 0) return 'output_fields'
  return undefined
}

export async function startFalcosidekick (t: { teardown(fn: () => void): void }): Promise<{ url: string, posts: SidekickPost[] }> {
  const posts: SidekickPost[] = []
  const server = http.createServer(function falcosidekickMain (req, res) {
    const chunks: Buffer[] = []
    req.on('data', (b: Buffer) => chunks.push(b))
    req.on('end', function judge () {
      const body = Buffer.concat(chunks).toString('utf8')
      const why = sidekickRejects(body)
      posts.push({ body, contentType: req.headers['content-type'], accepted: why === undefined, ...(why === undefined ? { payload: JSON.parse(body) } : {}) })
      if (why !== undefined) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' })
        res.end('Please send a valid request body\n')
        return
      }
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, posts }
}
