// Output side throughput, measured in one run: alert JSON formatting alone, then the dispatcher
// delivering to each channel kind (file keep_alive true/false, program keep_alive, HTTP loopback
// with keep-alive), and the audit batch handler (decode + default rules + dispatch) next to
// JSON.parse of the same body, and the same handler over two evaluation workers (on a busy 2-core
// machine the pool loses to the main thread, which is why lanner.eval_workers defaults to 0).
// Run: node --import tsx bench/outputs.bench.ts [alerts, default 20000]
import { createHash } from 'node:crypto'
import http from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import type { AddressInfo } from 'node:net'
import type { Alert } from '../src/events/index.ts'
import { formatAlertJson } from '../src/outputs/index.ts'
import { createDispatcher, createFileChannel, createHttpChannel, createProgramChannel, type OutputChannel } from '../src/outputs/index.ts'
import { loadConfig } from '../src/config/index.ts'
import { buildApp } from '../src/app/build.ts'
import { createAuditBatchHandler, createPooledAuditBatchHandler } from '../src/app/audit-mode/audit-handler.ts'
import { createEvalPool } from '../src/app/audit-mode/eval-pool.ts'
import { loadOptionsFrom } from '../src/app/rules/rules-manager.ts'
import { createLogger } from '../src/app/log/logger.ts'

const N = Number(process.argv[2] ?? 20000)
const silent = { child: () => silent, debug () {}, info () {}, warn () {}, error () {} }

function alert (i: number): Alert {
  return {
    time: 1767225600000000000n + BigInt(i), rule: 'Create Privileged Pod', priority: 4, source: 'k8s_audit', tags: ['k8s'], hostname: 'bench',
    message: `Pod started with privileged container (user=system:admin pod=nginx-${i} ns=default images=nginx:1.27)`,
    outputFields: { 'ka.user.name': 'system:admin', 'ka.resp.name': `nginx-${i}`, 'ka.target.namespace': 'default', 'ka.req.pod.containers.image': ['nginx:1.27'] }
  }
}
const ALERTS = Array.from({ length: N }, (_, i) => alert(i))
const format = (a: Alert): string => formatAlertJson(a)

function report (name: string, count: number, ns: bigint): void {
  const s = Number(ns) / 1e9
  console.log(`${name.padEnd(44)} ${String(Math.round(count / s)).padStart(10)} alerts/s  (${count} in ${s.toFixed(3)} s)`)
}

async function throughChannel (name: string, ch: OutputChannel): Promise<void> {
  let dropped = 0
  const d = createDispatcher({ channels: [ch], format, queueSize: N, logger: silent, hooks: { dropped: (_c, n) => { dropped += n } } })
  const t0 = process.hrtime.bigint()
  for (const a of ALERTS) d.emit(a)
  await d.flush(120_000)
  report(name, ALERTS.length - dropped, process.hrtime.bigint() - t0)
  await d.close(5000)
}

async function httpSink (): Promise<{ url: string, close(): void }> {
  const server = http.createServer(function benchSink (req, res) { req.resume(); req.on('end', () => res.end()) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => { server.closeAllConnections(); server.close() } }
}

async function batchHandler (): Promise<void> {
  const config = loadConfig({ overrides: ['stdout_output.enabled=false'] })
  const app = await buildApp(config, { logger: createLogger({ level: 'error', stderr: true }, new PassThrough()), defaultMetrics: false })
  await app.rules.load()
  const handle = createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })
  const ts = '2026-01-01T00:00:00.000000Z'
  const items = Array.from({ length: 400 }, (_, i) => ({
    // the webhook's real form: items carry no kind/apiVersion
    level: 'Metadata', auditID: `id-${i}`, stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/pods/p-${i}`, verb: i % 4 === 0 ? 'create' : 'get',
    user: { username: 'system:serviceaccount:kube-system:controller', groups: ['system:authenticated'] }, sourceIPs: ['10.0.0.1'],
    objectRef: { resource: 'pods', namespace: 'default', name: `p-${i}`, apiVersion: 'v1' }, responseStatus: { code: 200 },
    requestReceivedTimestamp: ts, stageTimestamp: ts
  }))
  const body = Buffer.from(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items }) + '\n')
  const batches = 100
  for (let i = 0; i < 10; i++) await handle(body)
  let t0 = process.hrtime.bigint()
  for (let i = 0; i < batches; i++) JSON.parse(body.toString('utf8'))
  const parseNs = process.hrtime.bigint() - t0
  t0 = process.hrtime.bigint()
  for (let i = 0; i < batches; i++) await handle(body)
  const handleNs = process.hrtime.bigint() - t0
  const perSec = (ns: bigint): number => Math.round(batches * 400 / (Number(ns) / 1e9))
  console.log(`${'JSON.parse of a 400-event EventList'.padEnd(44)} ${String(perSec(parseNs)).padStart(10)} events/s`)
  console.log(`${'batch handler (decode + default rules)'.padEnd(44)} ${String(perSec(handleNs)).padStart(10)} events/s  (${(Number(handleNs) / 1e6 / batches).toFixed(2)} ms per batch)`)
  // what serve adds in front of it: the duplicate filter's one SHA-1 per batch (duplicate-batches.ts)
  t0 = process.hrtime.bigint()
  for (let i = 0; i < batches; i++) createHash('sha1').update(body).digest('base64')
  const digestNs = process.hrtime.bigint() - t0
  console.log(`${'duplicate filter digest (SHA-1 per batch)'.padEnd(44)} ${String(perSec(digestNs)).padStart(10)} events/s  (${(Number(digestNs) / 1e6 / batches).toFixed(3)} ms per batch of ${body.length} bytes)`)
  // the same through two evaluation workers, four batches in flight (as concurrent webhook requests)
  const { sources: _s, ...loadOptions } = loadOptionsFrom(config, app.sources)
  const pool = createEvalPool(2, { userFields: [], loadOptions, maxEventBytes: config.webhook.maxEventBytes }, app.logger)
  await pool.setRules(app.rules.inputs() ?? [])
  const pooled = createPooledAuditBatchHandler({ pool, emit: app.emit, metrics: app.metrics })
  for (let i = 0; i < 10; i++) await pooled(body)
  t0 = process.hrtime.bigint()
  for (let i = 0; i < batches; i += 4) await Promise.all([pooled(body), pooled(body), pooled(body), pooled(body)])
  const poolNs = process.hrtime.bigint() - t0
  console.log(`${'batch handler, 2 eval workers, 4 in flight'.padEnd(44)} ${String(perSec(poolNs)).padStart(10)} events/s`)
  await pool.close()
  await app.dispatcher.close(1000)
}

const dir = mkdtempSync(path.join(tmpdir(), 'lanner-bench-'))
try {
  const t0 = process.hrtime.bigint()
  for (const a of ALERTS) format(a)
  report('formatAlertJson only', N, process.hrtime.bigint() - t0)
  await throughChannel('file, keep_alive: true', createFileChannel({ filename: path.join(dir, 'a.log'), keepAlive: true }))
  await throughChannel('file, keep_alive: false', createFileChannel({ filename: path.join(dir, 'b.log'), keepAlive: false }))
  await throughChannel('program "cat > /dev/null", keep_alive: true', createProgramChannel({ program: 'cat > /dev/null', keepAlive: true }))
  const sink = await httpSink()
  const httpN = Math.min(N, 5000)
  ALERTS.length = httpN
  await throughChannel('http loopback, keep_alive: true', createHttpChannel({ url: sink.url, userAgent: 'bench', insecure: false, mtls: false, compressUploads: false, keepAlive: true, timeoutMs: 5000, retries: 0, contentType: 'application/json' }))
  sink.close()
  await batchHandler()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
