// Channel behaviour at the edges users hit: a SIGHUP reopen that lands while an alert is being
// written (logrotate racing a burst), and a stdout whose write fails without an errno code.
import t from 'tap'
import { readFileSync, readdirSync, readlinkSync, renameSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { createFileChannel, createStdoutChannel } from '../../src/outputs/index.ts'
import { skipUnlessRequired } from '../helpers/probe-required.ts'

function openFiles (): string[] {
  return readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`) } catch { return '' } })
}

t.test('file output: a reopen during a write lets that write finish, then closes the rotated file', { skip: skipUnlessRequired(process.platform !== 'linux' ? '/proc/self/fd is Linux' : undefined) ?? false }, async (t) => {
  const dir = t.testdir({})
  const filename = path.join(dir, 'alerts.log')
  const ch = createFileChannel({ filename, keepAlive: true })
  t.teardown(() => ch.close())
  await ch.send(['one'])
  renameSync(filename, filename + '.1') // logrotate's move
  t.ok(openFiles().includes(filename + '.1'), 'the kept-alive handle follows the rotated file')
  const writing = ch.send(['two'])
  ch.reopen?.() // SIGHUP arrives while that send is under way
  await writing
  t.notOk(openFiles().includes(filename + '.1'), 'the rotated file is closed once the write in progress is done')
  t.equal(readFileSync(filename + '.1', 'utf8'), 'one\n')
  t.equal(readFileSync(filename, 'utf8'), 'two\n', 'the write that straddled the reopen went to the new file')
  await ch.send(['three'])
  t.equal(readFileSync(filename, 'utf8'), 'two\nthree\n')
})

t.test('stdout: a write error without an errno code is reported with its message', async (t) => {
  const stream = new Writable({ write (_chunk, _enc, done) { done(new Error('terminal went away')) } })
  stream.on('error', () => {}) // the stream's own error event; the channel listens too
  const ch = createStdoutChannel({ stream })
  const err = await ch.send(['a', 'b']).then(() => undefined, (e: unknown) => e) as Error & { failed?: number } | undefined
  t.equal(err?.failed, 2)
  t.equal(err?.message, '2 of 2 lines not written to stdout: terminal went away')
  await ch.close()
})
