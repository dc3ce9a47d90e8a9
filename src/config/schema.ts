// The zod schema of the config file: the falco.yaml keys audit-mode users set, plus Lanner's own
// `lanner:` section. Falco's nested objects strip unknown keys (users paste whole falco.yaml
// files) and unknown top-level keys are warnings (load.ts); inside our own `lanner:` section an
// unknown key is a typo, so those objects are strict and it is an error.
import { z } from 'zod'

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

const port = z.number().int().min(0).max(65535)
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
  enabled: z.boolean().default(false),
  url: z.string().default(''),
  user_agent: z.string().optional(),
  insecure: z.boolean().default(false),
  ca_cert: z.string().default(''),
  ca_bundle: z.string().default(''),
  ca_path: z.string().default(''),
  mtls: z.boolean().default(false),
  client_cert: z.string().default(''),
  client_key: z.string().default(''),
  compress_uploads: z.boolean().default(false),
  keep_alive: z.boolean().default(false),
  /** Falco 0.38+; a run of timeouts after which the batch is given up */
  max_consecutive_timeouts: z.number().int().min(0).optional(),
  echo: z.boolean().optional()
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
    max_body_bytes: z.number().int().positive().optional(),
    max_event_bytes: z.number().int().positive().optional(),
    max_inflight_batches: z.number().int().positive().optional(),
    max_inflight_bytes: z.number().int().positive().optional(),
    retry_after_seconds: z.number().int().min(0).optional(),
    tls: lannerSection(tlsShape).optional(),
    bearer_token_file: z.string().optional()
  }).default({}),
  /** evaluation worker threads for audit batches; 0 = evaluate on the main thread */
  eval_workers: z.number().int().min(0).max(64).default(0),
  user_fields: z.array(lannerSection({ name: z.string().min(1), jsonpath: z.string().min(1) })).default([]),
  outputs: lannerSection({
    queue_size: z.number().int().positive().optional(),
    drain_timeout_ms: z.number().int().min(0).optional(),
    http_timeout_ms: z.number().int().positive().optional(),
    http_retries: z.number().int().min(0).optional(),
    http_concurrency: z.number().int().positive().optional()
  }).default({}),
  /** hook for the deployment engineer's ConfigMap-watch options; validated by its owner */
  k8s: z.record(z.string(), z.unknown()).default({}),
  /** serve: exit 1 when any rules input fails at start-up, instead of starting without it */
  rules_strict: z.boolean().default(false)
})

export const configSchema = z.object({
  rules_file: stringList.optional(),
  rules_files: stringList.optional(),
  rules: z.array(ruleSelection).default([]),
  json_output: z.boolean().default(false),
  json_include_output_property: z.boolean().default(true),
  json_include_tags_property: z.boolean().default(true),
  json_include_message_property: z.boolean().default(false),
  json_include_output_fields_property: z.boolean().default(true),
  time_format_iso_8601: z.boolean().default(false),
  priority: prioritySchema.default('debug'),
  rule_matching: z.enum(['first', 'all']).default('first'),
  buffered_outputs: z.boolean().default(false),
  stdout_output: z.object({ enabled: z.boolean().default(true) }).default({ enabled: true }),
  file_output: z.object({
    enabled: z.boolean().default(false),
    keep_alive: z.boolean().default(false),
    filename: z.string().default('')
  }).default({ enabled: false, keep_alive: false, filename: '' }),
  program_output: z.object({
    enabled: z.boolean().default(false),
    keep_alive: z.boolean().default(false),
    program: z.string().default('')
  }).default({ enabled: false, keep_alive: false, program: '' }),
  http_output: httpOutputSchema.optional(),
  webserver: z.object({
    enabled: z.boolean().default(true),
    listen_port: port.optional(),
    listen_address: z.string().optional(),
    k8s_healthz_endpoint: z.string().startsWith('/', { error: 'expected a path starting with /' }).optional(),
    prometheus_metrics_enabled: z.boolean().default(true),
    ssl_enabled: z.boolean().default(false),
    ssl_certificate: z.string().optional()
  }).default({ enabled: true, prometheus_metrics_enabled: true, ssl_enabled: false }),
  plugins: z.array(pluginSchema).default([]),
  load_plugins: z.array(z.string()).optional(),
  watch_config_files: z.boolean().default(true),
  log_level: logLevelSchema.default('info'),
  log_stderr: z.boolean().default(true),
  log_syslog: z.boolean().optional(),
  engine: z.object({ kind: z.string().optional() }).loose().optional(),
  lanner: lannerSchema.default({ webhook: {}, eval_workers: 0, user_fields: [], outputs: {}, k8s: {}, rules_strict: false })
})

export type RawConfig = z.output<typeof configSchema>
export type PluginConfig = z.output<typeof pluginSchema>
export type HttpOutputConfig = z.output<typeof httpOutputSchema>
export const KNOWN_TOP_LEVEL_KEYS: ReadonlySet<string> = new Set(Object.keys(configSchema.shape))
