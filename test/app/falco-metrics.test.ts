// Falco's metric names as Lanner writes them: Prometheus text for the rule counters (labels
// sorted, tags as tag_<tag>, values escaped), the switches of the metrics section, and the
// snapshot alert's fields; counting through the AppMetrics wrapper.
import t from 'tap'
import { createMetrics } from '../../src/app/metrics/metrics.ts'
import { falcoPrometheusText, metricsSnapshotAlert, withFalcoMetrics } from '../../src/app/metrics/falco-metrics.ts'
import { loadConfig } from '../../src/config/index.ts'
import type { Alert } from '../../src/events/index.ts'

function alert (rule: string, tags: string[], source = 'k8s_audit'): Alert {
  return { time: 1n, rule, priority: 4, source, tags, hostname: 'h', message: 'm', outputFields: {} }
}

t.test('rules_matches_total per rule with Falco labels; internal alerts are not counted', async (t) => {
  const cfg = loadConfig({ overrides: ['metrics.enabled=true'] })
  const m = withFalcoMetrics(createMetrics({ defaultMetrics: false }), () => cfg, () => [{ name: '/r/rules.yaml', content: 'x' }])
  m.alert(alert('Rule "quoted" \\ back', ['k8s', 'mitre-T1059', 'a.b']))
  m.alert(alert('Rule "quoted" \\ back', ['k8s', 'mitre-T1059', 'a.b']))
  m.alert(alert('Falco internal: metrics snapshot', [], 'internal'))
  m.webhook.events(5, 1)
  m.outputHooks.dropped?.('stdout', 3)
  const text = await m.text()
  t.match(text, /^falcosecurity_falco_rules_matches_total\{priority="4",rule_name="Rule \\"quoted\\" \\\\ back",source="k8s_audit",tag_a_b="true",tag_k8s="true",tag_mitre_T1059="true"\} 2$/m)
  t.notMatch(text, /rule_name="Falco internal/)
  t.match(text, /^falcosecurity_scap_n_evts_total 5$/m)
  t.match(text, /^falcosecurity_falco_outputs_queue_num_drops_total 3$/m)
  t.match(text, /^falcosecurity_falco_sha256_rules_files_info\{file_name="rules.yaml",sha256="2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"\} 1$/m, 'sha256 of the rules text')
  t.match(text, /^lanner_alerts_total\{rule="Falco internal: metrics snapshot",priority="Warning",source="internal"\} 1$/m, 'Lanner\'s counter still sees everything')
  t.match(text, /^falcosecurity_scap_engine_name_info\{engine_name="source_plugin",evt_source="k8s_audit"\} 1$/m)
})

t.test('metrics.enabled false: only Lanner\'s names; the switches drop their series', async (t) => {
  let cfg = loadConfig({})
  const m = withFalcoMetrics(createMetrics({ defaultMetrics: false }), () => cfg, () => undefined)
  m.alert(alert('R', []))
  t.notMatch(await m.text(), /falcosecurity_/)
  cfg = loadConfig({ overrides: ['metrics={enabled: true, rules_counters_enabled: false, resource_utilization_enabled: false, kernel_event_counters_enabled: false}'] })
  const text = await m.text()
  t.match(text, /falcosecurity_falco_version_info/)
  t.notMatch(text, /falcosecurity_falco_rules_matches_total|falcosecurity_falco_cpu_usage_ratio|falcosecurity_scap_n_evts_total/)
})

t.test('the snapshot alert: Falco\'s rule, priority, output and field names', async (t) => {
  const cfg = loadConfig({ overrides: ['metrics.enabled=true'], source: 'syscall' })
  const m = withFalcoMetrics(createMetrics({ defaultMetrics: false }), () => cfg, () => undefined)
  m.eventsReceived('syscall', 100)
  m.syscallDrops(4)
  m.alert(alert('Shell', ['shell'], 'syscall'))
  const state = { prevEvents: 0, prevNs: m.falco.startNs, prevDrops: 0 }
  const a = metricsSnapshotAlert(m.falco.startNs + 2_000_000_000n, cfg, m.falco, state, 'node-1')
  t.match(a, { rule: 'Falco internal: metrics snapshot', priority: 6, source: 'internal', message: 'Falco metrics snapshot', hostname: 'node-1' })
  t.match(a.outputFields, { 'evt.source': 'syscall', 'falco.num_evts': 100, 'falco.evts_rate_sec': 50, 'scap.n_evts': 100, 'scap.n_drops': 4, 'scap.engine_name': 'modern_bpf', 'falco.rules.Shell': 1, 'falco.rules.matches_total': 1, 'falco.duration_sec': 2 })
  t.type(a.outputFields['falco.memory_rss_mb'], 'number')
  const b = metricsSnapshotAlert(m.falco.startNs + 4_000_000_000n, cfg, m.falco, state, 'node-1')
  t.match(b.outputFields, { 'falco.num_evts_prev': 100, 'falco.evts_rate_sec': 0 })
})
