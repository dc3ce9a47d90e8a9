// Fuzzing `lanner serve` over its webhook (not part of npm test): ≥ 10,000 mutated webhook bodies,
// seeded from the real audit events in ../shared/reference/audit-samples (read at run time, turned
// into the real wire form: EventList items without kind/apiVersion), posted over loopback to a
// spawned `lanner serve` with the built-in rules. Held: no crash (the child never exits before
// SIGTERM, exit 0 then), no 5xx, /healthz answering throughout, every answer one of the documented
// statuses. Prints the figures docs/reliability.md records.
// Run: npm run bench fuzz-webhook [bodies, default 10000] [seed]
import { spawn } from 'node:child_process'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { auditSampleItems } from '../test/helpers/apiserver-client.ts'
import { seededRandom, type SeededRandom } from '../test/helpers/fuzz.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SAMPLES = path.join(ROOT, '..', 'shared', 'reference', 'audit-samples')
const COUNT = Number(process.argv[2] ?? 10_000)
const SEED = Number(process.argv[3] ?? 15)
const CONCURRENCY = 4

/** The samples as webhook items: log-backend lines carry kind/apiVersion, the webhook's items do not. */
function loadItems (): Array<Record<string, unknown>> {
  const items = auditSampleItems(SAMPLES)
  if (items.length === 0) throw new Error(`no audit samples under ${SAMPLES}`)
  return items
}

const SHAPES: unknown[] = [null, true, 0, -1, 1e308, '', 'x', '\u0000', '\ud800', [], [[]], {}, { a: {} }, 'A'.repeat(70_000),
  '2026-13-45T99:99:99Z', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999Z', ['system:masters'], { code: '403' }]
const SNIPPETS = ['{', '}', '[', ']', ',', ':', '"', '\\', '\\u', '\\ud800', 'null', '-', '1e999', '\u0000', '\xff', '{"kind":"EventList","items":[',
  '"kind":"Event",', '"stageTimestamp":"', ']]]]]]]]', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', ' ', '\n', '\ufeff']

function deepMutate (r: SeededRandom, v: unknown, depth = 0): unknown {
  if (depth > 6 || v === null || typeof v !== 'object') return r.next() < 0.3 ? r.pick(SHAPES) : v
  if (Array.isArray(v)) return v.map((e) => r.next() < 0.2 ? deepMutate(r, e, depth + 1) : e)
  const o: Record<string, unknown> = {}
  for (const [k, val] of Object.entries(v)) {
    const roll = r.next()
    if (roll < 0.05) continue // drop the key
    o[k] = roll < 0.25 ? deepMutate(r, val, depth + 1) : val
  }
  if (r.next() < 0.1) o[r.pick(['user', 'objectRef', 'requestObject', 'responseObject', 'verb', 'annotations', 'impersonatedUser', 'sourceIPs', 'stageTimestamp'])] = r.pick(SHAPES)
  return o
}

type Body = { body: Buffer, kind: string, chunked?: boolean, contentType?: string }

function makeBody (r: SeededRandom, items: ReadonlyArray<Record<string, unknown>>, i: number): Body {
  const n = 1 + r.int(60)
  const list = Array.from({ length: n }, () => structuredClone(r.pick(items)))
  const base = { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: list as unknown[] }
  const mode = r.int(10)
  if (mode <= 2) { // structural: values replaced by other shapes, keys dropped, wrong types
    base.items = list.map((e) => deepMutate(r, e))
    return { body: Buffer.from(JSON.stringify(base)), kind: 'structural' }
  }
  let text = JSON.stringify(base)
  if (mode <= 6) { // textual: snippets inserted, bytes deleted or flipped, truncation
    const edits = 1 + r.int(4)
    for (let e = 0; e < edits; e++) {
      const at = r.int(text.length + 1)
      switch (r.int(4)) {
        case 0: text = text.slice(0, at) + r.pick(SNIPPETS) + text.slice(at); break
        case 1: text = text.slice(0, at) + text.slice(at + 1 + r.int(20)); break
        case 2: text = text.slice(0, at) + String.fromCharCode(r.int(65536)) + text.slice(at + 1); break
        default: text = text.slice(0, at)
      }
    }
    return { body: Buffer.from(text), kind: 'textual' }
  }
  if (mode === 7) { // the other accepted forms: single Event, arrays, nested arrays
    const ev = { kind: 'Event', apiVersion: 'audit.k8s.io/v1', ...list[0] }
    const forms = [ev, [ev, ev], [[ev]], [base], []]
    return { body: Buffer.from(JSON.stringify(r.pick(forms))), kind: 'forms' }
  }
  if (mode === 8) { // raw bytes, invalid UTF-8, BOM
    const raw = Buffer.from(text)
    for (let e = 0; e < 1 + r.int(8); e++) raw[r.int(raw.length)] = r.int(256)
    return { body: r.next() < 0.2 ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), raw]) : raw, kind: 'bytes' }
  }
  // transport: chunked, odd content types (the body itself real)
  return { body: Buffer.from(text), kind: 'transport', chunked: r.next() < 0.5, contentType: r.pick(['application/json', 'application/json; charset=utf-8', 'text/plain', 'APPLICATION/JSON', '']) + (i % 7 === 0 ? '' : '') }
}

function post (port: number, b: Body): Promise<number> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = { 'content-type': b.contentType ?? 'application/json' }
    if (b.chunked !== true) headers['content-length'] = b.body.length
    const req = http.request({ host: '127.0.0.1', port, path: '/k8s-audit', method: 'POST', headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode ?? 0) })
    })
    // a refused body may be cut off mid-upload: recorded as a transport error, not a status
    req.on('error', () => { resolve(-1) })
    req.end(b.body)
  })
}

function get (url: string): Promise<{ status: number, ms: number }> {
  const start = performance.now()
  return new Promise((resolve) => {
    http.get(url, { agent: false }, (res) => { res.resume(); res.on('end', () => { resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }) }) })
      .on('error', () => { resolve({ status: -1, ms: performance.now() - start }) })
  })
}

async function main (): Promise<void> {
  const items = loadItems()
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts'), 'serve', '-o', 'stdout_output.enabled=false',
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver={listen_address: 127.0.0.1, listen_port: 0}'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  let exited: { code: number | null, signal: string | null } | undefined
  const done = new Promise<void>((resolve) => child.on('close', (code, signal) => { exited = { code, signal }; resolve() }))
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  // the ports come from the child's own log lines
  function portOf (prefix: string): number | undefined {
    for (const line of stderr.split('\n')) {
      try {
        const rec = JSON.parse(line) as { msg?: string, port?: number }
        if (typeof rec.msg === 'string' && rec.msg.startsWith(prefix) && typeof rec.port === 'number') return rec.port
      } catch { /* a partial line */ }
    }
    return undefined
  }
  const ports = await new Promise<{ webhook: number, admin: number }>((resolve, reject) => {
    const timer = setInterval(() => {
      const webhook = portOf('audit webhook listening')
      const admin = portOf('admin server listening')
      if (webhook !== undefined && admin !== undefined) { clearInterval(timer); resolve({ webhook, admin }) }
      if (exited !== undefined) { clearInterval(timer); reject(new Error(`serve exited at start: ${stderr.slice(-2000)}`)) }
    }, 50)
  })
  const r = seededRandom(SEED)
  const statuses = new Map<string, number>()
  const kinds = new Map<string, number>()
  let next = 0
  let bytes = 0
  const started = performance.now()
  async function worker (): Promise<void> {
    while (next < COUNT && exited === undefined) {
      const i = next++
      const b = makeBody(r, items, i)
      bytes += b.body.length
      kinds.set(b.kind, (kinds.get(b.kind) ?? 0) + 1)
      const s = await post(ports.webhook, b)
      const key = String(s)
      statuses.set(key, (statuses.get(key) ?? 0) + 1)
    }
  }
  let healthWorst = 0
  let healthBad = 0
  let polling = true
  const health = (async () => {
    while (polling && exited === undefined) {
      const h = await get(`http://127.0.0.1:${ports.admin}/healthz`)
      healthWorst = Math.max(healthWorst, h.ms)
      if (h.status !== 200) healthBad++
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  polling = false
  await health
  const seconds = (performance.now() - started) / 1000
  const crashed = exited !== undefined
  if (!crashed) child.kill('SIGTERM')
  await done
  const fiveXX = [...statuses].filter(([s]) => Number(s) >= 500).reduce((n, [, c]) => n + c, 0)
  const lines = [
    `bodies posted: ${next} (${(bytes / 1048576).toFixed(1)} MiB, seed ${SEED}) in ${seconds.toFixed(1)} s by ${CONCURRENCY} clients`,
    `mutations: ${[...kinds].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `answers: ${[...statuses].sort().map(([s, n]) => `${s === '-1' ? 'connection cut' : s} ${n}`).join(', ')}`,
    `5xx: ${fiveXX}`,
    `/healthz: worst ${healthWorst.toFixed(0)} ms, non-200 ${healthBad}`,
    `serve: ${crashed ? `CRASHED (${JSON.stringify(exited)}): ${stderr.slice(-3000)}` : `alive to the end, SIGTERM → exit ${JSON.stringify(exited)}`}`
  ]
  process.stdout.write(lines.join('\n') + '\n')
  const errors = stderr.split('\n').filter((l) => /"level":(50|60)/.test(l))
  if (errors.length > 0) process.stdout.write(`error-level log lines: ${errors.length}; first: ${errors[0]?.slice(0, 400)}\n`)
  process.exitCode = crashed || fiveXX > 0 || exited?.code !== 0 ? 1 : 0
}

await main()
