// Rules loads that go wrong outside the rules text, through the rules manager's exported API only
// (its internals are being split into units): a rules file that disappears is a rejected reload
// with the old rules kept, logged and counted; a ruleset listener (the evaluation workers) that
// fails is logged and does not undo the install.
import t, { type Test } from 'tap'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { createRule } from './fixtures.ts'

async function setup (t: Test) {
  const dir = t.testdir({ 'rules.yaml': createRule('Kept Rule') })
  const config = loadConfig({ rules: [path.join(dir, 'rules.yaml')], overrides: ['lanner.log_format=json'] })
  const logOut = new PassThrough()
  const logs: Array<Record<string, unknown>> = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app = await buildApp(config, { stdout: new PassThrough(), logger: createLogger(config.log, logOut), defaultMetrics: false })
  t.teardown(async () => { await app.dispatcher.close(1000) })
  const metric = async (name: string): Promise<number> => {
    const m = (await app.metrics.text()).split('\n').find((l) => l.startsWith(name + ' '))
    return m === undefined ? 0 : Number(m.split(' ')[1])
  }
  return { dir, app, logs, metric }
}

t.test('a rules file deleted after the start: the reload is rejected and the old rules keep running', async (t) => {
  const s = await setup(t)
  t.equal((await s.app.rules.load()).ok, true)
  const running = s.app.rules.current()
  rmSync(path.join(s.dir, 'rules.yaml'))
  t.equal(await s.app.rules.reload('file removed'), false)
  t.equal(s.app.rules.current(), running, 'the running ruleset is kept')
  t.same(s.app.rules.current()?.rules.map((r) => r.name), ['Kept Rule'])
  const rejected = s.logs.find((l) => l.msg === 'rules reload rejected: the previous rules keep running')
  t.match(rejected, { level: 50, reason: 'file removed' })
  t.match(rejected?.errors, [/LOAD_ERR_FILE_READ: Could not read rules file .*rules\.yaml: ENOENT/], 'the error says the file cannot be read')
  t.equal(await s.metric('lanner_rules_reload_failures_total'), 1)
})

t.test('a ruleset listener that fails is logged; the ruleset is installed all the same', async (t) => {
  const s = await setup(t)
  const seen: string[][] = []
  s.app.rules.onInstall(async (inputs) => { seen.push(inputs.map((i) => path.basename(i.name))); throw new Error('worker 0 refused the rules') })
  const first = await s.app.rules.load()
  t.equal(first.ok, true)
  t.ok(s.app.rules.current(), 'installed')
  t.same(seen, [['rules.yaml']], 'the listener got the texts of the installed ruleset')
  t.match(s.logs.find((l) => l.msg === 'a ruleset listener failed'), { level: 50, module: 'rules', err: 'worker 0 refused the rules' })
  t.equal(await s.app.rules.reload('again'), true, 'a reload is not failed by the listener either')
  t.equal(s.logs.filter((l) => l.msg === 'a ruleset listener failed').length, 2)
})
