// Falco's metric names next to Lanner's, so a Falco dashboard keeps working: the
// falcosecurity_* series Falco 0.38-0.44 serve on /metrics when `metrics.enabled` is true, and
// the numbers the periodic "Falco internal: metrics snapshot" alert carries. It wraps AppMetrics
// (counting as the calls go by) instead of changing it; the text is appended to Lanner's own.
// Mapping and what is not provided: docs/falco-compatibility.md#metrics.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Config, MetricsConfig } from '../../config/index.ts'
import type { Alert } from '../../events/index.ts'
import type { AppMetrics } from './metrics.ts'
import { VERSION } from '../version.ts'

const HELP = 'https://falco.org/docs/metrics/'
const NS_PER_MS = 1_000_000n

export interface FalcoMetrics extends AppMetrics {
  /** what the snapshot alert and /metrics read */
  readonly falco: FalcoCounters
  /** a live config reload took effect (falcosecurity_falco_reload_timestamp_nanoseconds) */
  configReloaded(): void
}

export interface FalcoCounters {
  /** rule → matches since start (only rules that matched) */
  readonly ruleMatches: ReadonlyMap<string, { count: number, priority: number, source: string, tags: readonly string[] }>
  events(): number
  drops(): number
  outputDrops(): number
  startNs: bigint
  reloadNs(): bigint
}

/**
 * Count what Falco's metrics need while delegating every call to `base`. `current` returns the
 * running config (it changes on a live config reload).
 */
export function withFalcoMetrics (base: AppMetrics, current: () => Pick<Config, 'source' | 'metrics' | 'loadedConfigFiles'>, rulesInputs: () => ReadonlyArray<{ name: string, content: string }> | undefined): FalcoMetrics {
  const matches = new Map<string, { count: number, priority: number, source: string, tags: readonly string[] }>()
  let events = 0
  let drops = 0
  let outputDrops = 0
  const startNs = BigInt(Date.now()) * NS_PER_MS
  let reloadNs = startNs
  const counters: FalcoCounters = {
    ruleMatches: matches,
    events: () => events,
    drops: () => drops,
    outputDrops: () => outputDrops,
    startNs,
    reloadNs: () => reloadNs
  }
  const wrapped: FalcoMetrics = {
    ...base,
    registry: base.registry,
    contentType: base.contentType,
    falco: counters,
    async text () {
      const own = await base.text()
      const cfg = current()
      if (!cfg.metrics.enabled) return own
      return own + falcoPrometheusText(cfg, counters, rulesInputs())
    },
    eventsReceived (source, n) { events += n; base.eventsReceived(source, n) },
    alert (a: Alert) {
      // internal alerts (drops, metrics snapshots) are not rule matches, as in Falco
      if (a.source !== 'internal') {
        const m = matches.get(a.rule)
        if (m === undefined) matches.set(a.rule, { count: 1, priority: a.priority, source: a.source, tags: a.tags })
        else m.count++
      }
      base.alert(a)
    },
    reload (ok) { if (ok) reloadNs = BigInt(Date.now()) * NS_PER_MS; base.reload(ok) },
    configReloaded () { reloadNs = BigInt(Date.now()) * NS_PER_MS },
    syscallDrops (n) { if (n > 0) drops += n; base.syscallDrops(n) },
    outputHooks: {
      ...base.outputHooks,
      // every argument passed on: the outputs may report more about a drop than the count
      dropped (...args: Parameters<NonNullable<AppMetrics['outputHooks']['dropped']>>) { outputDrops += args[1]; base.outputHooks.dropped?.(...args) }
    },
    webhook: {
      ...base.webhook,
      events (accepted, rejected) { events += accepted; base.webhook.events(accepted, rejected) }
    }
  }
  return wrapped
}

// ---- Prometheus text ----

function escapeLabel (v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function series (name: string, type: 'gauge' | 'counter', value: number | bigint, labels: Record<string, string> = {}): string {
  const names = Object.keys(labels).sort()
  const l = names.length === 0 ? '' : `{${names.map((k) => `${k}="${escapeLabel(labels[k] as string)}"`).join(',')}}`
  return `# HELP ${name} ${HELP}\n# TYPE ${name} ${type}\n${name}${l} ${String(value)}\n`
}

/** A Prometheus label name from a tag (tag_<tag>, invalid characters → _), as Falco's libs sanitise. */
function tagLabel (tag: string): string {
  return 'tag_' + tag.replace(/[^A-Za-z0-9_]/g, '_')
}

function sha256File (file: string): string | undefined {
  try { return createHash('sha256').update(readFileSync(file)).digest('hex') } catch { return undefined }
}

export function falcoPrometheusText (cfg: Pick<Config, 'source' | 'metrics' | 'loadedConfigFiles'>, c: FalcoCounters, rules: ReadonlyArray<{ name: string, content: string }> | undefined): string {
  const m = cfg.metrics
  let out = series('falcosecurity_falco_version_info', 'gauge', 1, { version: VERSION })
  for (const r of rules ?? []) {
    out += series('falcosecurity_falco_sha256_rules_files_info', 'gauge', 1, { file_name: path.basename(r.name), sha256: createHash('sha256').update(r.content).digest('hex') })
  }
  for (const f of cfg.loadedConfigFiles) {
    const sum = sha256File(f)
    if (sum !== undefined) out += series('falcosecurity_falco_sha256_config_files_info', 'gauge', 1, { file_name: path.basename(f), sha256: sum })
  }
  out += series('falcosecurity_falco_outputs_queue_num_drops_total', 'counter', c.outputDrops())
  out += series('falcosecurity_falco_reload_timestamp_nanoseconds', 'gauge', c.reloadNs())
  if (m.rulesCounters) {
    for (const [rule, r] of c.ruleMatches) {
      const labels: Record<string, string> = { rule_name: rule, priority: String(r.priority), source: r.source }
      for (const t of r.tags) labels[tagLabel(t)] = 'true'
      out += series('falcosecurity_falco_rules_matches_total', 'counter', r.count, labels)
    }
  }
  const syscall = cfg.source === 'syscall'
  out += series('falcosecurity_scap_engine_name_info', 'gauge', 1, { engine_name: syscall ? 'modern_bpf' : 'source_plugin', evt_source: cfg.source })
  if (m.kernelEventCounters) {
    out += series('falcosecurity_scap_n_evts_total', 'counter', c.events())
    if (syscall) out += series('falcosecurity_scap_n_drops_total', 'counter', c.drops())
  }
  if (m.resourceUtilization) {
    const r = resourceUsage()
    out += series('falcosecurity_falco_cpu_usage_ratio', 'gauge', r.cpuRatio)
    out += series('falcosecurity_falco_memory_rss_bytes', 'gauge', r.rssBytes)
    if (r.vszBytes !== undefined) out += series('falcosecurity_falco_memory_vsz_bytes', 'gauge', r.vszBytes)
    if (r.pssBytes !== undefined) out += series('falcosecurity_falco_memory_pss_bytes', 'gauge', r.pssBytes)
    if (r.containerMemoryBytes !== undefined) out += series('falcosecurity_falco_container_memory_used_bytes', 'gauge', r.containerMemoryBytes)
    out += series('falcosecurity_falco_host_memory_used_bytes', 'gauge', r.hostMemoryUsedBytes)
    if (r.hostProcsRunning !== undefined) out += series('falcosecurity_falco_host_procs_running', 'gauge', r.hostProcsRunning)
    if (r.hostOpenFds !== undefined) out += series('falcosecurity_falco_host_open_fds', 'gauge', r.hostOpenFds)
  }
  out += series('falcosecurity_falco_kernel_release_info', 'gauge', 1, { kernel_release: os.release() })
  out += series('falcosecurity_evt_hostname_info', 'gauge', 1, { hostname: process.env.FALCO_HOSTNAME ?? os.hostname() })
  out += series('falcosecurity_falco_start_timestamp_nanoseconds', 'gauge', c.startNs)
  out += series('falcosecurity_falco_duration_seconds_total', 'counter', Math.floor(Number(BigInt(Date.now()) * NS_PER_MS - c.startNs) / 1e9))
  out += series('falcosecurity_falco_host_boot_timestamp_nanoseconds', 'gauge', hostBootNs())
  out += series('falcosecurity_falco_host_num_cpus', 'gauge', os.cpus().length)
  return out
}

// ---- resource utilization (Linux /proc and cgroup files; absent elsewhere) ----

export interface ResourceUsage {
  /** process CPU time over its wall-clock lifetime (1 = one CPU busy) */
  cpuRatio: number
  rssBytes: number
  vszBytes?: number
  pssBytes?: number
  containerMemoryBytes?: number
  hostMemoryUsedBytes: number
  hostProcsRunning?: number
  hostOpenFds?: number
}

function readText (p: string): string | undefined {
  try { return readFileSync(p, 'utf8') } catch { return undefined }
}

export function resourceUsage (): ResourceUsage {
  const cpu = process.cpuUsage()
  const up = process.uptime()
  const pageSize = 4096
  const statm = readText('/proc/self/statm')?.split(' ')
  const pss = /^Pss:\s+(\d+) kB/m.exec(readText('/proc/self/smaps_rollup') ?? '')
  const cg = readText('/sys/fs/cgroup/memory.current') ?? readText('/sys/fs/cgroup/memory/memory.usage_in_bytes')
  const running = /^procs_running (\d+)/m.exec(readText('/proc/stat') ?? '')
  const fileNr = readText('/proc/sys/fs/file-nr')?.split(/\s+/)[0]
  const r: ResourceUsage = {
    cpuRatio: up > 0 ? (cpu.user + cpu.system) / 1e6 / up : 0,
    rssBytes: process.memoryUsage.rss(),
    hostMemoryUsedBytes: os.totalmem() - os.freemem()
  }
  if (statm?.[0] !== undefined && statm[0] !== '') r.vszBytes = Number(statm[0]) * pageSize
  if (pss !== null) r.pssBytes = Number(pss[1]) * 1024
  if (cg !== undefined && /^\d+/.test(cg)) r.containerMemoryBytes = Number.parseInt(cg, 10)
  if (running !== null) r.hostProcsRunning = Number(running[1])
  if (fileNr !== undefined && /^\d+$/.test(fileNr)) r.hostOpenFds = Number(fileNr)
  return r
}

function hostBootNs (): bigint {
  return BigInt(Math.round(Date.now() - os.uptime() * 1000)) * NS_PER_MS
}

// ---- the snapshot alert ----

export const METRICS_SNAPSHOT_RULE = 'Falco internal: metrics snapshot'

export interface SnapshotState { prevEvents: number, prevNs: bigint, prevDrops: number }

/**
 * Falco's periodic snapshot as an alert (priority Informational, source internal, output
 * "Falco metrics snapshot"), its numbers in output_fields under Falco's falco.* / scap.* names.
 */
export function metricsSnapshotAlert (nowNs: bigint, cfg: Pick<Config, 'source'> & { metrics: MetricsConfig }, c: FalcoCounters, state: SnapshotState, hostname = process.env.FALCO_HOSTNAME ?? os.hostname()): Alert {
  const m = cfg.metrics
  const events = c.events()
  const secs = Number(nowNs - state.prevNs) / 1e9
  const f: Record<string, string | number | null> = {
    'evt.source': cfg.source,
    'falco.version': VERSION,
    'falco.start_ts': Number(c.startNs),
    'falco.duration_sec': Math.floor(Number(nowNs - c.startNs) / 1e9),
    'falco.hostname': hostname,
    'falco.kernel_release': os.release(),
    'falco.host_boot_ts': Number(hostBootNs()),
    'falco.host_num_cpus': os.cpus().length,
    'falco.outputs_queue_num_drops': c.outputDrops(),
    'falco.reload_ts': Number(c.reloadNs()),
    'falco.num_evts': events,
    'falco.num_evts_prev': state.prevEvents,
    'falco.evts_rate_sec': secs > 0 ? (events - state.prevEvents) / secs : 0,
    'scap.engine_name': cfg.source === 'syscall' ? 'modern_bpf' : 'source_plugin'
  }
  if (cfg.source === 'syscall' && m.kernelEventCounters) {
    f['scap.n_evts'] = events
    f['scap.n_drops'] = c.drops()
    f['scap.n_drops_prev'] = state.prevDrops
    f['scap.n_drops_perc'] = events > 0 ? (c.drops() / (events + c.drops())) * 100 : 0
  }
  if (m.resourceUtilization) {
    const r = resourceUsage()
    const mem = (bytes: number | undefined, name: string): void => {
      if (bytes === undefined) { if (m.includeEmptyValues) f[`falco.${name}_${m.convertMemoryToMb ? 'mb' : 'kb'}`] = 0; return }
      f[`falco.${name}_${m.convertMemoryToMb ? 'mb' : 'kb'}`] = m.convertMemoryToMb ? Math.round(bytes / 1048576 * 10) / 10 : Math.round(bytes / 1024)
    }
    f['falco.cpu_usage_perc'] = Math.round(r.cpuRatio * 1000) / 10
    mem(r.rssBytes, 'memory_rss')
    mem(r.vszBytes, 'memory_vsz')
    mem(r.pssBytes, 'memory_pss')
    mem(r.containerMemoryBytes, 'container_memory_used')
    mem(r.hostMemoryUsedBytes, 'host_memory_used')
    if (r.hostProcsRunning !== undefined) f['falco.host_procs_running'] = r.hostProcsRunning
    if (r.hostOpenFds !== undefined) f['falco.host_open_fds'] = r.hostOpenFds
  }
  if (m.rulesCounters) {
    let total = 0
    for (const [rule, r] of c.ruleMatches) { f[`falco.rules.${rule}`] = r.count; total += r.count }
    f['falco.rules.matches_total'] = total
  }
  state.prevEvents = events
  state.prevDrops = c.drops()
  state.prevNs = nowNs
  return {
    time: nowNs,
    rule: METRICS_SNAPSHOT_RULE,
    priority: 6,
    source: 'internal',
    tags: [],
    hostname,
    message: 'Falco metrics snapshot',
    outputFields: f
  }
}
