// A broken rules file reached twice, through its directory and by its own path (rules_files:
// [/etc/falco/rules.d, /etc/falco/rules.d/custom.yaml], a common way to be sure a file is
// loaded): a degraded start leaves it out once, under its one name, with the errors of both
// readings, one internal alert; the other files run.
import t from 'tap'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { createRule } from './fixtures.ts'

t.test('a broken file listed twice: rejected once with every error, alerted once, the rest runs', async (t) => {
  const dir = t.testdir({
    'good.yaml': createRule('Good Rule'),
    'rules.d': { 'custom.yaml': '- rule: Broken\n  condition: (ka.verb=create\n', 'other.yaml': createRule('Other Rule', 'secrets') }
  })
  const custom = path.join(dir, 'rules.d', 'custom.yaml')
  const config = loadConfig({ rules: [path.join(dir, 'good.yaml'), path.join(dir, 'rules.d'), custom], overrides: ['lanner.log_format=json', 'json_output=true'] })
  const logOut = new PassThrough()
  const logs: Array<Record<string, unknown>> = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const alertsOut = new PassThrough()
  const alerts: Array<Record<string, any>> = []
  alertsOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) alerts.push(JSON.parse(l)) })
  const app = await buildApp(config, { stdout: alertsOut, logger: createLogger(config.log, logOut), defaultMetrics: false })
  t.teardown(async () => { await app.dispatcher.close(1000) })

  const r = await app.rules.load({ degraded: true })
  t.equal(r.ok, true, 'starts with what loads')
  t.same(r.rejected.map((x) => x.name), [custom], 'one rejected input, under its path')
  const errors = r.rejected[0]?.errors ?? []
  t.ok(errors.length >= 1)
  t.ok(errors.every((e) => e.location?.file === custom && e.code === 'LOAD_ERR_YAML_VALIDATE'), 'each error is the file\'s own')
  t.same(app.rules.current()?.rules.map((x) => x.name).sort(), ['Good Rule', 'Other Rule'])
  t.match(await app.metrics.text(), /^lanner_rules_rejected_inputs 1$/m)
  const rejectedLines = logs.filter((l) => l.msg === 'rules input rejected: running without it')
  t.equal(rejectedLines.length, errors.length, 'every error logged')
  t.ok(rejectedLines.every((l) => l.input === custom))
  await app.dispatcher.flush(30_000)
  const internal = alerts.filter((a) => a.source === 'internal')
  t.equal(internal.length, 1, 'one internal alert for the file')
  t.match(internal[0]?.output_fields, { rules_file: custom, error_code: 'LOAD_ERR_YAML_VALIDATE', n_errors: errors.length })
})
