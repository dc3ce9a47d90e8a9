// The Prometheus names other tools and dashboards read: the webhook's in-flight bytes gauge and
// the probe helper restart counter, as /metrics shows them.
import t from 'tap'
import { createMetrics } from '../../src/app/metrics/metrics.ts'

t.test('lanner_webhook_inflight_bytes follows what the webhook reports', async (t) => {
  const m = createMetrics({ defaultMetrics: false })
  m.webhook.inFlightBytes(6000)
  t.match(await m.text(), /^lanner_webhook_inflight_bytes 6000$/m)
  m.webhook.inFlightBytes(0)
  t.match(await m.text(), /^lanner_webhook_inflight_bytes 0$/m)
})

t.test('lanner_probe_restarts_total starts at 0 and counts each restart', async (t) => {
  const m = createMetrics({ defaultMetrics: false })
  t.match(await m.text(), /^lanner_probe_restarts_total 0$/m, 'present from the start')
  m.probeRestarts()
  m.probeRestarts()
  t.match(await m.text(), /^lanner_probe_restarts_total 2$/m)
})
