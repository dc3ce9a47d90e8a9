// A degraded start with several broken rules files, as serve runs it (rules manager, exported API
// only): every broken file is left out (the loader stops at a file's first error, as Falco's, so
// the second one is found in a later round), each logged with its error and raising one internal
// alert, in rules-file order; the good file between them runs.
import t from 'tap'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { createRule } from './fixtures.ts'

// an unknown field: LOAD_ERR_COMPILE_CONDITION
const UNKNOWN_FIELD = createRule('First Broken', 'configmaps', ' and ka.nope.one=1')
// a macro that never closes its parenthesis: one error
const ONE_ERROR = '- macro: half\n  condition: (ka.verb=create\n'

t.test('two broken files around a good one: both left out in file order, each logged and alerted once; the good one runs', async (t) => {
  const dir = t.testdir({ 'a-unknown-field.yaml': UNKNOWN_FIELD, 'b-good.yaml': createRule('Good Rule'), 'c-one-error.yaml': ONE_ERROR })
  const files = ['a-unknown-field.yaml', 'b-good.yaml', 'c-one-error.yaml'].map((f) => path.join(dir, f))
  const config = loadConfig({ rules: files, overrides: ['lanner.log_format=json', 'json_output=true'] })
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
  t.same(r.rejected.map((x) => x.name), [files[0], files[2]], 'rejected in rules-file order')
  t.same(r.rejected.map((x) => x.errors.map((e) => e.code)), [['LOAD_ERR_COMPILE_CONDITION'], ['LOAD_ERR_COMPILE_CONDITION']])
  t.same(app.rules.current()?.rules.map((x) => x.name), ['Good Rule'])
  const rejectedLines = logs.filter((l) => l.msg === 'rules input rejected: running without it')
  t.same(rejectedLines.map((l) => path.basename(l.input as string)), ['a-unknown-field.yaml', 'c-one-error.yaml'], 'each rejected input logged')
  t.match(rejectedLines[0], { level: 50, code: 'LOAD_ERR_COMPILE_CONDITION', error: /a-unknown-field\.yaml:\d+:\d+: .*ka\.nope\.one/ })
  t.match(rejectedLines[1], { level: 50, code: 'LOAD_ERR_COMPILE_CONDITION', error: /c-one-error\.yaml:\d+:\d+: / })
  t.match(await app.metrics.text(), /^lanner_rules_rejected_inputs 2$/m)
  await app.dispatcher.flush(30_000)
  const internal = alerts.filter((a) => a.source === 'internal')
  t.same(internal.map((a) => path.basename(a.output_fields.rules_file)), ['a-unknown-field.yaml', 'c-one-error.yaml'], 'one internal alert per rejected file')
  t.match(internal[0]?.output_fields, { error_code: 'LOAD_ERR_COMPILE_CONDITION', n_errors: 1 })
  // a reload that fails the same way is not news: no second alert
  t.equal(await app.rules.reload('unchanged'), true, 'a degraded instance reloads without the same inputs')
  await app.dispatcher.flush(30_000)
  t.equal(alerts.filter((a) => a.source === 'internal').length, 2)
})
