// program_output children that exit, as the app accounts for them (app/build.ts wires the
// program output's exits to lanner_output_program_exits_total and the log): a per-alert child
// that fails is counted as an error and warned about; one that succeeds is counted, silently; a
// keep_alive child that stops by itself is warned about even with status 0 (alerts now go to a
// fresh child); one Lanner ended itself on SIGHUP's reopen is counted and not warned about.
// Real shell children, real rules and alerts.
import t, { type Test } from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp, type App } from '../../src/app/build.ts'
import { createAuditBatchHandler } from '../../src/app/audit-mode/audit-handler.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { until } from '../helpers/serve-child.ts'
import { auditEvent, createRule, eventList } from './fixtures.ts'

type LogLine = Record<string, unknown> & { level: number, msg: string }

async function appWithProgram (t: Test, programOutput: (dir: string) => string): Promise<{ app: App, logs: LogLine[], dir: string, alert: (name: string) => Promise<void>, exits: (outcome: string) => Promise<number> }> {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, `rules_files: [rules.yaml]\njson_output: true\nstdout_output: {enabled: false}\nprogram_output: ${programOutput(dir)}\n`)
  const config = loadConfig({ file })
  const logOut = new PassThrough()
  const logs: LogLine[] = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app = await buildApp(config, { logger: createLogger({ ...config.log, format: 'json' }, logOut), defaultMetrics: false })
  t.teardown(async () => { await app.dispatcher.close(5000) })
  t.equal((await app.rules.load()).ok, true)
  const handle = createAuditBatchHandler({ rules: app.rules, emit: app.emit, metrics: app.metrics, maxEventBytes: config.webhook.maxEventBytes })
  return {
    app,
    logs,
    dir,
    async alert (name) { await handle(Buffer.from(eventList([auditEvent({ name })]))) },
    async exits (outcome) {
      const m = new RegExp(`^lanner_output_program_exits_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(await app.metrics.text())
      return m === null ? 0 : Number(m[1])
    }
  }
}

const exitWarnings = (logs: LogLine[]): LogLine[] => logs.filter((l) => l.msg === 'program output exited')

t.test('a per-alert program that fails: counted as an error and warned about with its status', async (t) => {
  const s = await appWithProgram(t, () => '{enabled: true, keep_alive: false, program: "cat > /dev/null; exit 3"}')
  await s.alert('cm-1')
  await until(async () => await s.exits('error') === 1, 'the failed exit to be counted')
  const warned = await until(() => exitWarnings(s.logs)[0], 'the warning')
  t.match(warned, { level: 40, code: 3, keepAlive: false })
  t.equal(await s.exits('ok'), 0)
})

t.test('a per-alert program that succeeds: counted as ok, no warning', async (t) => {
  // the shell runs in the test process's directory: the file is named absolutely
  const s = await appWithProgram(t, (dir) => `{enabled: true, keep_alive: false, program: "cat >> ${path.join(dir, 'alerts.jsonl')}"}`)
  const out = path.join(s.dir, 'alerts.jsonl')
  await s.alert('cm-1')
  await until(async () => await s.exits('ok') === 1, 'the clean exit to be counted')
  t.match(JSON.parse(readFileSync(out, 'utf8')), { rule: 'ConfigMap Created', output_fields: { 'ka.target.name': 'cm-1' } }, 'the program got the alert')
  t.same(exitWarnings(s.logs), [], 'a per-alert child that ends cleanly is how it should end')
  t.equal(await s.exits('error'), 0)
})

t.test('keep_alive: a child that stops by itself is warned about, even with status 0', async (t) => {
  // reads one alert, then stops although Lanner meant it to stay
  const s = await appWithProgram(t, (dir) => `{enabled: true, keep_alive: true, program: "head -n 1 >> ${path.join(dir, 'once.jsonl')}"}`)
  await s.alert('cm-1')
  const warned = await until(() => exitWarnings(s.logs)[0], 'the warning for the child that stopped')
  t.match(warned, { level: 40, code: 0, keepAlive: true })
  t.equal(await s.exits('ok'), 1, 'status 0: counted as ok')
})

t.test('keep_alive: a child Lanner ended on the reopen is counted, not warned about', async (t) => {
  const k = await appWithProgram(t, (dir) => `{enabled: true, keep_alive: true, program: "cat >> ${path.join(dir, 'kept.jsonl')}"}`)
  const kept = path.join(k.dir, 'kept.jsonl')
  await k.alert('cm-2')
  await until(() => { try { return readFileSync(kept, 'utf8').includes('cm-2') } catch { return false } }, 'the kept-alive child to get the alert')
  // SIGHUP's reopen: Lanner ends the child itself (stdin closed), the next alert gets a new one
  k.app.dispatcher.reopen()
  await until(async () => await k.exits('ok') === 1, 'the reopened child\'s exit to be counted')
  t.same(exitWarnings(k.logs), [], 'an exit Lanner asked for is not a warning')
  await k.alert('cm-3')
  await until(() => readFileSync(kept, 'utf8').includes('cm-3'), 'a fresh child to get the next alert')
})
