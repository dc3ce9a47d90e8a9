// The hostname of Lanner's internal alerts when the caller names none, as audit mode builds its
// unusable-batches reporter: FALCO_HOSTNAME (set from spec.nodeName in Falco's DaemonSet) names
// the node, as in Falco; without it, the machine's hostname. And that reporter on its real timer:
// batches after the first are summed and reported when the interval ends, without another batch
// to trigger it.
import t, { type Test } from 'tap'
import { hostname } from 'node:os'
import type { Alert } from '../../src/events/index.ts'
import { RULES_REJECTED_RULE, UNUSABLE_BATCHES_RULE, rulesRejectedAlert } from '../../src/app/metrics/internal-alerts.ts'
import { createUnusableReporter } from '../../src/app/audit-mode/unusable-batches.ts'

function withFalcoHostname (t: Test, value: string | undefined): void {
  const saved = process.env.FALCO_HOSTNAME
  if (value === undefined) delete process.env.FALCO_HOSTNAME
  else process.env.FALCO_HOSTNAME = value
  t.teardown(() => { if (saved === undefined) delete process.env.FALCO_HOSTNAME; else process.env.FALCO_HOSTNAME = saved })
}

t.test('unusable batches, reporter built as audit mode does: FALCO_HOSTNAME in each alert, the sum at the end of the interval', async (t) => {
  withFalcoHostname(t, 'falco-node-7')
  const alerts: Alert[] = []
  let secondAlert: () => void = () => {}
  const second = new Promise<void>((resolve) => { secondAlert = resolve })
  const warnings: unknown[] = []
  const r = createUnusableReporter({
    intervalMs: 200,
    metrics: { unusableBatch () {} },
    logger: { warn: (o: unknown) => { warnings.push(o) } },
    emit: (a) => { alerts.push(a); if (alerts.length === 2) secondAlert() }
  })
  t.teardown(() => { r.close() })
  const batch = (reason: string) => ({ reason, message: `${reason} message`, bytes: 10, remote: '10.0.0.1', status: 200 })
  r.record(batch('ERR_AUDIT_BAD_JSON'))
  r.record(batch('ERR_AUDIT_NOT_RECOGNIZED'))
  r.record(batch('ERR_AUDIT_NOT_RECOGNIZED'))
  t.equal(alerts.length, 1, 'the first at once, the next two held for the interval')
  // the reporter's timer is unref'd (it must not keep a stopping process alive): hold the loop
  // open while waiting, and fail rather than hang if the report never comes
  const guard = setTimeout(() => { secondAlert() }, 60_000)
  await second
  clearTimeout(guard)
  t.equal(alerts.length, 2, 'the held batches reported by the timer')
  t.match(alerts[0], { rule: UNUSABLE_BATCHES_RULE, hostname: 'falco-node-7', outputFields: { n_batches: 1, last_reason: 'ERR_AUDIT_BAD_JSON' } })
  t.match(alerts[1], { rule: UNUSABLE_BATCHES_RULE, hostname: 'falco-node-7', outputFields: { n_batches: 2, reasons: { ERR_AUDIT_NOT_RECOGNIZED: 2 } } })
  t.equal(warnings.length, 2, 'one log line per report')
})

t.test('unusable batches without FALCO_HOSTNAME: the machine hostname', async (t) => {
  withFalcoHostname(t, undefined)
  const alerts: Alert[] = []
  const r = createUnusableReporter({ intervalMs: 60_000, metrics: { unusableBatch () {} }, logger: { warn () {} }, emit: (a) => { alerts.push(a) } })
  r.record({ reason: 'ERR_AUDIT_BAD_JSON', message: 'not JSON', bytes: 3, remote: '10.0.0.1', status: 200 })
  r.close()
  t.match(alerts, [{ rule: UNUSABLE_BATCHES_RULE, hostname: hostname() }])
})

t.test('a rejected rules file alert without a hostname given: FALCO_HOSTNAME, else the machine hostname', async (t) => {
  const rejected = { input: '/etc/falco/rules.d/custom.yaml', firstError: '/etc/falco/rules.d/custom.yaml:3:5: LOAD_ERR_YAML_PARSE: bad', firstCode: 'LOAD_ERR_YAML_PARSE' as const, errors: 1 }
  await t.test('FALCO_HOSTNAME set', async (t) => {
    withFalcoHostname(t, 'falco-node-7')
    t.match(rulesRejectedAlert(1n, rejected), { rule: RULES_REJECTED_RULE, hostname: 'falco-node-7' })
  })
  await t.test('FALCO_HOSTNAME unset', async (t) => {
    withFalcoHostname(t, undefined)
    t.match(rulesRejectedAlert(1n, rejected), { rule: RULES_REJECTED_RULE, hostname: hostname() })
  })
})
