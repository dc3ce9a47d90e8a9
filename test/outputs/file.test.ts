import t from 'tap'
import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createDispatcher, createFileChannel } from '../../src/outputs/index.ts'
import { captureLogger, counters, jsonLine, makeAlert, messageOf } from './helpers.ts'
import { skipUnlessRequired } from '../helpers/probe-required.ts'

for (const keepAlive of [true, false]) {
  t.test(`file output appends one alert per line (keep_alive ${keepAlive})`, async (t) => {
    const dir = t.testdir({ 'alerts.log': 'existing line\n' })
    const filename = path.join(dir, 'alerts.log')
    const { c, hooks } = counters()
    const d = createDispatcher({ channels: [createFileChannel({ filename, keepAlive })], format: jsonLine, queueSize: 100, logger: captureLogger(), hooks })
    for (let i = 0; i < 5; i++) d.emit(makeAlert(i))
    t.equal(await d.flush(30_000), true, 'drained')
    const lines = readFileSync(filename, 'utf8').trimEnd().split('\n')
    t.equal(lines[0], 'existing line', 'appends, never truncates')
    t.same(lines.slice(1).map(messageOf), ['alert 0', 'alert 1', 'alert 2', 'alert 3', 'alert 4'])
    t.equal(c.delivered.get('file'), 5)
    await d.close(1000)
  })
}

for (const keepAlive of [true, false]) {
  t.test(`a new alerts file is not world-readable; an existing one keeps its mode (keep_alive ${keepAlive})`, async (t) => {
    const dir = t.testdir({})
    const fresh = path.join(dir, 'fresh.log')
    const kept = path.join(dir, 'kept.log')
    writeFileSync(kept, '')
    chmodSync(kept, 0o644)
    for (const filename of [fresh, kept]) {
      const d = createDispatcher({ channels: [createFileChannel({ filename, keepAlive })], format: jsonLine, queueSize: 10, logger: captureLogger() })
      d.emit(makeAlert(1))
      t.equal(await d.flush(30_000), true)
      await d.close(1000)
    }
    t.equal(statSync(fresh).mode & 0o007, 0, 'no access for others on a file Lanner creates')
    t.equal(statSync(fresh).mode & 0o777 & ~0o640, 0, 'at most 0640')
    t.equal(statSync(kept).mode & 0o777, 0o644, 'an existing file is never chmod-ed')
  })
}

t.test('SIGHUP reopen writes to a fresh file after rotation (keep_alive true)', async (t) => {
  const dir = t.testdir({})
  const filename = path.join(dir, 'alerts.log')
  const d = createDispatcher({ channels: [createFileChannel({ filename, keepAlive: true })], format: jsonLine, queueSize: 100, logger: captureLogger() })
  d.emit(makeAlert(1))
  await d.flush(30_000)
  renameSync(filename, filename + '.1')
  d.emit(makeAlert(2))
  await d.flush(30_000)
  t.match(readFileSync(filename + '.1', 'utf8'), /alert 2/, 'without reopen the open handle follows the renamed file')
  d.reopen()
  d.emit(makeAlert(3))
  await d.flush(30_000)
  t.match(readFileSync(filename, 'utf8'), /alert 3/, 'after reopen alerts go to the new file')
  t.notMatch(readFileSync(filename, 'utf8'), /alert 2/)
  await d.close(1000)
})

t.test('SIGHUP reopen releases the rotated file at once, not at the next alert', { skip: skipUnlessRequired(process.platform !== 'linux' ? '/proc/self/fd is Linux' : undefined) ?? false }, async (t) => {
  const { readdirSync, readlinkSync } = await import('node:fs')
  const dir = t.testdir({})
  const filename = path.join(dir, 'alerts.log')
  const openOn = (p: string): boolean => readdirSync('/proc/self/fd').some((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`) === p } catch { return false } })
  const d = createDispatcher({ channels: [createFileChannel({ filename, keepAlive: true })], format: jsonLine, queueSize: 100, logger: captureLogger() })
  d.emit(makeAlert(1))
  await d.flush(30_000)
  renameSync(filename, filename + '.1')
  t.ok(openOn(filename + '.1'), 'the kept-alive handle follows the rotated file')
  d.reopen()
  // no alert follows: logrotate's deleted file must not stay open (its disk space held) until one does
  // the close runs on libuv's thread pool: polled, bounded by 30 s (a loaded machine delays it)
  for (const deadline = Date.now() + 30_000; openOn(filename + '.1') && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.notOk(openOn(filename + '.1'), 'closed after reopen')
  await d.close(1000)
})

t.test('an unwritable file counts failures and logs ERR_OUTPUT_FAILED', async (t) => {
  const dir = t.testdir({})
  const filename = path.join(dir, 'missing-dir', 'alerts.log')
  const log = captureLogger()
  const { c, hooks } = counters()
  const d = createDispatcher({ channels: [createFileChannel({ filename, keepAlive: false })], format: jsonLine, queueSize: 100, logger: log, hooks })
  d.emit(makeAlert(1))
  await d.flush(30_000)
  t.equal(c.failed.get('file'), 1)
  t.equal(log.lines.filter((l) => l.obj.code === 'ERR_OUTPUT_FAILED').length, 1)
  await d.close(1000)
})
