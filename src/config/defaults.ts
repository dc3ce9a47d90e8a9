// The single source of every default port, path and limit. Manifests, docs and tests read these
// values from here rather than repeating them, so a change here is a change everywhere.
import { fileURLToPath } from 'node:url'
import path from 'node:path'

/** Package root (…/lanner), resolved from this file so it works from src/ and from dist/. */
export const PACKAGE_ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

export const DEFAULTS = Object.freeze({
  /** k8s audit webhook: Falco's k8saudit plugin default `open_params: "http://:9765/k8s-audit"` */
  webhookPort: 9765,
  webhookPath: '/k8s-audit',
  webhookAddress: '0.0.0.0',
  /** Falco's `webserver` defaults */
  adminPort: 8765,
  adminAddress: '0.0.0.0',
  healthzPath: '/healthz',
  readyzPath: '/readyz',
  metricsPath: '/metrics',
  /**
   * kube-apiserver's webhook backend does not truncate batches by default: up to 400 events of up
   * to its own request limit each. A batch of large objects (ConfigMaps, CRDs at RequestResponse)
   * easily exceeds the usual 1 MiB HTTP limits, and a 413 makes the apiserver retry and then drop
   * the whole batch. 64 MiB admits realistic worst-case batches while still bounding memory.
   */
  maxBodyBytes: 64 * 1024 * 1024,
  /** Falco's k8saudit `maxEventSize` default (262144 bytes was too small for real RequestResponse events) */
  maxEventBytes: 4 * 1024 * 1024,
  /** batches evaluated concurrently before the webhook answers 429 */
  maxInflightBatches: 16,
  /** body bytes of the batches in flight before the webhook answers 429 (why: src/config/README.md) */
  maxInflightBytes: 256 * 1024 * 1024,
  /** JSON values per body: bounds the event-loop time of one JSON.parse (why: docs/reliability.md) */
  maxBodyValues: 300_000,
  /** the same with lanner.eval_workers > 0: the parse happens in a worker, the bound is memory's */
  maxBodyValuesWithWorkers: 4_000_000,
  /** slowest accepted upload after a 5 s grace (a slow-loris is ended, a real link never is) */
  minUploadBytesPerSecond: 32 * 1024,
  retryAfterSeconds: 1,
  /** per-output bounded queue length, in alerts */
  outputQueueSize: 10000,
  /** SIGTERM: how long outputs may take to drain */
  shutdownDrainMs: 10000,
  httpOutputTimeoutMs: 10000,
  /** a program run or write that takes longer fails its alerts and its process group is killed */
  programOutputTimeoutMs: 10000,
  httpOutputRetries: 3,
  /** POSTs in flight per HTTP output; alerts may then arrive out of order, as with any webhook fan-in */
  httpOutputConcurrency: 4,
  httpUserAgent: 'lanner/0.1',
  /** the probe drop alert is emitted at most this often */
  dropAlertIntervalMs: 10000,
  /**
   * truncated audit events are logged, and alerted on when rules needed their objects, at most
   * this often: truncation follows from apiserver flags and object sizes, so it persists; once a
   * minute says so without flooding
   */
  truncationReportIntervalMs: 60000
})

/** Built-in rules per source, used when neither -r nor rules_files is given. */
export const DEFAULT_RULES_FILES = Object.freeze({
  k8s_audit: path.join(PACKAGE_ROOT, 'rules', 'k8s_audit_rules.yaml'),
  syscall: path.join(PACKAGE_ROOT, 'rules', 'syscall_rules.yaml')
} as const)

export type SourceName = keyof typeof DEFAULT_RULES_FILES
export const SOURCE_NAMES: readonly SourceName[] = Object.freeze(['k8s_audit', 'syscall'] as SourceName[])
