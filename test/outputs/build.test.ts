// The channels a falco.yaml turns on, built as `lanner serve` builds them (loadConfig, then
// buildChannels and buildAlertFormatter from the resolved config), with one alert delivered
// through all of them: the stdout stream, the file, and falcosidekick (its own validation).
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildAlertFormatter, buildChannels, createDispatcher } from '../../src/outputs/index.ts'
import { startFalcosidekick } from '../helpers/falcosidekick.ts'
import { captureLogger, counters, makeAlert } from './helpers.ts'

function captureStream (): { stream: PassThrough, text: () => string } {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') }
}

t.test('stdout, file and http_output from falco.yaml: Falco\'s order, one JSON alert reaching each, falcosidekick accepting it', async (t) => {
  const dir = t.testdir({})
  const alertsFile = path.join(dir, 'alerts.json')
  const sidekick = await startFalcosidekick(t)
  writeFileSync(path.join(dir, 'falco.yaml'), [
    'json_output: true',
    'json_include_output_property: true',
    'stdout_output:',
    '  enabled: true',
    'file_output:',
    '  enabled: true',
    '  keep_alive: false',
    `  filename: ${alertsFile}`,
    'http_output:',
    '  enabled: true',
    `  url: ${sidekick.url}`,
    ''
  ].join('\n'))
  const config = loadConfig({ file: path.join(dir, 'falco.yaml') })
  const out = captureStream()
  const channels = buildChannels(config.outputs, { json: config.json.enabled, stdout: out.stream })
  t.same(channels.map((c) => c.name), ['stdout', 'file', 'http'], 'stdout, file, program, http: Falco\'s order')
  const { c, hooks } = counters()
  const d = createDispatcher({ channels, format: buildAlertFormatter(config), queueSize: 10, logger: captureLogger(), hooks })
  d.emit(makeAlert(7, 'a shell ran'))
  t.equal(await d.close(30_000), true, 'drained')
  t.same([...c.delivered.entries()].sort(), [['file', 1], ['http', 1], ['stdout', 1]])
  t.same([...c.failed.entries()], [], 'no channel failed')

  const line = out.text().trimEnd()
  t.match(JSON.parse(line), { rule: 'rule-1', priority: 'Warning', output: /a shell ran$/, output_fields: { 'ka.verb': 'create' } })
  t.equal(readFileSync(alertsFile, 'utf8'), line + '\n', 'the file holds the same line')
  t.equal(sidekick.posts.length, 1)
  t.equal(sidekick.posts[0]?.accepted, true, 'falcosidekick accepted it')
  t.equal(sidekick.posts[0]?.contentType, 'application/json', 'json_output: the http channel posts application/json')
  t.equal(sidekick.posts[0]?.body, line)
})

t.test('json_output false: the http channel posts the text line as text/plain; disabled outputs build no channel', async (t) => {
  const dir = t.testdir({})
  const received: Array<{ type: string | undefined, body: string }> = []
  const http = await import('node:http')
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (b: Buffer) => chunks.push(b))
    req.on('end', () => { received.push({ type: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }); res.end() })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/`
  writeFileSync(path.join(dir, 'falco.yaml'), `json_output: false\nstdout_output:\n  enabled: false\nhttp_output:\n  enabled: true\n  url: ${url}\n`)
  const config = loadConfig({ file: path.join(dir, 'falco.yaml') })
  const channels = buildChannels(config.outputs, { json: config.json.enabled })
  t.same(channels.map((c) => c.name), ['http'], 'stdout off, file and program off by default')
  const d = createDispatcher({ channels, format: buildAlertFormatter(config), queueSize: 10, logger: captureLogger() })
  d.emit(makeAlert(1, 'a shell ran'))
  t.equal(await d.close(30_000), true)
  t.equal(received.length, 1)
  t.equal(received[0]?.type, 'text/plain')
  t.match(received[0]?.body, /^\S+: Warning a shell ran$/, 'Falco\'s text line: time, priority, message')
})
