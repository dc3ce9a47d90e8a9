// Audit webhook throughput on loopback: Lanner's fastify server with a trivial handleBody
// (JSON.parse + count) against a bare node:http server doing the same, measured in the same run.
// Run: node --import tsx bench/webhook-throughput.bench.ts [seconds per server, default 2]
import http from 'node:http'
import { createWebhookServer } from '../src/webhook/index.ts'

const SECONDS = Number(process.argv[2] ?? 2)
const CONCURRENCY = 4
const EVENTS_PER_BATCH = 400

function auditEvent (i: number): Record<string, unknown> {
  const ts = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString()
  return {
    // as a webhook item: no kind/apiVersion (only the list has them)
    level: 'Metadata', auditID: `id-${i}`, stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/pods/pod-${i}`, verb: 'get',
    user: { username: 'system:serviceaccount:kube-system:controller', groups: ['system:serviceaccounts', 'system:authenticated'] },
    sourceIPs: ['10.0.0.1'], userAgent: 'kube-controller-manager/v1.31.0',
    objectRef: { resource: 'pods', namespace: 'default', name: `pod-${i}`, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 }, requestReceivedTimestamp: ts, stageTimestamp: ts,
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC' }
  }
}

const BODY = Buffer.from(JSON.stringify({
  kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {},
  items: Array.from({ length: EVENTS_PER_BATCH }, (_, i) => auditEvent(i))
}) + '\n')

function countItems (body: Buffer): number {
  const doc = JSON.parse(body.toString('utf8')) as { items?: unknown[] }
  return doc.items?.length ?? 0
}

const silent = { child: () => silent, debug () {}, info () {}, warn () {}, error () {} }

async function startBare (): Promise<{ port: number, close(): Promise<void> }> {
  const server = http.createServer(function bareHandler (req, res) {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const n = countItems(Buffer.concat(chunks))
      const out = JSON.stringify({ accepted: n, rejected: 0 })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) })
      res.end(out)
    })
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}

async function drive (port: number): Promise<{ eventsPerSec: number, batchesPerSec: number, p99ms: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const deadline = process.hrtime.bigint() + BigInt(Math.round(SECONDS * 1e9))
  const latencies: number[] = []
  let batches = 0
  function post (): Promise<void> {
    return new Promise((resolve, reject) => {
      const start = process.hrtime.bigint()
      const req = http.request({ host: '127.0.0.1', port, path: '/k8s-audit', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': BODY.length } }, (res) => {
        res.resume()
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`))
          latencies.push(Number(process.hrtime.bigint() - start) / 1e6)
          batches++
          resolve()
        })
      })
      req.on('error', reject)
      req.end(BODY)
    })
  }
  const began = process.hrtime.bigint()
  async function worker (): Promise<void> {
    while (process.hrtime.bigint() < deadline) await post()
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const secs = Number(process.hrtime.bigint() - began) / 1e9
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return {
    eventsPerSec: (batches * EVENTS_PER_BATCH) / secs,
    batchesPerSec: batches / secs,
    p99ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0
  }
}

async function main (): Promise<void> {
  const lanner = await createWebhookServer({
    host: '127.0.0.1', port: 0, path: '/k8s-audit', maxBodyBytes: 64 * 1024 * 1024, maxInFlightBatches: 64, retryAfterSeconds: 1
  }, {
    logger: silent,
    async handleBody (body) { return { accepted: countItems(body), rejected: 0, issues: [] } }
  })
  const bare = await startBare()
  // warm both up, then measure each in turn
  await drive(lanner.port)
  await drive(bare.port)
  const a = await drive(lanner.port)
  const b = await drive(bare.port)
  await lanner.close()
  await bare.close()
  const row = (name: string, r: typeof a): string =>
    `${name.padEnd(26)} ${Math.round(r.eventsPerSec).toString().padStart(9)} events/s ${r.batchesPerSec.toFixed(1).padStart(8)} batches/s  p99 ${r.p99ms.toFixed(2)} ms`
  console.log(`EventList of ${EVENTS_PER_BATCH} events (${BODY.length} bytes), ${CONCURRENCY} connections, ${SECONDS} s each`)
  console.log(row('lanner webhook (fastify)', a))
  console.log(row('bare node:http + parse', b))
  console.log(`ratio lanner/bare: ${(a.eventsPerSec / b.eventsPerSec).toFixed(2)}  (apiserver ceiling at defaults: 4000 events/s per apiserver)`)
}

await main()
