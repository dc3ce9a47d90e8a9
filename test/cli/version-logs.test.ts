// `lanner --version`, the version in the start-up log and on the admin port's /version, and logs
// for people (lanner.log_format: text) next to JSON for machines.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runLanner, ROOT } from '../integration/cli-child.ts'
import { adminPort, request, startServe, untilServing, webhookListening } from '../helpers/serve-child.ts'
import { PassThrough } from 'node:stream'
import { formatLogLine } from '../../src/app/log/log-text.ts'
import { createLogger } from '../../src/app/log/logger.ts'

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const LISTEN = ['-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver.listen_address=127.0.0.1', '-o', 'webserver.listen_port=0']

t.test('lanner --version', async (t) => {
  for (const flag of ['--version', '-V']) {
    const r = await runLanner([flag])
    t.equal(r.code, 0)
    t.equal(r.stdout, `lanner ${version} (node ${process.version})\n`)
  }
})

t.test('serve: the version in the first log record and at /version on the admin port', async (t) => {
  const s = startServe(t, ['serve', ...LISTEN])
  await webhookListening(s)
  const first = s.logs[0]
  t.match(first, { msg: `lanner ${version} starting`, version, node: process.version, source: 'k8s_audit' }, 'JSON log records when stderr is no terminal')
  const port = await adminPort(s)
  const res = await request(`http://127.0.0.1:${port}/version`)
  t.equal(res.status, 200)
  t.match(res.headers['content-type'], /application\/json/)
  t.same(JSON.parse(res.body), { version, node: process.version, platform: `${process.platform}/${process.arch}` })
  s.child.kill('SIGTERM')
  t.equal((await s.exited).code, 0)
})

t.test('lanner.log_format: text gives one readable line per record', async (t) => {
  const s = startServe(t, ['serve', ...LISTEN, '-o', 'lanner.log_format=text'])
  const line = await untilServing(s, () => s.stderr().split('\n').find((l) => l.includes('audit webhook listening')), 'the listening line')
  t.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}audit webhook listening port=\d+ path=\/k8s-audit tls=false /)
  t.notMatch(s.stderr(), /^\{/m, 'no JSON record')
  s.child.kill('SIGTERM')
  await s.exited
  const bad = await runLanner(['serve', '--dry-run', '-o', 'lanner.log_format=pretty'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /ERR_CONFIG_INVALID: lanner\.log_format/)
})

t.test('formatLogLine', async (t) => {
  t.equal(formatLogLine('{"level":40,"time":"2026-01-01T00:00:00.000Z","name":"lanner","msg":"probe problem","code":"E1","err":"a b","n":3,"list":[1]}'),
    '2026-01-01T00:00:00.000Z WARN  probe problem code=E1 err="a b" n=3 list=[1]\n')
  t.equal(formatLogLine('not json'), 'not json\n', 'anything else passes unchanged')
})

t.test('log_format auto: text on a terminal, JSON otherwise; json and text force either', async (t) => {
  function linesOf (format: 'auto' | 'json' | 'text' | undefined, tty: boolean): string {
    const out = Object.assign(new PassThrough(), { isTTY: tty })
    let text = ''
    out.on('data', (b: Buffer) => { text += b.toString() })
    createLogger({ level: 'info', stderr: true, ...(format === undefined ? {} : { format }) }, out).info({ port: 1 }, 'hello')
    return text
  }
  t.match(linesOf('auto', true), /^\S+Z INFO {2}hello port=1\n$/, 'a terminal gets text')
  t.match(linesOf(undefined, true), /INFO {2}hello/, 'auto is the default')
  t.match(JSON.parse(linesOf('auto', false)), { msg: 'hello', port: 1, level: 30 }, 'a pipe or file gets JSON')
  t.match(JSON.parse(linesOf('json', true)), { msg: 'hello' }, 'json even on a terminal')
  t.match(linesOf('text', false), /INFO {2}hello port=1/, 'text even into a pipe')
})
