// The root logger on a file descriptor (serve and replay log to fd 2 by default; createLogger takes
// any fd): with log_format auto and a descriptor that is not a terminal (a file, or fd 2 piped as
// in a pod), JSON records written synchronously; log_stderr: false writes nothing. And the text layout's values: a plain
// word shown bare, an object that merely has a `message` key shown whole (only errors are cut to
// their message).
import t from 'tap'
import { execFile } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import path from 'node:path'
import { createLogger } from '../../src/app/log/logger.ts'
import { formatLogLine } from '../../src/app/log/log-text.ts'

t.test('log_format auto on a file descriptor: one JSON record per line, written before the call returns', async (t) => {
  const file = path.join(t.testdir({}), 'lanner.log')
  const fd = openSync(file, 'w')
  t.teardown(() => { closeSync(fd) })
  const log = createLogger({ level: 'info', stderr: true, format: 'auto' }, fd)
  log.info({ port: 9765 }, 'audit webhook listening')
  log.debug({}, 'below the level')
  // synchronous destination: nothing to wait for
  const lines = readFileSync(file, 'utf8').split('\n')
  t.equal(lines.length, 2, 'one record and the final newline')
  t.match(JSON.parse(lines[0] as string), { level: 30, name: 'lanner', msg: 'audit webhook listening', port: 9765, time: /^\d{4}-\d\d-\d\dT/ })
  t.equal(lines[1], '')
})

t.test('the default destination, fd 2, piped (a pod, a CI job): JSON records on stderr, nothing on stdout', async (t) => {
  // a process of its own: the logger must write to its real fd 2, which is a pipe here, not a terminal
  const logger = new URL('../../src/app/log/logger.ts', import.meta.url).href
  const code = `import { createLogger } from ${JSON.stringify(logger)}
createLogger({ level: 'info', stderr: true }).warn({ file: '/etc/falco/falco.yaml' }, 'config warning')`
  const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeout: 60_000 })
  t.equal(r.stdout, '', 'stdout is for alerts only')
  const lines = r.stderr.trimEnd().split('\n')
  t.equal(lines.length, 1)
  t.match(JSON.parse(lines[0] as string), { level: 40, name: 'lanner', msg: 'config warning', file: '/etc/falco/falco.yaml' })
})

t.test('log_stderr: false on a file descriptor: nothing is written', async (t) => {
  const file = path.join(t.testdir({}), 'lanner.log')
  const fd = openSync(file, 'w')
  t.teardown(() => { closeSync(fd) })
  const log = createLogger({ level: 'debug', stderr: false }, fd)
  log.error({ code: 'ERR_X' }, 'an error nobody asked to see')
  t.equal(log.level, 'silent')
  t.equal(readFileSync(file, 'utf8'), '')
})

t.test('text layout: bare words stay bare; an object with a message key that is not an error is shown whole', async (t) => {
  t.equal(formatLogLine('{"level":30,"time":"T","msg":"config reloaded","module":"config","reason":"SIGHUP"}'),
    'T INFO  config reloaded module=config reason=SIGHUP\n')
  t.equal(formatLogLine('{"level":50,"time":"T","msg":"alert not delivered","response":{"message":"quota exceeded","status":429}}'),
    'T ERROR alert not delivered response={"message":"quota exceeded","status":429}\n')
  t.equal(formatLogLine('{"level":30,"time":"T","msg":"m","word":"a=b","quote":"say \\"hi\\""}'),
    'T INFO  m word="a=b" quote="say \\"hi\\""\n', 'values holding = or quotes are quoted, so key=value stays parseable')
})
