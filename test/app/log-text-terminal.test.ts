// Text log lines for a person at a terminal (lanner.log_format: text), from a real pino logger
// (createLogger) writing to a stream: errors show their message, quoted where they hold spaces;
// levels pino has no name for, records without a time or message, and lines that are not JSON
// come out readable, one per line.
import t from 'tap'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createLogger } from '../../src/app/log/logger.ts'
import { formatLogLine, textDestination } from '../../src/app/log/log-text.ts'
import { lineCollector } from './fixtures.ts'

t.test('a text logger: level, message, then key=value pairs; an Error shows its message', async (t) => {
  const { stream, lines } = lineCollector()
  const log = createLogger({ level: 'debug', stderr: true, format: 'text' }, stream)
  log.error({ err: new Error('connect ECONNREFUSED 127.0.0.1:9'), port: 9, path: '/k8s audit' }, 'output failed')
  log.debug({ empty: null, nested: { a: 1 } }, 'detail')
  await new Promise<void>((resolve) => setImmediate(resolve))
  t.match(lines[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z ERROR output failed err="connect ECONNREFUSED 127\.0\.0\.1:9" port=9 path="\/k8s audit"$/)
  t.match(lines[1], /^\S+ DEBUG detail empty=null nested=\{"a":1\}$/)
  t.notMatch(lines.join('\n'), /pid=|hostname=|name=lanner/, 'what every line carries is left out')
})

t.test('records pino did not make, and text that is not a record', async (t) => {
  t.equal(formatLogLine('{"level":35,"msg":"between info and warn"}'), '35    between info and warn\n', 'an unnamed level shows its number')
  t.equal(formatLogLine('{"level":30,"time":"T"}'), 'T INFO \n', 'no message: nothing invented')
  t.equal(formatLogLine('{"level":30,"time":"T","msg":"m","gone":null,"fn":{}}'), 'T INFO  m gone=null fn={}\n')
  t.equal(formatLogLine('plain text\n'), 'plain text\n', 'a line that already ends is not doubled')
  t.equal(formatLogLine('{not json'), '{not json\n')
})

t.test('a text destination on a file descriptor writes one line per record', async (t) => {
  const dir = t.testdir({})
  const file = `${dir}/log.txt`
  const fd = openSync(file, 'w')
  const dest = textDestination(fd)
  dest.write('{"level":40,"time":"T","msg":"one"}\n{"level":50,"time":"T","msg":"two"}\n')
  closeSync(fd)
  t.equal(readFileSync(file, 'utf8'), 'T WARN  one\nT ERROR two\n')
})

t.test('log_format auto: text lines on a terminal, JSON records anywhere else', async (t) => {
  const tty = lineCollector()
  Object.assign(tty.stream, { isTTY: true })
  createLogger({ level: 'info', stderr: true, format: 'auto' }, tty.stream).info({ port: 1 }, 'listening')
  const pipe = lineCollector()
  createLogger({ level: 'info', stderr: true }, pipe.stream).info({ port: 1 }, 'listening')
  await new Promise<void>((resolve) => setImmediate(resolve))
  t.match(tty.lines[0], /^\S+ INFO  listening port=1$/)
  t.match(JSON.parse(pipe.lines[0] ?? '{}'), { level: 30, msg: 'listening', port: 1, name: 'lanner' })
})
