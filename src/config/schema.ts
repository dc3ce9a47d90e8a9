// The zod schema of the config file: the falco.yaml keys audit-mode users set, plus Lanner's own
// `lanner:` section. Falco's nested objects strip unknown keys (users paste whole falco.yaml
// files) and unknown top-level keys are warnings (load.ts); inside our own `lanner:` section an
// unknown key is a typo, so those objects are strict and it is an error.
import { z } from 'zod'
import { FALCO_BOOL, coerceBool, coerceNumber } from './coerce.ts'

/**
 * Falco turns each YAML scalar into the JSON type it reads as before validating (int, double,
 * bool, then string), whatever its quoting, so `json_output: "true"` and `${JSON_OUT}` holding
 * `true` are booleans there. These mirror that for the keys that expect booleans and numbers.
 */
function bool (): z.ZodType<boolean, unknown> {
  return z.preprocess(coerceBool, z.boolean({ error: `expected a boolean (${FALCO_BOOL})` })) as unknown as z.ZodType<boolean, unknown>
}
function num (inner: z.ZodNumber = z.number()): z.ZodType<number, unknown> {
  return z.preprocess(coerceNumber, inner) as unknown as z.ZodType<number, unknown>
}

const PRIORITY_WORDS = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'info', 'debug'] as const
/** Falco's priority names, case-insensitive; `info` is accepted for `informational`. */
export const prioritySchema = z.preprocess(
  (v) => typeof v === 'string' ? v.toLowerCase() : v,
  z.enum(PRIORITY_WORDS, { error: `expected one of ${PRIORITY_WORDS.join('|')}` })
)

const LOG_LEVELS = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'informational', 'debug', 'trace', 'fatal', 'warn'] as const
const logLevelSchema = z.preprocess(
  (v) => typeof v === 'string' ? v.toLowerCase() : v,
  z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join('|')}` })
)

const port = num(z.number().int().min(0).max(65535))
const stringList = z.union([z.string(), z.array(z.string())])

const ruleSelector = z.object({ rule: z.string().optional(), tag: z.string().optional() })
  .refine((s) => s.rule !== undefined || s.tag !== undefined, { message: 'expected a rule or tag name' })
const ruleSelection = z.union([
  z.object({ enable: ruleSelector }),
  z.object({ disable: ruleSelector })
], { error: 'expected {enable: {rule|tag}} or {disable: {rule|tag}}' })

const pluginSchema = z.object({
  name: z.string(),
  library_path: z.string().optional(),
  /** Falco accepts an object or a JSON string */
  init_config: z.union([z.record(z.string(), z.unknown()), z.string(), z.null()]).optional(),
  open_params: z.string().optional()
})

const httpOutputSchema = z.object({
  enabled: bool().default(false),
  url: z.string().default(''),
  user_agent: z.string().optional(),
  insecure: bool().default(false),
  ca_cert: z.string().default(''),
  ca_bundle: z.string().default(''),
  ca_path: z.string().default(''),
  mtls: bool().default(false),
  client_cert: z.string().default(''),
  client_key: z.string().default(''),
  compress_uploads: bool().default(false),
  keep_alive: bool().default(false),
  /** Falco 0.38+; a run of timeouts after which the batch is given up */
  max_consecutive_timeouts: num(z.number().int().min(0)).optional(),
  echo: bool().optional()
})

/** Falco 0.39 `append_output`: match fields are ANDed, and so are several tags */
const appendOutputSchema = z.object({
  match: z.object({
    source: z.string().optional(),
    tags: z.array(z.string()).optional(),
    rule: z.string().optional()
  }).default({}),
  extra_output: z.string().optional(),
  /** `- ka.verb` (the field, typed) or `- name: "text with %fields"` */
  extra_fields: z.array(z.union([z.string().min(1), z.record(z.string(), z.union([z.string(), num(), bool()]).transform(String))])).default([]),
  suggested_output: bool().optional()
})

/** Falco `metrics` (0.37+; Falco's falco.yaml defaults, used when the file leaves a key out) */
const metricsSchema = z.object({
  enabled: bool().default(false),
  /** Prometheus-style duration: 15s, 5m, 1h, 1h30m */
  interval: z.union([z.string(), num()]).transform(String).default('1h'),
  output_rule: bool().default(true),
  output_file: z.string().optional(),
  rules_counters_enabled: bool().default(true),
  resource_utilization_enabled: bool().default(true),
  state_counters_enabled: bool().default(true),
  kernel_event_counters_enabled: bool().default(true),
  kernel_event_counters_per_cpu_enabled: bool().default(false),
  libbpf_stats_enabled: bool().default(true),
  plugins_metrics_enabled: bool().default(true),
  convert_memory_to_mb: bool().default(true),
  include_empty_values: bool().default(false),
  jemalloc_stats_enabled: bool().default(false)
})

const tlsShape = {
  cert: z.string(),
  key: z.string(),
  ca: z.string().optional(),
  client_auth: z.enum(['none', 'request', 'require']).default('none')
}

/**
 * A strict object of Lanner's own section: an unknown key fails validation with the allowed keys
 * in the message (load.ts prefixes the full key path).
 */
function lannerSection<S extends z.ZodRawShape> (shape: S): z.ZodObject<S, z.core.$strict> {
  const allowed = Object.keys(shape).join(', ')
  return z.strictObject(shape, {
    error: (issue) => issue.code === 'unrecognized_keys' ? `not a Lanner setting (allowed keys: ${allowed})` : undefined
  })
}

const lannerSchema = lannerSection({
  source: z.enum(['k8s_audit', 'syscall']).optional(),
  webhook: lannerSection({
    /** `host:port`, `:port` or `port` */
    listen: z.union([z.string(), port]).optional(),
    path: z.string().startsWith('/', { error: 'expected a path starting with /' }).optional(),
    max_body_bytes: num(z.number().int().positive()).optional(),
    max_event_bytes: num(z.number().int().positive()).optional(),
    max_inflight_batches: num(z.number().int().positive()).optional(),
    max_inflight_bytes: num(z.number().int().positive()).optional(),
    max_body_values: num(z.number().int().positive()).optional(),
    min_upload_bytes_per_second: num(z.number().int().min(0)).optional(),
    retry_after_seconds: num(z.number().int().min(0)).optional(),
    tls: lannerSection(tlsShape).optional(),
    bearer_token_file: z.string().optional(),
    /** Basic auth, as a webhook kubeconfig's users[].user username/password sends it */
    basic_auth: lannerSection({ username: z.string().min(1), password_file: z.string() }).optional()
  }).default({}),
  /** evaluation worker threads for audit batches; 0 = evaluate on the main thread */
  eval_workers: num(z.number().int().min(0).max(64)).default(0),
  user_fields: z.array(lannerSection({ name: z.string().min(1), jsonpath: z.string().min(1) })).default([]),
  outputs: lannerSection({
    queue_size: num(z.number().int().positive()).optional(),
    drain_timeout_ms: num(z.number().int().min(0)).optional(),
    http_timeout_ms: num(z.number().int().positive()).optional(),
    http_retries: num(z.number().int().min(0)).optional(),
    http_concurrency: num(z.number().int().positive()).optional(),
    program_timeout_ms: num(z.number().int().positive()).optional()
  }).default({}),
  /** hook for the deployment engineer's ConfigMap-watch options; validated by its owner */
  k8s: z.record(z.string(), z.unknown()).default({}),
  /** serve: exit 1 when any rules input fails at start-up, instead of starting without it */
  rules_strict: bool().default(false),
  /** syscall mode: /readyz answers 503 after this long without a record while the probe is attached; 0 = never */
  syscall_stale_after_s: num(z.number().int().min(0)).default(60),
  /** logs on stderr: json (machines), text (people), auto (text when stderr is a terminal) */
  log_format: z.enum(['auto', 'json', 'text']).default('auto')
})

export const configSchema = z.object({
  /** validated and read by config-files.ts before this schema runs */
  config_files: z.unknown().optional(),
  rules_file: stringList.optional(),
  rules_files: stringList.optional(),
  rules: z.array(ruleSelection).default([]),
  json_output: bool().default(false),
  json_include_output_property: bool().default(true),
  json_include_tags_property: bool().default(true),
  json_include_message_property: bool().default(false),
  json_include_output_fields_property: bool().default(true),
  time_format_iso_8601: bool().default(false),
  priority: prioritySchema.default('debug'),
  rule_matching: z.enum(['first', 'all']).default('first'),
  buffered_outputs: bool().default(false),
  stdout_output: z.object({ enabled: bool().default(true) }).default({ enabled: true }),
  file_output: z.object({
    enabled: bool().default(false),
    keep_alive: bool().default(false),
    filename: z.string().default('')
  }).default({ enabled: false, keep_alive: false, filename: '' }),
  program_output: z.object({
    enabled: bool().default(false),
    keep_alive: bool().default(false),
    program: z.string().default('')
  }).default({ enabled: false, keep_alive: false, program: '' }),
  http_output: httpOutputSchema.optional(),
  webserver: z.object({
    enabled: bool().default(true),
    listen_port: port.optional(),
    listen_address: z.string().optional(),
    k8s_healthz_endpoint: z.string().startsWith('/', { error: 'expected a path starting with /' }).optional(),
    prometheus_metrics_enabled: bool().default(true),
    ssl_enabled: bool().default(false),
    ssl_certificate: z.string().optional()
  }).default({ enabled: true, prometheus_metrics_enabled: true, ssl_enabled: false }),
  plugins: z.array(pluginSchema).default([]),
  load_plugins: z.array(z.string()).optional(),
  watch_config_files: bool().default(true),
  log_level: logLevelSchema.default('info'),
  log_stderr: bool().default(true),
  log_syslog: bool().optional(),
  engine: z.object({ kind: z.string().optional() }).loose().optional(),
  append_output: z.array(appendOutputSchema).optional(),
  /** Falco 0.42: fixed `static.<name>` fields */
  static_fields: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected a field name of letters, digits, _ . -' }), z.union([z.string(), num(), bool()]).transform(String)).default({}),
  outputs_queue: z.object({ capacity: num(z.number().int().min(0)).optional() }).optional(),
  /** ms an output may block before Falco reports a timeout */
  output_timeout: num(z.number().int().positive()).optional(),
  /** removed in Falco 0.37: accepted with a deprecation warning */
  outputs: z.object({ rate: num().optional(), max_burst: num().optional() }).optional(),
  metrics: metricsSchema.default(() => metricsSchema.parse({})),
  /** removed in Falco 0.44: accepted with a warning */
  grpc: z.object({ enabled: bool().default(false) }).loose().optional(),
  grpc_output: z.object({ enabled: bool().default(false) }).loose().optional(),
  lanner: lannerSchema.default({ webhook: {}, eval_workers: 0, user_fields: [], outputs: {}, k8s: {}, rules_strict: false, syscall_stale_after_s: 60, log_format: 'auto' })
})

export type RawConfig = z.output<typeof configSchema>
export type PluginConfig = z.output<typeof pluginSchema>
export type HttpOutputConfig = z.output<typeof httpOutputSchema>
export type AppendOutputConfig = z.output<typeof appendOutputSchema>
export type MetricsRawConfig = z.output<typeof metricsSchema>
export const KNOWN_TOP_LEVEL_KEYS: ReadonlySet<string> = new Set(Object.keys(configSchema.shape))
