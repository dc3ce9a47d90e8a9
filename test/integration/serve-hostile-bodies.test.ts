// One request cannot take `lanner serve` down (issue 15): bodies of millions of tiny items are
// refused 413 before parsing (lanner.webhook.max_body_values), bodies within the bound are
// decoded with their bad items counted (not an object each) and evaluated in chunks, and through
// all of it /healthz keeps answering within 1 s and the process stays under the Deployment's 1 GiB.
import t from 'tap'
import http from 'node:http'
import { adminPort, request, startServe, webhookListening } from '../helpers/serve-child.ts'

const LIST_HEAD = '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":['

function post (port: number, body: Buffer): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/k8s-audit', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      let text = ''
      res.on('data', (b: Buffer) => { text += b.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: text }) })
    })
    req.on('error', reject)
    req.end(body)
  })
}

function listOf (item: string, n: number): Buffer {
  return Buffer.from(LIST_HEAD + Array(n).fill(item).join(',') + ']}\n')
}

/** Polls /healthz back to back until stopped; each answer's latency is kept. */
function pollHealth (url: string): { stop(): Promise<number[]> } {
  const latencies: number[] = []
  let running = true
  const done = (async () => {
    while (running) {
      const start = performance.now()
      const res = await request(url)
      latencies.push(performance.now() - start)
      if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`)
    }
  })()
  return { async stop () { running = false; await done; return latencies } }
}

function metric (text: string, line: RegExp): number {
  const m = line.exec(text)
  return m === null ? NaN : Number(m[1])
}

t.test('hostile bodies: refused or counted cheaply, health answered within 1 s, memory bounded', async (t) => {
  const serve = startServe(t, ['serve', '-o', 'stdout_output.enabled=false',
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver={listen_address: 127.0.0.1, listen_port: 0}'])
  const { port } = await webhookListening(serve)
  const admin = `http://127.0.0.1:${await adminPort(serve)}`

  // built before polling starts: building them blocks this process's own event loop
  const huge = [2_700_000, 20_000_000].map((n) => listOf('{}', n))
  const bad = listOf('{}', 140_000)
  const minimal = listOf('{"stageTimestamp":"2026-01-01T00:00:00.000000Z","verb":"get"}', 90_000)
  // the same polling with no request in flight, for as long: what this machine gives right now
  // (a loaded runner stretches every answer; a blocked event loop stretches only the ones below)
  const idle = pollHealth(`${admin}/healthz`)
  await new Promise((resolve) => setTimeout(resolve, 3000))
  const idleWorst = Math.max(...await idle.stop())
  const health = pollHealth(`${admin}/healthz`)
  // 8 MB and 60 MB of `{}` (2.7M and 20M items): refused on their value count, never parsed
  for (const body of huge) {
    const res = await post(port, body)
    t.equal(res.status, 413, `${body.length} bytes of empty items: 413`)
    t.match(JSON.parse(res.body), { code: 'ERR_WEBHOOK_TOO_COMPLEX' })
  }
  // within the bound: 140,000 bad items are answered with counts, not objects
  const badRes = await post(port, bad)
  t.equal(badRes.status, 200)
  t.same(JSON.parse(badRes.body), { accepted: 0, rejected: 140_000 })
  // and 90,000 minimal events are evaluated against the built-in rules in chunks
  const good = await post(port, minimal)
  t.equal(good.status, 200)
  t.same(JSON.parse(good.body), { accepted: 90_000, rejected: 0 })
  const latencies = await health.stop()

  const worst = Math.max(...latencies)
  t.ok(latencies.length >= 5, `/healthz polled ${latencies.length} times during the requests`)
  // issue 15: within 1 s under any single request; on a machine already slow when idle, within 4x
  // its idle worst (a loop blocked by one parse or evaluation takes seconds more than that)
  const bound = Math.max(1000, 4 * idleWorst)
  t.ok(worst < bound, `worst /healthz latency ${worst.toFixed(0)} ms, bound ${bound.toFixed(0)} ms (idle worst ${idleWorst.toFixed(0)} ms)`)

  const text = (await request(`${admin}/metrics`)).body
  t.equal(metric(text, /^lanner_webhook_issues_total\{code="ERR_AUDIT_NO_TIMESTAMP"\} (\d+)$/m), 140_000, 'every bad item counted once')
  const rss = metric(text, /^lanner_process_resident_memory_bytes (\d+)$/m)
  t.ok(rss < 1024 * 1024 * 1024, `resident memory ${(rss / 1048576).toFixed(0)} MiB, under the 1 GiB limit`)
  t.match(text, /^lanner_webhook_responses_total\{status="413"\} 2$/m)

  serve.child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null })
})
