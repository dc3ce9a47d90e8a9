// The syscall drop alert: aggregated, rate-limited, never silent.
import t from 'tap'
import { createDropAlerter, DROP_RULE, RULES_REJECTED_RULE, rulesRejectedAlert, syscallDropAlert } from '../../src/app/metrics/internal-alerts.ts'
import type { Alert } from '../../src/events/index.ts'

t.test('a drop alert carries the count, source internal and Falco’s rule name', async (t) => {
  const a = syscallDropAlert(5n, { drops: 42, dropsPerCpu: [40, 2], seconds: 10 }, 'node-1')
  t.match(a, { rule: DROP_RULE, source: 'internal', priority: 4, hostname: 'node-1', outputFields: { n_drops: 42, n_drops_per_cpu: [40, 2] } })
  t.match(a.message, /42 system calls dropped/)
})

t.test('drops between alerts are summed into the next alert; one alert per interval', async (t) => {
  let now = 1000
  const alerts: Alert[] = []
  const d = createDropAlerter(10000, (a) => { alerts.push(a) }, () => now)
  d.report(1n, 0, [0])
  t.equal(alerts.length, 0, 'no drops, no alert')
  d.report(1n, 5, [5])
  t.equal(alerts.length, 1, 'the first drop alerts at once')
  now += 3000
  d.report(2n, 7, [12])
  now += 3000
  d.report(3n, 1, [13])
  t.equal(alerts.length, 1, 'within the interval drops are held')
  now += 5000
  d.report(4n, 2, [15])
  t.equal(alerts.length, 2)
  t.equal(alerts[1]?.outputFields.n_drops, 10, 'held drops are not lost')
  now += 1000
  d.report(5n, 4, [19])
  now += 20000
  d.report(6n, 0, [19])
  t.equal(alerts.length, 3, 'drops held when the drops stopped go out with the next quiet stats report')
  t.equal(alerts[2]?.outputFields.n_drops, 4)
  d.report(7n, 0, [19])
  t.equal(alerts.length, 3, 'nothing pending, nothing sent')
})

t.test('a rejected rules file alert names the file and its first error, at Error priority', async (t) => {
  const a = rulesRejectedAlert(7n, { input: '/etc/falco/rules.d/custom.yaml', firstError: '/etc/falco/rules.d/custom.yaml:3:5: LOAD_ERR_YAML_PARSE: bad', firstCode: 'LOAD_ERR_YAML_PARSE', errors: 2 }, 'node-1')
  t.match(a, {
    rule: RULES_REJECTED_RULE,
    source: 'internal',
    priority: 3,
    hostname: 'node-1',
    outputFields: { rules_file: '/etc/falco/rules.d/custom.yaml', error_code: 'LOAD_ERR_YAML_PARSE', error_detail_code: null, n_errors: 2 }
  })
  t.match(a.message, /custom\.yaml is not loaded \(2 error\(s\)\).*custom\.yaml:3:5: LOAD_ERR_YAML_PARSE/)
})
