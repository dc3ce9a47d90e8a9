// Peak memory of a real `lanner serve` (audit mode, default rules) under a burst of the largest
// batches kube-apiserver sends without truncation: CLIENTS connections each posting ROUNDS
// EventLists of ~60 MiB (400 RequestResponse pod creations of ~150 KiB each), honouring 429 +
// Retry-After as client-go does. Reports the child's peak RSS (VmHWM) idle and after the burst,
// for the in-flight byte budget given (default: Lanner's default). Sizes the Deployment's memory limit.
// Run: node --import tsx bench/webhook-memory.bench.ts [clients=16] [rounds=2] [max_inflight_bytes]
import http from 'node:http'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const CLIENTS = Number(process.argv[2] ?? 16)
const ROUNDS = Number(process.argv[3] ?? 2)
const BUDGET = process.argv[4]
const ROOT = fileURLToPath(new URL('..', import.meta.url))
// the blob is in requestObject and responseObject: ~150 KiB per event, ~60 MiB per batch
const EVENT_BYTES = 75 * 1024
const EVENTS = 400

function bigPodEvent (i: number): Record<string, unknown> {
  const ts = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString().replace('Z', '000Z')
  const pod = {
    kind: 'Pod', apiVersion: 'v1',
    metadata: { name: `pod-${i}`, namespace: 'default', annotations: { 'example.com/blob': 'x'.repeat(EVENT_BYTES) } },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', securityContext: { privileged: false } }] }
  }
  return {
    level: 'RequestResponse', auditID: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods', verb: 'create',
    user: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:authenticated'] },
    sourceIPs: ['10.0.0.1'], userAgent: 'kube-controller-manager/v1.33.1',
    objectRef: { resource: 'pods', namespace: 'default', name: `pod-${i}`, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 }, requestObject: pod, responseObject: pod,
    requestReceivedTimestamp: ts, stageTimestamp: ts
  }
}

const BODY = Buffer.from('{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[' +
  Array.from({ length: EVENTS }, (_, i) => JSON.stringify(bigPodEvent(i))).join(',') + ']}\n')

function peakRss (pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) * 1024
}

function post (port: number): Promise<{ status: number, retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    let done = false
    const req = http.request({ host: '127.0.0.1', port, path: '/k8s-audit', method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': BODY.length } }, (res) => {
      res.resume()
      res.on('end', () => { done = true; resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }) })
    })
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (done) return
      // a 429 answered before the body was read closes the connection under our upload: a
      // refusal like the 429 itself (client-go retries it the same way)
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') { done = true; resolve({ status: 429 }) } else reject(err)
    })
    req.end(BODY)
  })
}

async function client (port: number, stats: { ok: number, throttled: number }): Promise<void> {
  for (let r = 0; r < ROUNDS;) {
    const a = await post(port)
    if (a.status === 200) { stats.ok++; r++; continue }
    if (a.status === 429 || a.status === 503) {
      stats.throttled++
      await new Promise((resolve) => setTimeout(resolve, 1000 * Number(a.retryAfter ?? 1)))
      continue
    }
    throw new Error(`unexpected status ${a.status}`)
  }
}

const args = ['--import', 'tsx', 'src/main.ts', 'serve', '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver.enabled=false', '-o', 'stdout_output.enabled=false']
if (BUDGET !== undefined) args.push('-o', `lanner.webhook.max_inflight_bytes=${BUDGET}`)
const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
const port = await new Promise<number>((resolve, reject) => {
  let buf = ''
  child.stderr.on('data', (b: Buffer) => {
    buf += b.toString()
    const m = /"msg":"audit webhook listening"/.test(buf) ? /"port":(\d+)/.exec(buf.split('\n').find((l) => l.includes('audit webhook listening')) ?? '') : null
    if (m !== null) resolve(Number(m[1]))
  })
  child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${buf}`)))
})
const idle = peakRss(child.pid as number)
const stats = { ok: 0, throttled: 0 }
const start = Date.now()
await Promise.all(Array.from({ length: CLIENTS }, () => client(port, stats)))
const peak = peakRss(child.pid as number)
child.kill('SIGTERM')
const mib = (n: number): string => `${(n / 1048576).toFixed(0)} MiB`
console.log(JSON.stringify({
  batchBytes: mib(BODY.length), clients: CLIENTS, rounds: ROUNDS, budget: BUDGET ?? 'default',
  delivered: stats.ok, answered429: stats.throttled, seconds: (Date.now() - start) / 1000,
  idlePeakRss: mib(idle), burstPeakRss: mib(peak)
}))
