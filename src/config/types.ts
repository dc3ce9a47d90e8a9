// The resolved configuration every other part receives: defaults applied, paths absolute, Falco's
// aliases folded into one shape. Types only; built by resolve.ts.
import type { Priority } from '../events/index.ts'
import type { SourceName } from './defaults.ts'
import type { ConfigFileEntry } from './config-files.ts'
import type { LoadConfigOptions } from './load-options.ts'

export interface TlsFiles {
  /** PEM certificate chain file */
  cert: string
  /** PEM private key file (may be the same file as cert, as with Falco's sslCertificate) */
  key: string
  /** PEM CA bundle used to verify clients */
  ca?: string
  clientAuth: 'none' | 'request' | 'require'
}

export interface WebhookConfig {
  host: string
  port: number
  path: string
  maxBodyBytes: number
  maxEventBytes: number
  maxInflightBatches: number
  /** body bytes of the batches in flight; one batch alone is admitted whatever its size */
  maxInflightBytes: number
  /** JSON values a body may hold (counted before parsing); above it 413 */
  maxBodyValues: number
  /** slowest accepted body upload, after a 5 s grace; slower: 408 */
  minUploadBytesPerSecond: number
  retryAfterSeconds: number
  tls?: TlsFiles
  bearerTokenFile?: string
  /** Basic auth: the username, and the file holding the password */
  basicAuth?: { username: string, passwordFile: string }
}

export interface AdminConfig {
  enabled: boolean
  host: string
  port: number
  healthzPath: string
  readyzPath: string
  metricsPath: string
  metricsEnabled: boolean
  /** Falco's webserver.ssl_certificate: one PEM holding key and certificate */
  tls?: { cert: string, key: string }
}

export interface JsonOptions {
  /** json_output */
  enabled: boolean
  includeOutput: boolean
  includeTags: boolean
  includeMessage: boolean
  includeOutputFields: boolean
}

export interface HttpOutputOptions {
  enabled: boolean
  url: string
  userAgent: string
  insecure: boolean
  caCert?: string
  caBundle?: string
  caPath?: string
  mtls: boolean
  clientCert?: string
  clientKey?: string
  compressUploads: boolean
  keepAlive: boolean
  maxConsecutiveTimeouts?: number
  timeoutMs: number
  retries: number
  /** POSTs in flight at once */
  concurrency: number
}

export interface OutputsConfig {
  buffered: boolean
  queueSize: number
  drainTimeoutMs: number
  stdout: { enabled: boolean }
  file: { enabled: boolean, keepAlive: boolean, filename: string }
  /** timeoutMs: deadline of one program run (keep_alive false) or batch write (keep_alive true) */
  program: { enabled: boolean, keepAlive: boolean, program: string, timeoutMs: number }
  http: HttpOutputOptions
}

/** One `append_output` entry, resolved (rules-side type: rules/load/append-output.ts) */
export interface AppendOutputSpec {
  source?: string
  /** every one must be among the rule's tags */
  tags: string[]
  /** exact rule name */
  rule?: string
  extraOutput?: string
  /** `field`: the field's typed value; `template`: rendered text (may hold %fields) */
  extraFields: Array<{ key: string, field?: string, template?: string }>
  suggestedOutput: boolean
}

/** Falco's `metrics` section, resolved */
export interface MetricsConfig {
  enabled: boolean
  intervalMs: number
  outputRule: boolean
  outputFile?: string
  rulesCounters: boolean
  resourceUtilization: boolean
  stateCounters: boolean
  kernelEventCounters: boolean
  convertMemoryToMb: boolean
  includeEmptyValues: boolean
}

export type PinoLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

export interface Config {
  /** the config file read, if any */
  file?: string
  source: SourceName
  /** absolute paths of rules files and directories, in load order */
  rulesPaths: string[]
  /** true when rulesPaths are the built-in defaults (no -r, no rules_files) */
  defaultRules: boolean
  minPriority: Priority
  ruleMatching: 'first' | 'all'
  selection: Array<{ enable: { rule?: string, tag?: string } } | { disable: { rule?: string, tag?: string } }>
  tagsKeep: string[]
  tagsDrop: string[]
  json: JsonOptions
  timeFormatIso8601: boolean
  outputs: OutputsConfig
  webhook: WebhookConfig
  admin: AdminConfig
  userFields: Array<{ name: string, jsonpath: string }>
  /** audit batches evaluated in this many worker threads; 0 = main thread */
  evalWorkers: number
  watchConfigFiles: boolean
  /**
   * `lanner.rules_strict`: serve exits 1 when a rules input fails at start-up (default false:
   * it starts without the failing inputs and alerts about them)
   */
  rulesStrict: boolean
  /**
   * `lanner.syscall_stale_after_s` (ms here): in syscall mode /readyz answers 503 once no record has
   * arrived for this long while the probe is attached; 0 = records are only needed once
   */
  syscallStaleAfterMs: number
  /** format: `lanner.log_format` (absent = auto: text on a terminal, JSON otherwise) */
  log: { level: PinoLevel, stderr: boolean, format?: 'auto' | 'json' | 'text' }
  /** `lanner.k8s`: options owned by the ConfigMap watcher, passed through as given */
  k8s: Record<string, unknown>
  /** config_files entries (watched with the config file) */
  configFiles: ConfigFileEntry[]
  /** every config file read, main file first */
  loadedConfigFiles: string[]
  /** the options loadConfig was called with (a live reload repeats them) */
  loadedWith?: LoadConfigOptions
  appendOutput: AppendOutputSpec[]
  /** static_fields: name (without `static.`) → value */
  staticFields: Record<string, string>
  metrics: MetricsConfig
  /**
   * k8saudit open_params naming a file (`file://…` or a bare path): serve replays it and exits,
   * as Falco ends when its only source is exhausted
   */
  replayFile?: string
  /** notes for the log: unknown keys, ignored Falco settings */
  warnings: string[]
}
