// The kube-apiserver webhook double against facts about the real one: bodies byte for byte (real
// log-backend lines from ../shared/reference/audit-samples, written by Go, must come out identical
// minus the item TypeMeta), headers as Go's transport writes them, both retry loops, batch and
// blocking modes, truncation, auth. A loopback server records exactly what arrives.
import t from 'tap'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import {
  AUDIT_SAMPLES_DIR, KUBE_APISERVER_USER_AGENT, auditEvent, createWebhookBackend, encodeEventList, goString,
  loadAuditSamples, microTime, standaloneEventSize, type WebhookBackendOptions
} from './apiserver-client.ts'

interface Received { head: string[], body: string, connection: number }

/**
 * A raw HTTP/1.1 server on loopback: records request lines, header lines in order and the body;
 * answers with `answer(n)` (n counts requests from 0).
 */
async function recorder (t: Teardown, answer: (n: number) => { status: number, headers?: Record<string, string> } = () => ({ status: 200 })): Promise<{ url: string, got: Received[] }> {
  const got: Received[] = []
  let connections = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    const connection = connections++
    let buf = Buffer.alloc(0)
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c])
      for (;;) {
        const end = buf.indexOf('\r\n\r\n')
        if (end === -1) return
        const head = buf.subarray(0, end).toString('latin1').split('\r\n')
        const len = Number(/^content-length: *(\d+)$/im.exec(head.join('\n'))?.[1] ?? 0)
        if (buf.length < end + 4 + len) return
        const body = buf.subarray(end + 4, end + 4 + len).toString('utf8')
        buf = buf.subarray(end + 4 + len)
        const a = answer(got.length)
        got.push({ head, body, connection })
        const extra = Object.entries(a.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('')
        socket.write(`HTTP/1.1 ${a.status} X\r\nContent-Type: application/json\r\n${extra}Content-Length: 2\r\n\r\n{}`)
      }
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close(); for (const s of sockets) s.destroy() })
  const port = (server.address() as net.AddressInfo).port
  return { url: `http://127.0.0.1:${port}/k8s-audit`, got }
}

interface Teardown { teardown(fn: () => void | Promise<void>): void }

function backend (t: Teardown, url: string, extra: Partial<WebhookBackendOptions> = {}): ReturnType<typeof createWebhookBackend> {
  const b = createWebhookBackend({ kubeconfig: { server: url }, batchMaxWaitMs: 20, initialBackoffMs: 2, retryAfterSecondMs: 1, ...extra })
  t.teardown(async () => { await b.shutdown(); b.close() })
  return b
}

t.test('bodies: real Go-written log lines come out byte for byte, minus the item TypeMeta', async (t) => {
  let lines = 0
  for (const file of ['k3d-v1.33-linkerd-watch.jsonl', 'kodekloud-2024-impersonation.jsonl', 'elastic-integrations-test-audit.jsonl']) {
    for (const line of readFileSync(join(AUDIT_SAMPLES_DIR, file), 'utf8').split('\n').filter((l) => l !== '')) {
      t.match(line, /^\{"kind":"Event","apiVersion":"audit\.k8s\.io\/v1",/, `${file}: a log-backend line carries TypeMeta`)
      const item = line.replace('"kind":"Event","apiVersion":"audit.k8s.io/v1",', '')
      t.equal(encodeEventList([JSON.parse(line)]), `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[${item}]}\n`, file)
      lines++
    }
  }
  t.equal(lines, 12, 'every JSON-lines sample checked')
  const samples = loadAuditSamples()
  t.equal(samples.length, 13, 'the pretty-printed exec sample too')
  const body = encodeEventList(samples.map((s) => s.event))
  t.notMatch(body, /"kind":"Event"/, 'no item has a kind')
  t.notMatch(body, /[<>&\u2028\u2029]/, 'HTML characters and line separators are escaped')
  t.match(body, /command=sh\\u0026command=-c/, 'the exec sample (unescaped & in the blog copy) is escaped as Go writes it')
  t.notMatch(body, /\n./, 'compact: the only newline ends the body')
})

t.test('Go string and time formatting', async (t) => {
  t.equal(goString('a<b>&c\u2028\u2029"\\\n\r\t\b\f\u0001\u007f é'), '"a\\u003cb\\u003e\\u0026c\\u2028\\u2029\\"\\\\\\n\\r\\t\\b\\f\\u0001\u007f é"')
  t.equal(goString('\ud800x'), '"\\ufffdx"', 'a lone surrogate is invalid UTF-8 to Go')
  t.equal(microTime('2026-01-02T03:04:05.123456789Z'), '2026-01-02T03:04:05.123456Z', 'truncated to microseconds')
  t.equal(microTime('2026-01-02T03:04:05Z'), '2026-01-02T03:04:05.000000Z')
  t.equal(microTime('2026-01-02T05:04:05.5+02:00'), '2026-01-02T03:04:05.500000Z', 'UTC')
  const ev = auditEvent(7, { annotations: { 'z.k8s.io/b': '1', 'a.k8s.io/a': '2' }, user: { groups: ['g'], username: 'u', extra: { b: ['1'], a: ['2'] } } })
  const body = encodeEventList([ev])
  t.match(body, /"annotations":\{"a\.k8s\.io\/a":"2","z\.k8s\.io\/b":"1"\}/, 'map keys sorted')
  t.match(body, /"user":\{"username":"u","groups":\["g"\],"extra":\{"a":\["2"\],"b":\["1"\]\}\}/, 'struct fields in struct order, extra sorted')
  t.match(body, /"stageTimestamp":"2026-01-01T00:00:00\.007000Z"/)
})

t.test('headers as Go writes them, keep-alive, no Connection header', async (t) => {
  const r = await recorder(t)
  const b = backend(t, r.url, { mode: 'blocking', kubeconfig: { server: r.url + '/', token: 'tok' } })
  t.equal(await b.processEvents(auditEvent(1)), true)
  t.equal(await b.processEvents(auditEvent(2)), true)
  t.equal(r.got.length, 2)
  const port = new URL(r.url).port
  t.same(r.got[0]?.head, [
    'POST /k8s-audit HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    `User-Agent: ${KUBE_APISERVER_USER_AGENT}`,
    `Content-Length: ${Buffer.byteLength(r.got[0]?.body ?? '')}`,
    'Accept: application/json, */*',
    'Authorization: Bearer tok',
    'Content-Type: application/json',
    'Accept-Encoding: gzip'
  ], 'the trailing slash of server is dropped; header order of Go\'s transport')
  t.equal(r.got[1]?.connection, r.got[0]?.connection, 'the connection is reused')
  t.equal(b.connections, 1)
  t.equal(r.got[0]?.body, encodeEventList([auditEvent(1)]), 'a 1-event list')
})

t.test('Basic auth from username/password', async (t) => {
  const r = await recorder(t)
  const b = backend(t, r.url, { mode: 'blocking', kubeconfig: { server: r.url, username: 'audit', password: 'pa:ss' } })
  await b.processEvents(auditEvent(1))
  t.ok(r.got[0]?.head.includes(`Authorization: Basic ${Buffer.from('audit:pa:ss').toString('base64')}`))
})

t.test('outer loop: every non-2xx, 4xx included, is retried 5 times with growing backoff, then given up', async (t) => {
  for (const status of [400, 401, 404, 413, 500, 207]) {
    const r = await recorder(t, () => ({ status }))
    const b = backend(t, r.url, { mode: 'blocking-strict', initialBackoffMs: 4, random: () => 1 })
    const started = Date.now()
    t.equal(await b.processEvents(auditEvent(1)), false, `${status}: blocking-strict reports the failure`)
    t.equal(r.got.length, 5, `${status}: 5 attempts`)
    t.ok(Date.now() - started >= 4 * 1.2 * (1 + 1.5 + 2.25 + 3.375) - 4, 'waits 1, 1.5, 2.25, 3.375 × backoff (+ jitter)')
    t.equal(b.errors.batchGivenUp, 1)
    t.same(b.outcomes[0]?.attempts.map((a) => a.status), [status, status, status, status, status])
  }
  const r = await recorder(t, () => ({ status: 400 }))
  const b = backend(t, r.url, { mode: 'blocking' })
  t.equal(await b.processEvents(auditEvent(1)), true, 'blocking ignores the failure')
  t.equal(r.got.length, 5)
})

t.test('outer loop: a 2xx after failures stops it; connection errors are retried too', async (t) => {
  const r = await recorder(t, (n) => ({ status: n < 2 ? 503 : 202 }))
  const b = backend(t, r.url, { mode: 'blocking-strict' })
  t.equal(await b.processEvents(auditEvent(1)), true)
  t.same(b.outcomes[0]?.attempts.map((a) => a.status), [503, 503, 202], '503 without Retry-After is an outer retry')
  const closed = net.createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => closed.once('listening', resolve))
  const port = (closed.address() as net.AddressInfo).port
  closed.close()
  const dead = backend(t, `http://127.0.0.1:${port}/k8s-audit`, { mode: 'blocking-strict' })
  t.equal(await dead.processEvents(auditEvent(1)), false)
  t.same(dead.outcomes[0]?.attempts.map((a) => a.error), ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED'])
})

t.test('inner loop: 429/5xx with an integer Retry-After are re-sent after that many seconds, up to 10 times', async (t) => {
  const r = await recorder(t, () => ({ status: 429, headers: { 'Retry-After': '1' } }))
  const b = backend(t, r.url, { mode: 'blocking-strict', retryAfterSecondMs: 3 })
  t.equal(await b.processEvents(auditEvent(1)), false)
  t.equal(r.got.length, 5 * 11, '1 + 10 requests in each of the 5 attempts')
  t.same(b.outcomes[0]?.attempts.map((a) => a.exchanges.length), [11, 11, 11, 11, 11])
  const later = await recorder(t, (n) => n === 0 ? { status: 503, headers: { 'Retry-After': '2' } } : { status: 200 })
  const b2 = backend(t, later.url, { mode: 'blocking-strict', retryAfterSecondMs: 5 })
  const started = Date.now()
  t.equal(await b2.processEvents(auditEvent(1)), true)
  t.ok(Date.now() - started >= 10, 'honours 2 scaled seconds')
  t.same(b2.outcomes[0]?.attempts.map((a) => a.exchanges.map((x) => x.status)), [[503, 200]], 'one outer attempt')
  for (const [status, ra] of [[400, '1'], [429, 'Wed, 21 Oct 2026 07:28:00 GMT'], [429, '1.5']] as const) {
    const no = await recorder(t, () => ({ status, headers: { 'Retry-After': ra } }))
    const b3 = backend(t, no.url, { mode: 'blocking' })
    await b3.processEvents(auditEvent(1))
    t.same(b3.outcomes[0]?.attempts.map((a) => a.exchanges.length), [1, 1, 1, 1, 1], `${status} Retry-After ${ra}: no inner retry`)
  }
})

t.test('batch mode: lists of batch-max-size, the rest after batch-max-wait, several in flight', async (t) => {
  const r = await recorder(t)
  const b = backend(t, r.url, { batchMaxSize: 400, batchMaxWaitMs: 30 })
  t.equal(await b.processEvents(...Array.from({ length: 1000 }, (_, i) => auditEvent(i))), true)
  await b.idle()
  t.same(b.outcomes.map((o) => o.events), [400, 400, 200])
  t.ok(b.outcomes.every((o) => o.delivered && o.attempts.length === 1))
  t.same(r.got.map((g) => (JSON.parse(g.body) as { items: unknown[] }).items.length).sort(), [200, 400, 400])
  t.same(b.outcomes.flatMap((o) => o.auditIDs), Array.from({ length: 1000 }, (_, i) => auditEvent(i).auditID), 'in order, none lost')
})

t.test('batch mode: a full buffer drops events; shutdown sends what is buffered', async (t) => {
  const r = await recorder(t)
  const b = createWebhookBackend({ kubeconfig: { server: r.url }, bufferSize: 5, batchMaxWaitMs: 60_000, initialBackoffMs: 2 })
  t.equal(await b.processEvents(...Array.from({ length: 8 }, (_, i) => auditEvent(i))), false, 'false: some were dropped')
  t.equal(b.errors.bufferFull, 3)
  await b.shutdown()
  b.close()
  t.same(b.outcomes.map((o) => o.events), [5], 'sent at shutdown, long before batch-max-wait')
  t.equal(r.got.length, 1)
})

t.test('truncating backend: big Request/RequestResponse events lose their objects; lists split by bytes', async (t) => {
  const r = await recorder(t)
  const s = standaloneEventSize(auditEvent(3))
  const b = backend(t, r.url, { mode: 'blocking', truncate: { enabled: true, maxBatchSize: 2 * s + 1 } })
  const big = auditEvent(1, { level: 'RequestResponse', requestObject: { blob: 'x'.repeat(200 * 1024) }, responseObject: { kind: 'Pod' }, annotations: { 'z/z': 'z' } })
  const bigMeta = auditEvent(2, { level: 'Metadata', annotations: { blob: 'y'.repeat(200 * 1024) } })
  const small = [auditEvent(3), auditEvent(4), auditEvent(5)]
  t.ok(standaloneEventSize(big) > 100 * 1024)
  await b.processEvents(big, bigMeta, ...small)
  t.equal(b.errors.tooLarge, 1, 'a Metadata event too big is dropped: nothing to strip')
  const sent = b.outcomes.map((o) => JSON.parse(o.body) as { items: Array<Record<string, unknown>> })
  t.same(sent.map((l) => l.items.length), [1, 2, 1], 'split when the next event would cross maxBatchSize bytes')
  const first = sent[0]?.items[0]
  t.equal(first?.requestObject, undefined)
  t.equal(first?.responseObject, undefined)
  t.same(first?.annotations, { 'audit.k8s.io/truncated': 'true', 'z/z': 'z' })
  t.match(b.outcomes[0]?.body ?? '', /"annotations":\{"audit\.k8s\.io\/truncated":"true","z\/z":"z"\}/, 'sorted like any map')
})

t.test('batch mode: the throttle lets burst lists go at once, then qps per second', async (t) => {
  const r = await recorder(t)
  const b = backend(t, r.url, { batchMaxSize: 1, batchMaxWaitMs: 1000, throttleQps: 20, throttleBurst: 2 })
  const started = Date.now()
  await b.processEvents(auditEvent(1), auditEvent(2), auditEvent(3), auditEvent(4))
  await b.idle()
  t.equal(r.got.length, 4)
  // two tokens at start, then one every 50 ms: the fourth list cannot leave before ~100 ms
  t.ok(Date.now() - started >= 90, `the token bucket held lists back (${Date.now() - started} ms)`)
})

t.test('a receiver that never answers: each attempt times out (30 s upstream) and is retried', async (t) => {
  const sockets = new Set<net.Socket>()
  const silent = net.createServer((s) => { sockets.add(s); s.on('error', () => {}) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { silent.close(); for (const s of sockets) s.destroy() })
  const b = backend(t, `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/k8s-audit`, { mode: 'blocking-strict', requestTimeoutMs: 30 })
  t.equal(await b.processEvents(auditEvent(1)), false)
  t.same(b.outcomes[0]?.attempts.map((a) => a.error), Array(5).fill('Client.Timeout exceeded'))
})
