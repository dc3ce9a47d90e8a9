// The stdout channel when the reader of the alert stream goes away (`lanner serve | jq` and jq
// exits): writes fail with EPIPE. The failure must reach the channel's caller as a rejection
// (counted and logged by the dispatcher), never as an 'error' event or rejection nobody handles.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createDispatcher, createStdoutChannel } from '../../src/outputs/index.ts'
import { captureLogger, counters, jsonLine, makeAlert, until } from './helpers.ts'

/** A pipe whose reading end belongs to a process that has already exited. */
async function brokenPipe (): Promise<NodeJS.WritableStream> {
  const child = spawn('/bin/sh', ['-c', 'exit 0'], { stdio: ['pipe', 'ignore', 'ignore'] })
  await once(child, 'close')
  return child.stdin
}

for (const buffered of [false, true]) {
  t.test(`a write to a closed pipe rejects the send with the number of lost lines (buffered ${buffered})`, async (t) => {
    const unhandled: unknown[] = []
    const onUnhandled = (err: unknown): void => { unhandled.push(err) }
    process.on('unhandledRejection', onUnhandled)
    t.teardown(() => { process.off('unhandledRejection', onUnhandled) })
    const ch = createStdoutChannel({ stream: await brokenPipe(), buffered })
    const err = await ch.send(['a', 'b', 'c']).then(() => undefined, (e: unknown) => e) as { failed?: number } | undefined
    t.ok(err instanceof Error, 'the send rejects')
    t.equal(err?.failed, 3, 'every line of the send is reported lost')
    // later sends fail at once instead of writing into a dead stream
    const later = await ch.send(['d']).then(() => undefined, (e: unknown) => e) as { failed?: number } | undefined
    t.equal(later?.failed, 1)
    await new Promise((resolve) => setImmediate(resolve))
    t.same(unhandled, [], 'no unhandled rejection')
    await ch.close()
  })
}

t.test('through the dispatcher: stdout failures are counted and logged, other outputs keep receiving', async (t) => {
  const log = captureLogger()
  const { c, hooks } = counters()
  const seen: string[] = []
  const d = createDispatcher({
    channels: [
      createStdoutChannel({ stream: await brokenPipe() }),
      { name: 'memory', async send (lines) { seen.push(...lines) }, async close () {} }
    ],
    format: jsonLine,
    queueSize: 100,
    logger: log,
    hooks
  })
  for (let i = 0; i < 5; i++) d.emit(makeAlert(i))
  await until(() => (c.failed.get('stdout') ?? 0) === 5, 'the stdout failures')
  t.equal(seen.length, 5, 'the other output got every alert')
  t.ok(log.lines.some((l) => l.obj.code === 'ERR_OUTPUT_FAILED' && l.obj.output === 'stdout'), 'logged with its code')
  t.equal(await d.close(1000), true)
})
