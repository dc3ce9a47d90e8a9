// Rejected rules inputs: every error logged with its code, the gauge set, and one internal alert
// per newly rejected input (not per reload); a recovered input alerts again if it breaks again.
import t from 'tap'
import type { Alert } from '../../src/events/index.ts'
import { RulesRejections } from '../../src/app/rules/rules-rejections.ts'
import type { RejectedInput } from '../../src/app/rules/rules-degraded.ts'
import type { LoadIssue } from '../../src/rules/index.ts'

function issue (file: string, message: string, line = 3): LoadIssue {
  return { code: 'LOAD_ERR_YAML_PARSE', severity: 'error', message, location: { file, pos: { offset: 0, line, col: 1 } } }
}

function rejections (): { r: RulesRejections, alerts: Alert[], logged: Array<Record<string, unknown>>, gauge: number[] } {
  const alerts: Alert[] = []
  const logged: Array<Record<string, unknown>> = []
  const gauge: number[] = []
  const r = new RulesRejections({
    log: { error (obj: object | string) { logged.push(obj as Record<string, unknown>) } },
    metrics: { rulesRejected (n) { gauge.push(n) } },
    emit (alert) { alerts.push(alert) },
    hostname: () => 'node-a'
  })
  return { r, alerts, logged, gauge }
}

const broken: RejectedInput = { name: '/etc/lanner/b.yaml', errors: [issue('/etc/lanner/b.yaml', 'bad indent'), issue('/etc/lanner/b.yaml', 'bad list', 9)] }

t.test('each error of each rejected input is logged with its code; the gauge counts inputs', async (t) => {
  const { r, logged, gauge } = rejections()
  r.note([broken])
  t.same(r.current, [broken])
  t.same(gauge, [1])
  t.same(logged.map((l) => [l.input, l.code, l.error]), [
    ['/etc/lanner/b.yaml', 'LOAD_ERR_YAML_PARSE', '/etc/lanner/b.yaml:3:1: LOAD_ERR_YAML_PARSE: bad indent'],
    ['/etc/lanner/b.yaml', 'LOAD_ERR_YAML_PARSE', '/etc/lanner/b.yaml:9:1: LOAD_ERR_YAML_PARSE: bad list']
  ])
})

t.test('one alert per rejection: the same failure on the next reload is not alerted again', async (t) => {
  const { r, alerts } = rejections()
  r.note([broken])
  r.note([broken])
  t.equal(alerts.length, 1)
  t.equal(alerts[0]?.hostname, 'node-a')
  t.equal(alerts[0]?.outputFields.rules_file, '/etc/lanner/b.yaml')
  t.equal(alerts[0]?.outputFields.error_code, 'LOAD_ERR_YAML_PARSE')
  r.note([{ name: broken.name, errors: [issue(broken.name, 'another problem')] }])
  t.equal(alerts.length, 2, 'failing differently is news')
})

t.test('an input that loads again is forgotten: breaking again alerts again', async (t) => {
  const { r, alerts, gauge } = rejections()
  r.note([broken])
  r.note([])
  t.same(r.current, [])
  r.note([broken])
  t.equal(alerts.length, 2)
  t.same(gauge, [1, 0, 1])
})
