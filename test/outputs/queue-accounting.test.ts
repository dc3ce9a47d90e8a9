// Every alert ends once, as delivered, failed or dropped, in the order and rank users expect:
// thousands queued behind a slow start leave in order (the queue's array compaction included), a
// POST the receiver refuses among accepted ones fails alone, an alert of a priority outside
// Falco's eight ranks as the least severe, and a failing drop-summary raiser never takes the
// dispatcher down.
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createChannelQueue, type QueuedAlert } from '../../src/outputs/channel-queue.ts'
import { createDispatcher, createHttpChannel, type OutputChannel } from '../../src/outputs/index.ts'
import { captureLogger, counters, jsonLine, makeAlert, messageOf } from './helpers.ts'

/** A channel that holds every send until released, recording the lines it got. */
function gatedChannel (): OutputChannel & { lines: string[], release(): void, sends: number } {
  let open!: () => void
  const gate = new Promise<void>((resolve) => { open = resolve })
  const ch = {
    name: 'gated',
    lines: [] as string[],
    sends: 0,
    release () { open() },
    async send (lines: string[]) { ch.sends++; await gate; ch.lines.push(...lines) },
    async close () {}
  }
  return ch
}

t.test('3,000 alerts queued behind a slow first send leave in the order they came, every one delivered once', async (t) => {
  const ch = gatedChannel()
  const { c, hooks } = counters()
  const d = createDispatcher({ channels: [ch], format: jsonLine, queueSize: 5000, logger: captureLogger(), hooks })
  for (let i = 0; i < 3000; i++) d.emit(makeAlert(i))
  ch.release()
  t.equal(await d.flush(30_000), true)
  t.equal(ch.lines.length, 3000)
  const outOfOrder = ch.lines.map(messageOf).findIndex((m, i) => m !== `alert ${i}`)
  t.equal(outOfOrder, -1, 'alert i is the i-th line, across the batches of 256')
  t.equal(c.delivered.get('gated'), 3000)
  t.equal(await d.close(1000), true)
})

t.test('one POST the receiver refuses (400) among accepted ones: that alert fails alone, the others of its batch count as delivered', async (t) => {
  // a receiver in front of falcosidekick (a WAF, say) that refuses the body quoting one command line
  const posts: Array<{ status: number, body: string }> = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (b: Buffer) => chunks.push(b))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      res.statusCode = body.includes('curl evil.sh') ? 400 : 200
      posts.push({ status: res.statusCode, body })
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const { c, hooks } = counters()
  const log = captureLogger()
  const channel = createHttpChannel({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, contentType: 'application/json', userAgent: 'lanner-test', insecure: false, mtls: false, compressUploads: false, keepAlive: true, timeoutMs: 30_000, retries: 2, backoffMs: 5 })
  const d = createDispatcher({ channels: [channel], format: jsonLine, queueSize: 100, logger: log, hooks })
  // the first alert leaves alone (the queue starts sending at once); the next two are one batch
  d.emit(makeAlert(0))
  d.emit(makeAlert(1, 'shell ran curl evil.sh'))
  d.emit(makeAlert(2))
  t.equal(await d.close(30_000), true)
  t.equal(c.delivered.get('http'), 2)
  t.equal(c.failed.get('http'), 1)
  t.equal(posts.filter((p) => p.status === 400).length, 1, 'a 400 is not retried: retrying cannot fix it')
  t.ok(log.lines.some((l) => l.obj.code === 'ERR_OUTPUT_FAILED' && /^1 of 2 POSTs to 127\.0\.0\.1:\d+ failed: HTTP 400$/.test(String(l.obj.err))), 'logged: one of the batch\'s two POSTs failed with 400')
})

t.test('a priority outside Falco\'s eight is queued as the least severe: a full queue evicts it first', async (t) => {
  const ch = gatedChannel()
  const dropped: QueuedAlert[] = []
  const q = createChannelQueue(ch, 2, { delivered () {}, failed () {}, dropped (a) { dropped.push(...a) } })
  const alert = (rule: string, priority: number): QueuedAlert => ({ line: rule, priority, rule })
  q.push(alert('in flight', 2)) // taken at once into the send the gate holds
  q.push(alert('unknown rank', 42))
  q.push(alert('debug', 7))
  t.equal(q.push(alert('critical', 2)), true, 'a Critical gets in when the queue is full')
  t.same(dropped.map((a) => a.rule), ['debug'], 'the newest of the least severe went: the unknown rank counts as Debug')
  t.equal(q.push(alert('another critical', 2)), true)
  t.same(dropped.map((a) => a.rule), ['debug', 'unknown rank'])
  ch.release()
  await q.idle()
  t.same(ch.lines, ['in flight', 'critical', 'another critical'])
  await q.close()
})

t.test('a drop-summary raiser that throws: the drop is still logged, the process keeps running, alerts keep flowing', async (t) => {
  const ch = gatedChannel()
  const log = captureLogger()
  const { c, hooks } = counters()
  let raised = 0
  const d = createDispatcher({
    channels: [ch],
    format: jsonLine,
    queueSize: 1,
    logger: log,
    hooks,
    onDropSummary () { raised++; throw new Error('internal alert path broken') }
  })
  d.emit(makeAlert(0)) // in flight
  d.emit(makeAlert(1)) // queued
  d.emit(makeAlert(2)) // dropped: the queue holds one
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(raised, 1, 'the summary was raised (and threw)')
  t.ok(log.lines.some((l) => l.obj.code === 'ERR_OUTPUT_QUEUE_FULL'), 'the drop was logged anyway')
  ch.release()
  t.equal(await d.flush(30_000), true)
  d.emit(makeAlert(3))
  t.equal(await d.flush(30_000), true)
  t.same(ch.lines.map(messageOf), ['alert 0', 'alert 1', 'alert 3'])
  t.equal(c.dropped.get('gated'), 1)
  t.equal(await d.close(1000), true)
})
