// The Prometheus names other tools and dashboards read: the webhook's in-flight bytes gauge and
// the probe helper restart counter, as /metrics shows them.
import t from 'tap'
import { createMetrics } from '../../src/app/metrics.ts'
import { isRestartNotice } from '../../src/app/syscall-mode.ts'

t.test('lanner_webhook_inflight_bytes follows what the webhook reports', async (t) => {
  const m = createMetrics({ defaultMetrics: false })
  m.webhook.inFlightBytes(6000)
  t.match(await m.text(), /^lanner_webhook_inflight_bytes 6000$/m)
  m.webhook.inFlightBytes(0)
  t.match(await m.text(), /^lanner_webhook_inflight_bytes 0$/m)
})

t.test('lanner_probe_restarts_total counts the loader\'s restart notices only', async (t) => {
  const m = createMetrics({ defaultMetrics: false })
  t.match(await m.text(), /^lanner_probe_restarts_total 0$/m, 'present from the start')
  const notices = [
    { code: 'ERR_SYSCALL_PROBE_FAILED', message: 'probe helper exited (code 1); restarting in 250 ms' },
    { code: 'ERR_SYSCALL_PROBE_FAILED', message: 'onRecords callback threw: Error: x' },
    { code: 'ERR_SYSCALL_UNKNOWN_OP', message: '1 probe record(s) not decoded (1 in all); first: …' },
    { code: 'ERR_SYSCALL_PROBE_FAILED', message: 'probe helper exited (SIGKILL); restarting in 500 ms' }
  ]
  for (const n of notices) if (isRestartNotice(n)) m.probeRestarts()
  t.match(await m.text(), /^lanner_probe_restarts_total 2$/m)
})
