// Unusable batches reported once each in the metric, and in one log line and one internal alert
// per interval (the first at once, later ones summed and sent when the interval ends or at close).
import t from 'tap'
import type { Alert } from '../../src/events/index.ts'
import { UNUSABLE_BATCHES_RULE } from '../../src/app/metrics/internal-alerts.ts'
import { createUnusableReporter } from '../../src/app/audit-mode/unusable-batches.ts'

t.test('first at once, the rest summed per interval, close flushes', async (t) => {
  let clock = 0
  const counted: string[] = []
  const alerts: Alert[] = []
  const warnings: unknown[] = []
  let timer: (() => void) | undefined
  const r = createUnusableReporter({
    intervalMs: 60_000,
    metrics: { unusableBatch: (reason) => { counted.push(reason) } },
    logger: { warn: (o: unknown) => { warnings.push(o) } },
    emit: (a) => { alerts.push(a) },
    hostname: 'h',
    now: () => clock,
    schedule: (fn) => { timer = fn; return () => { timer = undefined } }
  })
  const batch = (reason: string, status = 200) => ({ reason, message: `${reason} message`, bytes: 10, remote: '10.0.0.1', status })
  r.record(batch('ERR_AUDIT_BAD_JSON'))
  t.equal(alerts.length, 1, 'the first one at once')
  t.match(alerts[0], { rule: UNUSABLE_BATCHES_RULE, priority: 3, source: 'internal', hostname: 'h', outputFields: { n_batches: 1, last_reason: 'ERR_AUDIT_BAD_JSON', last_status: 200 } })
  clock = 1000
  r.record(batch('ERR_AUDIT_NOT_RECOGNIZED'))
  r.record(batch('ERR_WEBHOOK_TOO_LARGE', 413))
  t.equal(alerts.length, 1, 'held within the interval')
  t.same(counted, ['ERR_AUDIT_BAD_JSON', 'ERR_AUDIT_NOT_RECOGNIZED', 'ERR_WEBHOOK_TOO_LARGE'], 'the metric counts each batch at once')
  clock = 60_000
  timer?.()
  t.equal(alerts.length, 2)
  t.match(alerts[1]?.outputFields, { n_batches: 2, reasons: { ERR_AUDIT_NOT_RECOGNIZED: 1, ERR_WEBHOOK_TOO_LARGE: 1 }, last_status: 413 })
  t.match(alerts[1]?.message, /2 audit batch\(es\) in last 59 seconds/)
  clock = 70_000
  r.record(batch('ERR_AUDIT_BAD_JSON'))
  t.equal(alerts.length, 2, 'within the interval of the last report')
  r.close()
  t.equal(alerts.length, 3, 'close reports what is pending')
  t.equal(warnings.length, 3, 'one log line per alert')
  r.close()
  t.equal(alerts.length, 3, 'nothing pending, nothing sent')
})
