// A SIGHUP that arrives while the service is still starting (rules loading, servers not up yet):
// the reload triggers are not installed, so the service itself must hear it (SIGHUP's default
// action ends the process) and turn it into a reload after the first load, so an edit made
// meanwhile is not missed.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { runService } from '../../src/app/service.ts'
import { createRule } from './fixtures.ts'
import { until } from '../helpers/serve-child.ts'

t.test('a SIGHUP during start-up becomes a reload once the first load is done', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('Version One') })
  const config = loadConfig({
    rules: [path.join(dir, 'rules.yaml')],
    overrides: ['watch_config_files=false', 'log_level=debug', 'webserver.enabled=false', 'lanner.webhook.listen=127.0.0.1:0']
  })
  const logOut = new PassThrough()
  const logs: Array<Record<string, unknown>> = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app = await buildApp(config, { stdout: new PassThrough(), logger: createLogger(config.log, logOut), defaultMetrics: false })
  let stop!: (sig: string) => void
  const stopSignal = new Promise<string>((resolve) => { stop = resolve })
  let ready!: () => void
  const serving = new Promise<void>((resolve) => { ready = resolve })
  const listenersBefore = process.listenerCount('SIGHUP')

  const run = runService(app, { onFatal: (line) => { t.fail(line) }, stopSignal, onReady: () => { ready() } })
  // still starting: the first load has not run yet; the file changes before it is reread
  t.ok(process.listenerCount('SIGHUP') > listenersBefore, 'SIGHUP is handled from the start')
  writeFileSync(path.join(dir, 'rules.yaml'), createRule('Version Two'))
  process.emit('SIGHUP', 'SIGHUP')
  await serving
  const current = (): string[] => app.rules.current()?.rules.map((r) => r.name) ?? []
  await until(() => current().includes('Version Two') && logs.some((l) => l.msg === 'rules reloaded'), 'the reload')
  t.ok(logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('SIGHUP during start-up')), 'logged')
  stop('SIGTERM')
  t.equal(await run, 0)
  t.equal(process.listenerCount('SIGHUP'), listenersBefore, 'no listener left behind')
  await app.dispatcher.close(1000)
})
