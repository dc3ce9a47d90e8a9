import t from 'tap'
import { PassThrough } from 'node:stream'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { createDispatcher, createFileChannel, createStdoutChannel, type OutputChannel } from '../../src/outputs/index.ts'
import { captureLogger, counters, jsonLine, makeAlert, until } from './helpers.ts'

/** A sink that holds every send until released: the slowest sink possible. */
function stuckChannel (): OutputChannel & { release(): void, sent: string[] } {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const sent: string[] = []
  return {
    name: 'stuck',
    sent,
    release,
    async send (lines) { await gate; sent.push(...lines) },
    async close () {}
  }
}

t.test('a stuck sink overflows its own queue while the other sinks receive every alert', async (t) => {
  const dir = t.testdir({})
  const filename = path.join(dir, 'alerts.log')
  const stuck = stuckChannel()
  const log = captureLogger()
  const { c, hooks } = counters()
  const d = createDispatcher({ channels: [stuck, createFileChannel({ filename, keepAlive: true })], format: jsonLine, queueSize: 10, logger: log, hooks, logIntervalMs: 60000 })
  const fileLines = (): number => { try { return readFileSync(filename, 'utf8').trimEnd().split('\n').length } catch { return 0 } }
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 5; i++) d.emit(makeAlert(round * 5 + i))
    // emit returned without waiting for the stuck sink; the file sink keeps draining on its own
    await until(() => fileLines() === (round + 1) * 5, `file round ${round}`)
  }
  t.equal(fileLines(), 50, 'the file got all 50 alerts')
  t.equal(d.pending(), 10, 'only the stuck queue holds alerts')
  // the first alert is in flight in the stuck sink, 10 wait in its queue, the rest are dropped
  t.equal(c.dropped.get('stuck'), 39, 'overflow drops are counted')
  t.equal(c.dropped.get('file'), undefined)
  const dropLogs = log.lines.filter((l) => l.obj.code === 'ERR_OUTPUT_QUEUE_FULL')
  t.equal(dropLogs.length, 1, 'drops are logged, rate-limited to one line per interval')
  stuck.release()
  t.equal(await d.flush(30_000), true)
  t.equal(stuck.sent.length, 11, 'what was queued is delivered once the sink recovers')
  await d.close(1000)
})

t.test('close() drains with a deadline and counts what is left as dropped', async (t) => {
  const stuck = stuckChannel()
  const log = captureLogger()
  const { c, hooks } = counters()
  const d = createDispatcher({ channels: [stuck], format: jsonLine, queueSize: 100, logger: log, hooks })
  for (let i = 0; i < 5; i++) d.emit(makeAlert(i))
  t.equal(await d.close(50), false, 'the deadline passed')
  t.equal(c.dropped.get('stuck'), 4, 'queued alerts that missed the deadline are counted')
  t.ok(log.lines.some((l) => l.level === 'error' && l.obj.alerts === 4), 'and logged')
  d.emit(makeAlert(9))
  t.equal(c.dropped.get('stuck'), 5, 'alerts after close are dropped and counted')
  stuck.release()
})

t.test('an alert emitted after close() is counted and logged as dropped', async (t) => {
  const log = captureLogger()
  const { c, hooks } = counters()
  const d = createDispatcher({ channels: [stuckChannel()], format: jsonLine, queueSize: 10, logger: log, hooks })
  t.equal(await d.close(50), true, 'nothing was pending')
  d.emit(makeAlert(1))
  t.equal(c.dropped.get('stuck'), 1, 'counted')
  t.ok(log.lines.some((l) => l.obj.code === 'ERR_OUTPUT_QUEUE_FULL' && l.obj.output === 'stuck'), 'and logged, never silent')
})

t.test('a formatter that throws never reaches the caller; the alert is counted as failed', async (t) => {
  const { c, hooks } = counters()
  const ch = stuckChannel()
  const d = createDispatcher({ channels: [ch], format: () => { throw new Error('boom') }, queueSize: 10, logger: captureLogger(), hooks })
  t.doesNotThrow(() => { d.emit(makeAlert(1)) })
  t.equal(c.failed.get('stuck'), 1)
  ch.release()
  await d.close(100)
})

for (const buffered of [false, true]) {
  t.test(`stdout writes one alert per line (buffered ${buffered})`, async (t) => {
    const stream = new PassThrough()
    const chunks: string[] = []
    stream.on('data', (b: Buffer) => chunks.push(b.toString()))
    const d = createDispatcher({ channels: [createStdoutChannel({ stream, buffered })], format: jsonLine, queueSize: 10, logger: captureLogger() })
    d.emit(makeAlert(1))
    d.emit(makeAlert(2))
    await d.flush(30_000)
    t.same(chunks.join('').split('\n'), [jsonLine(makeAlert(1)), jsonLine(makeAlert(2)), ''])
    t.ok(buffered ? chunks.length <= 2 : chunks.length === 2, 'unbuffered: one write per alert')
    await d.close(100)
  })
}

t.test('a real HTTP receiver that never answers overflows only its own queue', async (t) => {
  const http = await import('node:http')
  const held: Array<import('node:http').ServerResponse> = []
  const server = http.createServer(function blackHole (req, res) { req.resume(); held.push(res) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/`
  const { createHttpChannel } = await import('../../src/outputs/index.ts')
  const dir = t.testdir({})
  const filename = path.join(dir, 'alerts.log')
  const { c, hooks } = counters()
  const d = createDispatcher({
    channels: [
      createHttpChannel({ url, userAgent: 't', insecure: false, mtls: false, compressUploads: false, keepAlive: true, timeoutMs: 60000, retries: 0, concurrency: 1, contentType: 'application/json' }),
      createFileChannel({ filename, keepAlive: true })
    ],
    format: jsonLine, queueSize: 5, logger: captureLogger(), hooks
  })
  const fileLines = (): number => { try { return readFileSync(filename, 'utf8').trimEnd().split('\n').length } catch { return 0 } }
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 4; i++) d.emit(makeAlert(round * 4 + i))
    await until(() => fileLines() === (round + 1) * 4, `file round ${round}`)
  }
  await until(() => held.length === 1, 'the first POST to arrive')
  t.equal(fileLines(), 24, 'the file output got every alert')
  t.equal(c.dropped.get('http'), 24 - 1 - 5, 'the HTTP queue held 5, one POST hangs, the rest were dropped and counted')
  for (const res of held) res.end()
  await d.close(100)
})
