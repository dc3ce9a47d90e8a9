// Validated raw config + command-line options → the resolved Config: Falco aliases folded
// (rules_file/rules_files, open_params, init_config, webserver), defaults from defaults.ts, one
// source per instance. Relative paths in the file resolve against the file's directory; paths on
// the command line against the working directory.
import path from 'node:path'
import { ConfigError } from '../errors/index.ts'
import type { Priority } from '../events/index.ts'
import { DEFAULTS, DEFAULT_RULES_FILES, type SourceName } from './defaults.ts'
import { coerceBool, coerceNumber } from './coerce.ts'
import { parseListen, parseOpenParams } from './open-params.ts'
import { parseDurationMs } from './duration.ts'
import { ignoredKeyWarning } from './falco-keys.ts'
import type { AppendOutputConfig, PluginConfig, RawConfig } from './schema.ts'
import type { ResolveOptions } from './load-options.ts'
import type { AdminConfig, AppendOutputSpec, Config, MetricsConfig, OutputsConfig, PinoLevel, WebhookConfig } from './types.ts'

export type { ResolveOptions }

const PRIORITY_INDEX: Record<string, Priority> = {
  emergency: 0, alert: 1, critical: 2, error: 3, warning: 4, notice: 5, informational: 6, info: 6, debug: 7
}
const LOG_LEVEL: Record<string, PinoLevel> = {
  emergency: 'fatal', alert: 'fatal', critical: 'fatal', fatal: 'fatal', error: 'error', warning: 'warn', warn: 'warn',
  notice: 'info', info: 'info', informational: 'info', debug: 'debug', trace: 'trace'
}

function invalid (keyPath: string, message: string): ConfigError {
  return new ConfigError('ERR_CONFIG_INVALID', `${keyPath}: ${message}`, { location: { itemType: 'config', itemName: keyPath } })
}

function asList (v: string | string[] | undefined): string[] | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v : [v]
}

/** Plugins Falco would load: those named in load_plugins, or all of them when it is absent. */
function loadedPlugins (raw: RawConfig): PluginConfig[] {
  const names = raw.load_plugins
  return names === undefined ? raw.plugins : raw.plugins.filter((p) => names.includes(p.name))
}

function initConfigOf (p: PluginConfig, index: number): Record<string, unknown> {
  const ic = p.init_config
  if (ic === undefined || ic === null || ic === '') return {}
  if (typeof ic !== 'string') return ic
  try {
    const v = JSON.parse(ic) as unknown
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>
  } catch { /* reported below */ }
  throw invalid(`plugins[${index}].init_config`, 'expected a mapping or a JSON object string')
}

function chooseSource (raw: RawConfig, opts: ResolveOptions, k8saudit: PluginConfig | undefined): SourceName {
  const source = opts.source ?? raw.lanner.source ?? 'k8s_audit'
  if (source === 'syscall' && k8saudit !== undefined) {
    throw new ConfigError('ERR_CONFIG_SOURCES',
      'the k8saudit plugin and the syscall source are both configured: one Lanner instance runs one source. ' +
      'Run audit mode (Deployment) and syscall mode (DaemonSet) as separate instances, each with its own config; ' +
      "remove k8saudit from plugins/load_plugins here, or drop '--source syscall' / 'lanner.source: syscall'",
      { location: { itemType: 'config', itemName: 'lanner.source' } })
  }
  return source
}

function num (v: unknown, keyPath: string): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw invalid(keyPath, `expected a positive integer, got ${JSON.stringify(v)}`)
  return v
}

/**
 * The k8saudit plugin's open_params: a webhook URL (`http[s]://…`), or a file of audit events to
 * read (`file://PATH` or a bare PATH) after which the source ends, as with Falco's plugin.
 */
function openParamsOf (k8saudit: { plugin: PluginConfig, index: number } | undefined, p: (f: string) => string): { listen?: ReturnType<typeof parseOpenParams>, file?: string } {
  const text = k8saudit?.plugin.open_params?.trim()
  if (k8saudit === undefined || text === undefined || text === '') return {}
  if (/^https?:\/\//i.test(text)) return { listen: parseOpenParams(text, `plugins[${k8saudit.index}].open_params`) }
  if (/^file:\/\//i.test(text)) return { file: p(decodeURIComponent(text.slice('file://'.length))) }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw invalid(`plugins[${k8saudit.index}].open_params`, `expected "http[s]://[host]:port/path", "file://PATH" or a file path, got '${text}'`)
  return { file: p(text) }
}

/** k8saudit init_config keys Lanner reads; the rest are warned about by name */
const K8SAUDIT_INIT_KEYS = new Set(['sslCertificate', 'maxEventSize', 'maxEventBytes', 'webhookMaxBatchSize', 'useAsync'])

function resolveWebhook (raw: RawConfig, k8saudit: { plugin: PluginConfig, index: number } | undefined, p: (f: string) => string, warnings: string[]): WebhookConfig {
  const ic = k8saudit === undefined ? {} : initConfigOf(k8saudit.plugin, k8saudit.index)
  const icPath = `plugins[${k8saudit?.index ?? 0}].init_config`
  for (const k of Object.keys(ic)) if (!K8SAUDIT_INIT_KEYS.has(k)) warnings.push(`${icPath}.${k} is not a k8saudit setting Lanner knows and is ignored`)
  // useAsync is the plugin's extraction thread optimisation; Lanner's extraction needs none
  if (ic.useAsync !== undefined) coerceInitBool(ic.useAsync, `${icPath}.useAsync`)
  const open = openParamsOf(k8saudit, p).listen
  const lw = raw.lanner.webhook
  const listen = lw.listen === undefined ? undefined : parseListen(lw.listen)
  const wh: WebhookConfig = {
    host: listen?.host ?? open?.host ?? DEFAULTS.webhookAddress,
    port: listen?.port ?? open?.port ?? DEFAULTS.webhookPort,
    path: lw.path ?? open?.path ?? DEFAULTS.webhookPath,
    // Falco's k8saudit webhookMaxBatchSize is the request body limit in bytes
    maxBodyBytes: lw.max_body_bytes ?? num(coerceNumber(ic.webhookMaxBatchSize), `${icPath}.webhookMaxBatchSize`) ?? DEFAULTS.maxBodyBytes,
    maxEventBytes: lw.max_event_bytes ?? num(coerceNumber(ic.maxEventSize ?? ic.maxEventBytes), `${icPath}.maxEventSize`) ?? DEFAULTS.maxEventBytes,
    maxInflightBatches: lw.max_inflight_batches ?? DEFAULTS.maxInflightBatches,
    maxInflightBytes: lw.max_inflight_bytes ?? DEFAULTS.maxInflightBytes,
    // with evaluation workers JSON.parse runs off the main thread, so only memory bounds it
    maxBodyValues: lw.max_body_values ?? (raw.lanner.eval_workers > 0 ? DEFAULTS.maxBodyValuesWithWorkers : DEFAULTS.maxBodyValues),
    minUploadBytesPerSecond: lw.min_upload_bytes_per_second ?? DEFAULTS.minUploadBytesPerSecond,
    retryAfterSeconds: lw.retry_after_seconds ?? DEFAULTS.retryAfterSeconds
  }
  if (lw.tls !== undefined) {
    wh.tls = { cert: p(lw.tls.cert), key: p(lw.tls.key), clientAuth: lw.tls.client_auth }
    if (lw.tls.ca !== undefined) wh.tls.ca = p(lw.tls.ca)
  } else if (open?.tls === true) {
    // Falco's k8saudit reads one PEM holding both certificate and key
    const pem = typeof ic.sslCertificate === 'string' && ic.sslCertificate !== '' ? ic.sslCertificate : '/etc/falco/falco.pem'
    wh.tls = { cert: p(pem), key: p(pem), clientAuth: 'none' }
  }
  if (lw.bearer_token_file !== undefined) wh.bearerTokenFile = p(lw.bearer_token_file)
  if (lw.basic_auth !== undefined) wh.basicAuth = { username: lw.basic_auth.username, passwordFile: p(lw.basic_auth.password_file) }
  return wh
}

function coerceInitBool (v: unknown, keyPath: string): boolean {
  const b = coerceBool(v)
  if (typeof b !== 'boolean') throw invalid(keyPath, `expected a boolean, got ${JSON.stringify(v)}`)
  return b
}

function resolveAdmin (raw: RawConfig, p: (f: string) => string): AdminConfig {
  const ws = raw.webserver
  const admin: AdminConfig = {
    enabled: ws.enabled,
    host: ws.listen_address ?? DEFAULTS.adminAddress,
    port: ws.listen_port ?? DEFAULTS.adminPort,
    healthzPath: ws.k8s_healthz_endpoint ?? DEFAULTS.healthzPath,
    readyzPath: DEFAULTS.readyzPath,
    metricsPath: DEFAULTS.metricsPath,
    metricsEnabled: ws.prometheus_metrics_enabled
  }
  // one path cannot be two endpoints; the admin server would fail to start with a less clear error
  const taken = admin.metricsEnabled ? [admin.readyzPath, admin.metricsPath] : [admin.readyzPath]
  if (taken.includes(admin.healthzPath)) throw invalid('webserver.k8s_healthz_endpoint', `${admin.healthzPath} is already served by the admin server for another purpose`)
  if (ws.ssl_enabled) {
    const pem = p(ws.ssl_certificate ?? '/etc/falco/falco.pem')
    admin.tls = { cert: pem, key: pem }
  }
  return admin
}

function resolveOutputs (raw: RawConfig, p: (f: string) => string, warnings: string[]): OutputsConfig {
  const h = raw.http_output
  const lo = raw.lanner.outputs
  const capacity = raw.outputs_queue?.capacity
  // Falco's 0 means unbounded; Lanner always bounds memory, so 0 keeps Lanner's default bound
  if (capacity === 0 && lo.queue_size === undefined) warnings.push(`outputs_queue.capacity 0 (unbounded in Falco): Lanner keeps a bounded queue of ${DEFAULTS.outputQueueSize} alerts per output; set a capacity or lanner.outputs.queue_size to change it`)
  if (raw.outputs !== undefined) warnings.push('outputs.rate / outputs.max_burst were removed in Falco 0.37 and are ignored: Lanner does not throttle alerts (drops are counted per output instead)')
  const opt = (v: string | undefined): string | undefined => v === undefined || v === '' ? undefined : p(v)
  if (h?.enabled === true && h.url === '') throw invalid('http_output.url', 'expected a URL when http_output is enabled')
  if (raw.file_output.enabled && raw.file_output.filename === '') throw invalid('file_output.filename', 'expected a file name when file_output is enabled')
  if (raw.program_output.enabled && raw.program_output.program === '') throw invalid('program_output.program', 'expected a command when program_output is enabled')
  return {
    buffered: raw.buffered_outputs,
    queueSize: lo.queue_size ?? (capacity !== undefined && capacity > 0 ? capacity : DEFAULTS.outputQueueSize),
    drainTimeoutMs: lo.drain_timeout_ms ?? DEFAULTS.shutdownDrainMs,
    stdout: { enabled: raw.stdout_output.enabled },
    file: { enabled: raw.file_output.enabled, keepAlive: raw.file_output.keep_alive, filename: raw.file_output.filename === '' ? '' : p(raw.file_output.filename) },
    program: { ...raw.program_output, keepAlive: raw.program_output.keep_alive, timeoutMs: lo.program_timeout_ms ?? raw.output_timeout ?? DEFAULTS.programOutputTimeoutMs },
    http: {
      enabled: h?.enabled ?? false,
      url: h?.url ?? '',
      userAgent: h?.user_agent ?? DEFAULTS.httpUserAgent,
      insecure: h?.insecure ?? false,
      caCert: opt(h?.ca_cert),
      caBundle: opt(h?.ca_bundle),
      caPath: opt(h?.ca_path),
      mtls: h?.mtls ?? false,
      clientCert: opt(h?.client_cert),
      clientKey: opt(h?.client_key),
      compressUploads: h?.compress_uploads ?? false,
      keepAlive: h?.keep_alive ?? false,
      maxConsecutiveTimeouts: h?.max_consecutive_timeouts,
      timeoutMs: lo.http_timeout_ms ?? raw.output_timeout ?? DEFAULTS.httpOutputTimeoutMs,
      retries: lo.http_retries ?? DEFAULTS.httpOutputRetries,
      concurrency: lo.http_concurrency ?? DEFAULTS.httpOutputConcurrency
    }
  }
}

/** append_output entries as the rules loader takes them; none when the key is absent, as in Falco */
function resolveAppendOutput (list: AppendOutputConfig[] | undefined): AppendOutputSpec[] {
  return (list ?? []).map(function specOf (e): AppendOutputSpec {
    const spec: AppendOutputSpec = {
      tags: e.match.tags ?? [],
      extraFields: e.extra_fields.map((f) => typeof f === 'string'
        ? { key: f, field: f }
        : Object.entries(f).map(([key, template]) => ({ key, template }))).flat(),
      suggestedOutput: e.suggested_output ?? false
    }
    if (e.match.source !== undefined) spec.source = e.match.source
    if (e.match.rule !== undefined) spec.rule = e.match.rule
    if (e.extra_output !== undefined && e.extra_output !== '') spec.extraOutput = e.extra_output
    return spec
  })
}

function resolveMetrics (raw: RawConfig, p: (f: string) => string, warnings: string[]): MetricsConfig {
  const m = raw.metrics
  const intervalMs = parseDurationMs(m.interval, 'metrics.interval')
  if (m.enabled && intervalMs < 100) throw invalid('metrics.interval', `must be at least 100ms, got '${m.interval}'`)
  const cfg: MetricsConfig = {
    enabled: m.enabled,
    intervalMs,
    outputRule: m.output_rule,
    rulesCounters: m.rules_counters_enabled,
    resourceUtilization: m.resource_utilization_enabled,
    stateCounters: m.state_counters_enabled,
    kernelEventCounters: m.kernel_event_counters_enabled,
    convertMemoryToMb: m.convert_memory_to_mb,
    includeEmptyValues: m.include_empty_values
  }
  if (m.output_file !== undefined && m.output_file !== '') cfg.outputFile = p(m.output_file)
  if (m.enabled && m.jemalloc_stats_enabled) warnings.push('metrics.jemalloc_stats_enabled is ignored: Lanner does not use jemalloc (heap figures are in lanner_nodejs_heap_* instead)')
  return cfg
}

export function resolveConfig (raw: RawConfig, opts: ResolveOptions = {}): Config {
  const cwd = opts.cwd ?? process.cwd()
  const configDir = opts.configDir ?? cwd
  const p = (f: string): string => path.resolve(configDir, f)
  const warnings: string[] = []
  const plugins = loadedPlugins(raw)
  const k8sIdx = raw.plugins.findIndex((pl) => pl.name === 'k8saudit' && plugins.includes(pl))
  const k8saudit = k8sIdx < 0 ? undefined : { plugin: raw.plugins[k8sIdx] as PluginConfig, index: k8sIdx }
  const source = chooseSource(raw, opts, k8saudit?.plugin)
  if (raw.engine?.kind !== undefined) warnings.push(`engine.kind '${raw.engine.kind}' is ignored: Lanner's source is chosen by --source or lanner.source`)
  for (const pl of plugins) {
    if (pl.name === 'k8saudit' || pl.name === 'json') continue
    // Falco 0.41+ ships the container plugin in config.d; Lanner's syscall source has those fields itself
    if (pl.name === 'container') warnings.push("plugin 'container' is ignored: Lanner's syscall source provides the container.* fields itself (its init_config engines are not read)")
    else warnings.push(`plugin '${pl.name}' is not supported by Lanner and is ignored`)
  }
  if (raw.log_syslog === true) warnings.push(ignoredKeyWarning('log_syslog'))
  if (raw.grpc !== undefined || raw.grpc_output !== undefined) warnings.push('grpc / grpc_output are ignored: gRPC output and server were removed in Falco 0.44 and Lanner has neither; use http_output (falcosidekick) or program_output')
  const open = source === 'k8s_audit' ? openParamsOf(k8saudit, p) : {}
  const fromFile = asList(raw.rules_files) ?? asList(raw.rules_file)
  if (raw.rules_files !== undefined && raw.rules_file !== undefined) warnings.push('both rules_file and rules_files are set: rules_files is used')
  let rulesPaths: string[]
  let defaultRules = false
  if (opts.rules !== undefined && opts.rules.length > 0) rulesPaths = opts.rules.map((r) => path.resolve(cwd, r))
  else if (fromFile !== undefined && fromFile.length > 0) rulesPaths = fromFile.map(p)
  else { rulesPaths = [DEFAULT_RULES_FILES[source]]; defaultRules = true }
  return {
    source,
    rulesPaths,
    defaultRules,
    minPriority: PRIORITY_INDEX[raw.priority] as Priority,
    ruleMatching: raw.rule_matching,
    selection: raw.rules,
    tagsKeep: [...(opts.tagsKeep ?? [])],
    tagsDrop: [...(opts.tagsDrop ?? [])],
    json: {
      enabled: raw.json_output,
      includeOutput: raw.json_include_output_property,
      includeTags: raw.json_include_tags_property,
      includeMessage: raw.json_include_message_property,
      includeOutputFields: raw.json_include_output_fields_property
    },
    timeFormatIso8601: raw.time_format_iso_8601,
    outputs: resolveOutputs(raw, p, warnings),
    webhook: resolveWebhook(raw, k8saudit, p, warnings),
    admin: resolveAdmin(raw, p),
    userFields: raw.lanner.user_fields,
    evalWorkers: raw.lanner.eval_workers,
    watchConfigFiles: raw.watch_config_files,
    rulesStrict: raw.lanner.rules_strict,
    syscallStaleAfterMs: raw.lanner.syscall_stale_after_s * 1000,
    log: { level: LOG_LEVEL[raw.log_level] ?? 'info', stderr: raw.log_stderr, format: raw.lanner.log_format },
    k8s: raw.lanner.k8s,
    configFiles: [],
    loadedConfigFiles: [],
    // Falco's falco.yaml ships `append_output: [{suggested_output: true}]`, but without the key
    // Falco appends nothing (configuration.cpp reads it as an optional sequence): a falco.yaml
    // that enables suggested_output gains container_id=… container_name=… on syscall alerts,
    // a config without the key (and `lanner serve` without -c) keeps the rules' outputs as written
    appendOutput: resolveAppendOutput(raw.append_output),
    staticFields: raw.static_fields,
    metrics: resolveMetrics(raw, p, warnings),
    ...(open.file !== undefined ? { replayFile: open.file } : {}),
    warnings
  }
}
