// Falco's metric names for the syscall source and the metrics switches the other tests leave at
// their defaults: the modern_bpf engine and the ring-buffer drops in the Prometheus text, memory
// in kB with convert_memory_to_mb: false, and snapshots that cannot compute a rate or a drop
// percentage yet (no time elapsed, no events) give 0, never NaN or Infinity.
import t from 'tap'
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { createMetrics } from '../../src/app/metrics/metrics.ts'
import { metricsSnapshotAlert, withFalcoMetrics } from '../../src/app/metrics/falco-metrics.ts'
import { loadConfig } from '../../src/config/index.ts'

t.test('syscall source: modern_bpf engine and ring-buffer drops in the Prometheus text', async (t) => {
  const cfg = loadConfig({ overrides: ['metrics.enabled=true'], source: 'syscall' })
  const m = withFalcoMetrics(createMetrics({ defaultMetrics: false }), () => cfg, () => undefined)
  m.eventsReceived('syscall', 10)
  m.syscallDrops(3)
  m.syscallDrops(0)
  const text = await m.text()
  t.match(text, /^falcosecurity_scap_engine_name_info\{engine_name="modern_bpf",evt_source="syscall"\} 1$/m)
  t.match(text, /^falcosecurity_scap_n_drops_total 3$/m)
  t.match(text, /^falcosecurity_scap_n_evts_total 10$/m)
  t.match(text, /^lanner_syscall_drops_total 3$/m, 'Lanner\'s own counter too')
})

t.test('the audit source has no drops series: kube-apiserver drops are not Lanner\'s to count', async (t) => {
  const cfg = loadConfig({ overrides: ['metrics.enabled=true'] })
  const m = withFalcoMetrics(createMetrics({ defaultMetrics: false }), () => cfg, () => undefined)
  t.notMatch(await m.text(), /falcosecurity_scap_n_drops_total/)
})

t.test('memory in kB with convert_memory_to_mb: false; no NaN before time or events pass', async (t) => {
  const cfg = loadConfig({ overrides: ['metrics={enabled: true, convert_memory_to_mb: false}'], source: 'syscall' })
  const m = withFalcoMetrics(createMetrics({ defaultMetrics: false }), () => cfg, () => undefined)
  const state = { prevEvents: 0, prevNs: m.falco.startNs, prevDrops: 0 }
  const a = metricsSnapshotAlert(m.falco.startNs, cfg, m.falco, state, 'node-1')
  t.match(a.outputFields, { 'falco.evts_rate_sec': 0, 'scap.n_evts': 0, 'scap.n_drops_perc': 0 }, 'no time elapsed, no events: 0')
  const rssKb = a.outputFields['falco.memory_rss_kb']
  t.type(rssKb, 'number')
  t.ok(Math.abs((rssKb as number) - process.memoryUsage.rss() / 1024) < 1024 * 1024, 'kB of the process RSS (within a GiB of now)')
  t.notOk('falco.memory_rss_mb' in a.outputFields)
  m.eventsReceived('syscall', 99)
  m.syscallDrops(1)
  const b = metricsSnapshotAlert(m.falco.startNs + 1_000_000_000n, cfg, m.falco, state, 'node-1')
  t.equal(b.outputFields['scap.n_drops_perc'], 1, '1 drop in 100 events')
  t.equal(b.outputFields['scap.n_drops_prev'], 0)
})

t.test('a config file deleted since the start is left out of the sha256 series', async (t) => {
  const dir = t.testdir({ 'falco.yaml': 'metrics: {enabled: true}\nconfig_files: [extra.yaml]\n', 'extra.yaml': 'priority: debug\n' })
  const cfg = loadConfig({ file: path.join(dir, 'falco.yaml') })
  const m = withFalcoMetrics(createMetrics({ defaultMetrics: false }), () => cfg, () => undefined)
  t.match(await m.text(), /falcosecurity_falco_sha256_config_files_info\{file_name="extra.yaml",/)
  rmSync(path.join(dir, 'extra.yaml'))
  const text = await m.text()
  t.notMatch(text, /file_name="extra.yaml"/, 'no series for a file that cannot be read')
  t.match(text, /falcosecurity_falco_sha256_config_files_info\{file_name="falco.yaml",/, 'the others stay')
})

t.test('the audit source\'s snapshot: source_plugin engine, Lanner\'s version, FALCO_HOSTNAME as hostname', async (t) => {
  const saved = process.env.FALCO_HOSTNAME
  process.env.FALCO_HOSTNAME = 'audit-node-2'
  t.teardown(() => { if (saved === undefined) delete process.env.FALCO_HOSTNAME; else process.env.FALCO_HOSTNAME = saved })
  const cfg = loadConfig({ overrides: ['metrics.enabled=true'] })
  const m = withFalcoMetrics(createMetrics({ defaultMetrics: false }), () => cfg, () => undefined)
  const a = metricsSnapshotAlert(m.falco.startNs + 1_000_000_000n, cfg, m.falco, { prevEvents: 0, prevNs: m.falco.startNs, prevDrops: 0 })
  const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
  t.match(a, { hostname: 'audit-node-2', outputFields: { 'falco.hostname': 'audit-node-2', 'scap.engine_name': 'source_plugin', 'evt.source': 'k8s_audit', 'falco.version': version } })
  t.notOk('scap.n_drops' in a.outputFields, 'no ring buffer, no drop fields')
  t.match(await m.text(), new RegExp(`^falcosecurity_falco_version_info\\{version="${version.replace(/\./g, '\\.')}"\\} 1$`, 'm'))
})
