// Delivery by priority under saturation (issue 15): a flood of low-priority alerts into an
// http_output that cannot keep up neither drops nor holds back a Warning sent in its middle;
// drops are counted per rule and reported as one fact per interval ("N alerts of rule X dropped").
// Over a real HTTP receiver on loopback that answers only when released.
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Alert, Priority } from '../../src/events/index.ts'
import { createDispatcher, createHttpChannel } from '../../src/outputs/index.ts'
import { captureLogger, counters, jsonLine, makeAlert } from './helpers.ts'

interface Receiver { url: string, bodies: string[], release(): void, close(): Promise<void>, waiting(): number }

/** A receiver that holds every POST until release(); then answers each at once. */
async function heldReceiver (): Promise<Receiver> {
  const bodies: string[] = []
  let held: Array<() => void> = []
  let open = false
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (b: Buffer) => { body += b.toString() })
    req.on('end', () => {
      const answer = (): void => { bodies.push(body); res.end('ok') }
      if (open) answer(); else held.push(answer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    bodies,
    waiting: () => held.length,
    release () { open = true; const h = held; held = []; for (const a of h) a() },
    async close () { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) }
  }
}

function alertOf (n: number, rule: string, priority: Priority): Alert {
  return { ...makeAlert(n, `${rule} ${n}`), rule, priority }
}

t.test('a Warning in the middle of 20,000 Notices is delivered first once the sink moves', async (t) => {
  const recv = await heldReceiver()
  t.teardown(() => recv.close())
  const http1 = createHttpChannel({ url: recv.url, userAgent: 'test', insecure: false, mtls: false, compressUploads: false, keepAlive: true, timeoutMs: 30_000, retries: 0, contentType: 'application/json', concurrency: 1 })
  const log = captureLogger()
  const { c, hooks } = counters()
  const byRule = new Map<string, number>()
  const d = createDispatcher({
    channels: [http1],
    format: jsonLine,
    queueSize: 100,
    logger: log,
    logIntervalMs: 60_000,
    hooks: { ...hooks, droppedRule (_ch, rule, _p, n) { byRule.set(rule, (byRule.get(rule) ?? 0) + n) } }
  })
  for (let i = 0; i < 10_000; i++) d.emit(alertOf(i, 'Forged notice', 5))
  d.emit(alertOf(0, 'ConfigMap with credentials', 4))
  for (let i = 10_000; i < 20_000; i++) d.emit(alertOf(i, 'Forged notice', 5))
  t.equal(d.depths()[0]?.depth, 100, 'the queue depth is visible')

  // one Notice is in flight at the receiver, 100 alerts wait; the rest were dropped
  while (recv.waiting() < 1) await new Promise((resolve) => setImmediate(resolve))
  recv.release()
  t.equal(await d.flush(30_000), true)
  const delivered = recv.bodies.map((b) => JSON.parse(b).rule as string)
  t.equal(delivered.length, 101)
  t.equal(delivered.filter((r) => r === 'ConfigMap with credentials').length, 1, 'the Warning was not dropped')
  t.equal(delivered.indexOf('ConfigMap with credentials'), 1, 'and it left right after the alert already in flight, ahead of the queued Notices')
  t.equal(c.delivered.get('http'), 101)
  t.equal(c.dropped.get('http'), 19_900, 'every other alert is counted as dropped')
  t.same(Object.fromEntries(byRule), { 'Forged notice': 19_900 }, 'drops by rule')

  await d.close(1000)
  const summaries = log.lines.filter((l) => l.obj.code === 'ERR_OUTPUT_QUEUE_FULL')
  t.ok(summaries.length <= 2, `the flood is ${summaries.length} log lines, not 19,900`)
  t.equal(summaries.reduce((n, l) => n + (l.obj.dropped as number), 0), 19_900)
  t.match(summaries.at(-1)?.msg, /queue full or closed: \d+ alerts dropped: \d+ of rule 'Forged notice' \(Notice\)/)
})

t.test('a full queue of equal or higher priority drops the newcomer, never an older alert of its rank', async (t) => {
  const recv = await heldReceiver()
  t.teardown(() => recv.close())
  const ch = createHttpChannel({ url: recv.url, userAgent: 'test', insecure: false, mtls: false, compressUploads: false, keepAlive: true, timeoutMs: 30_000, retries: 0, contentType: 'application/json', concurrency: 1 })
  const { c, hooks } = counters()
  const d = createDispatcher({ channels: [ch], format: jsonLine, queueSize: 3, logger: captureLogger(), hooks })
  d.emit(alertOf(0, 'first', 2))
  while (recv.waiting() < 1) await new Promise((resolve) => setImmediate(resolve))
  for (let i = 1; i <= 3; i++) d.emit(alertOf(i, 'critical', 2))
  d.emit(alertOf(4, 'late notice', 5))
  d.emit(alertOf(5, 'late critical', 2))
  t.equal(c.dropped.get('http'), 2)
  recv.release()
  await d.flush(30_000)
  t.same(recv.bodies.map((b) => JSON.parse(b).rule), ['first', 'critical', 'critical', 'critical'], 'the three queued Criticals, none of the late ones')
  await d.close(1000)
})

t.test('the drop summary is raised as a Warning internal alert that reaches the flooded sink', async (t) => {
  const recv = await heldReceiver()
  t.teardown(() => recv.close())
  const ch = createHttpChannel({ url: recv.url, userAgent: 'test', insecure: false, mtls: false, compressUploads: false, keepAlive: true, timeoutMs: 30_000, retries: 0, contentType: 'application/json', concurrency: 1 })
  const { outputDropsAlert } = await import('../../src/app/metrics/internal-alerts.ts')
  const summaries: unknown[] = []
  const d = createDispatcher({
    channels: [ch],
    format: jsonLine,
    queueSize: 10,
    logger: captureLogger(),
    logIntervalMs: 60_000,
    onDropSummary (s) { summaries.push(s); d.emit(outputDropsAlert(1n, s, 'test-host')) }
  })
  for (let i = 0; i < 500; i++) d.emit(alertOf(i, 'Forged notice', 5))
  while (recv.waiting() < 1) await new Promise((resolve) => setImmediate(resolve))
  recv.release()
  t.equal(await d.flush(30_000), true)
  t.equal(summaries.length, 1, 'one summary in the interval (the first drop)')
  const rules = recv.bodies.map((b) => JSON.parse(b).rule as string)
  t.equal(rules[1], 'Lanner internal: output alerts dropped', 'the internal alert left first after the one in flight')
  t.match(JSON.parse(recv.bodies[1] as string), { priority: 'Warning', source: 'internal', output_fields: { output: 'http', n_dropped: 1 } })
  await d.close(1000)
})
