// Hostile load against a spawned `lanner serve` (not part of npm test): bodies built to exhaust
// memory or the event loop, slow-loris uploads next to the apiserver's real batches, and SIGTERM
// with kept-alive connections open. Prints what held; docs/reliability.md records the figures.
// Run: npm run bench fuzz-overload [slow connections, default 200]
import { spawn } from 'node:child_process'
import http from 'node:http'
import net from 'node:net'
import { Worker } from 'node:worker_threads'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { auditSampleItems } from '../test/helpers/apiserver-client.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SAMPLES = path.join(ROOT, '..', 'shared', 'reference', 'audit-samples')
const SLOW = Number(process.argv[2] ?? 200)
const MIB = 1024 * 1024

function post (port: number, body: Buffer, agent?: http.Agent): Promise<{ status: number, ms: number }> {
  const start = performance.now()
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/k8s-audit', method: 'POST', agent: agent ?? false, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume()
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }) })
    })
    req.on('error', () => { resolve({ status: -1, ms: performance.now() - start }) })
    req.end(body)
  })
}

function get (url: string): Promise<{ status: number, body: string, ms: number }> {
  const start = performance.now()
  return new Promise((resolve) => {
    http.get(url, { agent: false }, (res) => {
      let body = ''
      res.on('data', (b: Buffer) => { body += b.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - start }) })
    }).on('error', () => { resolve({ status: -1, body: '', ms: performance.now() - start }) })
  })
}

async function main (): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts'), 'serve', '-o', 'stdout_output.enabled=false',
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver={listen_address: 127.0.0.1, listen_port: 0}'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const exited = new Promise<{ code: number | null, signal: string | null }>((resolve) => child.on('close', (code, signal) => { resolve({ code, signal }) }))
  const portOf = (prefix: string): number | undefined => {
    for (const line of stderr.split('\n')) {
      try { const r = JSON.parse(line) as { msg?: string, port?: number }; if (r.msg?.startsWith(prefix) === true && typeof r.port === 'number') return r.port } catch { /* partial */ }
    }
    return undefined
  }
  let webhook: number | undefined
  let adminPort: number | undefined
  while (webhook === undefined || adminPort === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    webhook = portOf('audit webhook listening')
    adminPort = portOf('admin server listening')
  }
  const admin = `http://127.0.0.1:${adminPort}`
  const metric = async (re: RegExp): Promise<number> => Number(re.exec((await get(`${admin}/metrics`)).body)?.[1] ?? NaN)
  const rss = async (): Promise<number> => await metric(/^lanner_process_resident_memory_bytes (\d+)/m) / MIB
  const out: string[] = [`idle RSS ${(await rss()).toFixed(0)} MiB`]

  // 1. bodies built to cost: millions of tiny items, with /healthz polled meanwhile
  const items = auditSampleItems(SAMPLES)
  const list = (parts: string[]): Buffer => Buffer.from('{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[' + parts.join(',') + ']}\n')
  const cases: Array<[string, Buffer]> = [
    ['8 MB of {} (2.7M items)', list(Array(2_700_000).fill('{}'))],
    ['60 MB of {} (20M items)', list(Array(20_000_000).fill('{}'))],
    ['60 MB of 1-byte numbers in one item', Buffer.from('{"kind":"EventList","items":[[' + '1,'.repeat(30_000_000) + '1]]}')],
    ['140k {} items (within the bound)', list(Array(140_000).fill('{}'))],
    ['one item of 290k unique keys (the costliest parse within the bound)', list(['{' + Array.from({ length: 290_000 }, (_, i) => `"k${i}":1`).join(',') + '}'])],
    ['90k minimal events (within the bound)', list(Array(90_000).fill('{"stageTimestamp":"2026-01-01T00:00:00.000000Z","verb":"get"}'))],
    ['400 real sample events', list(Array.from({ length: 400 }, (_, i) => JSON.stringify(items[i % items.length])))]
  ]
  // /healthz is polled from a worker thread: this process's own GC (it holds the big bodies) must
  // not count as the server's latency. The server's own figure is its event-loop delay.
  const poller = new Worker(`
    const http = require('node:http')
    const { parentPort, workerData } = require('node:worker_threads')
    let worst = 0
    parentPort.on('message', () => { parentPort.postMessage(worst); worst = 0 })
    async function loop () {
      for (;;) {
        const start = performance.now()
        await new Promise((resolve) => http.get(workerData, { agent: false }, (res) => { res.resume(); res.on('end', resolve) }).on('error', resolve))
        worst = Math.max(worst, performance.now() - start)
      }
    }
    loop()
  `, { eval: true, workerData: `${admin}/healthz` })
  const worstHealth = async (): Promise<number> => await new Promise((resolve) => { poller.once('message', resolve); poller.postMessage('report') })
  const loopMax = async (): Promise<number> => await metric(/^lanner_nodejs_eventloop_lag_max_seconds ([\d.e+-]+)/m) * 1000
  for (const [name, body] of cases) {
    await worstHealth()
    await loopMax()
    const r = await post(webhook, body)
    const lag = await loopMax()
    out.push(`${name}: ${(body.length / MIB).toFixed(1)} MiB → ${r.status} in ${r.ms.toFixed(0)} ms; server event-loop delay max ${lag.toFixed(0)} ms; /healthz worst ${(await worstHealth()).toFixed(0)} ms; RSS ${(await rss()).toFixed(0)} MiB`)
  }
  await poller.terminate()

  // 2. slow-loris uploads next to the apiserver's batches
  const slow: net.Socket[] = []
  const slowAnswers: Array<Promise<{ status: number, at: number }>> = []
  const slowStart = performance.now()
  for (let i = 0; i < SLOW; i++) {
    const length = i < 4 ? 64 * MIB : 100_000
    const s = net.connect(webhook, '127.0.0.1')
    s.on('error', () => {})
    slowAnswers.push(new Promise((resolve) => {
      let data = ''
      s.on('data', (b: Buffer) => { data += b.toString() })
      s.on('close', () => { resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? -1), at: performance.now() - slowStart }) })
    }))
    s.write(`POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{`)
    slow.push(s)
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
  const batch = list(Array.from({ length: 400 }, (_, i) => JSON.stringify(items[i % items.length])))
  const served = await Promise.all(Array.from({ length: 40 }, async () => await post(webhook as number, batch, agent)))
  const statuses = new Map<number, number>()
  for (const s of served) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1)
  out.push(`${SLOW} slow uploads open (4 announcing 64 MiB, ${SLOW - 4} × 100 kB, one byte sent each); 40 real 400-event batches meanwhile: ${[...statuses].map(([s, n]) => `${s} ×${n}`).join(', ')}, slowest ${Math.max(...served.map((s) => s.ms)).toFixed(0)} ms`)
  const ended = await Promise.all(slowAnswers)
  const endStatuses = new Map<number, number>()
  for (const e of ended) endStatuses.set(e.status, (endStatuses.get(e.status) ?? 0) + 1)
  out.push(`slow uploads ended: ${[...endStatuses].map(([s, n]) => `${s} ×${n}`).join(', ')} after ${Math.min(...ended.map((e) => e.at)).toFixed(0)}–${Math.max(...ended.map((e) => e.at)).toFixed(0)} ms`)
  out.push(`peak RSS after all of the above: ${(await rss()).toFixed(0)} MiB`)

  // 3. SIGTERM with kept-alive connections: a request on each after the signal
  const conns = await Promise.all(Array.from({ length: 4 }, async () => await new Promise<net.Socket>((resolve) => {
    const s = net.connect(webhook as number, '127.0.0.1', () => { resolve(s) })
    s.on('error', () => {})
  })))
  const small = list([JSON.stringify(items[0])]).toString()
  const req = `POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(small)}\r\n\r\n${small}`
  const firstAnswers = conns.map(async (s) => await new Promise<void>((resolve) => { s.once('data', () => { resolve() }); s.write(req) }))
  await Promise.all(firstAnswers)
  child.kill('SIGTERM')
  while (!stderr.includes('webhook closing')) await new Promise((resolve) => setTimeout(resolve, 5))
  const afterTerm = await Promise.all(conns.map(async (s) => await new Promise<string>((resolve) => {
    let data = ''
    s.on('data', (b: Buffer) => { data += b.toString() })
    s.on('close', () => { resolve(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? (data === '' ? 'reset/closed' : 'other')) })
    s.write(req)
  })))
  out.push(`SIGTERM with 4 kept-alive connections, a batch sent on each after it: ${afterTerm.join(', ')}`)
  const exit = await exited
  out.push(`exit: ${JSON.stringify(exit)}`)
  process.stdout.write(out.join('\n') + '\n')
  // what must hold: every real batch served, no 5xx anywhere, a clean exit
  const held = served.every((s) => s.status === 200) && !out.some((l) => / → 5\d\d /.test(l)) && exit.code === 0
  process.exitCode = held ? 0 : 1
}

await main()
