// Every top-level key of Falco 0.44's falco.yaml (and the removed ones users still carry), with
// what Lanner does with it. load.ts words its warning for an ignored key from here, and
// docs/falco-compatibility.md has one table row per key (a test keeps the two in step).

export type KeyHandling = 'applied' | 'partly' | 'ignored' | 'removed'

export interface FalcoKey {
  key: string
  handling: KeyHandling
  /** for ignored/removed keys: why, as the warning says it */
  why?: string
}

export const FALCO_044_KEYS: readonly FalcoKey[] = [
  { key: 'config_files', handling: 'applied' },
  { key: 'watch_config_files', handling: 'applied' },
  { key: 'rules_files', handling: 'applied' },
  { key: 'rules_file', handling: 'applied' },
  { key: 'rules', handling: 'applied' },
  { key: 'engine', handling: 'ignored', why: 'the source is chosen by --source or lanner.source, and syscall mode runs its own CO-RE probe (engine.kind, kmod, modern_ebpf, replay are not read)' },
  { key: 'capture', handling: 'ignored', why: 'Lanner writes no .scap capture files' },
  { key: 'load_plugins', handling: 'applied' },
  { key: 'plugins', handling: 'partly' },
  { key: 'plugins_hostinfo', handling: 'ignored', why: 'Lanner loads no plugin libraries' },
  { key: 'time_format_iso_8601', handling: 'applied' },
  { key: 'buffer_format_base64', handling: 'ignored', why: 'byte buffers are printed as text in outputs' },
  { key: 'priority', handling: 'applied' },
  { key: 'json_output', handling: 'applied' },
  { key: 'json_include_output_property', handling: 'applied' },
  { key: 'json_include_message_property', handling: 'applied' },
  { key: 'json_include_output_fields_property', handling: 'applied' },
  { key: 'json_include_tags_property', handling: 'applied' },
  { key: 'buffered_outputs', handling: 'applied' },
  { key: 'rule_matching', handling: 'applied' },
  { key: 'outputs_queue', handling: 'applied' },
  { key: 'append_output', handling: 'applied' },
  { key: 'static_fields', handling: 'applied' },
  { key: 'stdout_output', handling: 'applied' },
  { key: 'syslog_output', handling: 'ignored', why: 'Lanner has no syslog output; use program_output (e.g. `logger -t falco`) or collect stdout' },
  { key: 'file_output', handling: 'applied' },
  { key: 'http_output', handling: 'applied' },
  { key: 'program_output', handling: 'applied' },
  { key: 'webserver', handling: 'applied' },
  { key: 'log_stderr', handling: 'applied' },
  { key: 'log_syslog', handling: 'ignored', why: 'Lanner logs to stderr only (JSON lines, or text with lanner.log_format)' },
  { key: 'log_level', handling: 'applied' },
  { key: 'libs_logger', handling: 'ignored', why: 'Lanner does not embed Falco\'s libs' },
  { key: 'output_timeout', handling: 'applied' },
  { key: 'syscall_event_timeouts', handling: 'ignored', why: 'the probe has no consecutive-timeout notion' },
  { key: 'syscall_event_drops', handling: 'ignored', why: 'syscall mode always raises "Falco internal: syscall event drop" (priority Warning, at most every 10 s) and counts drops in lanner_syscall_drops_total; threshold, actions, rate and max_burst are not read' },
  { key: 'metrics', handling: 'applied' },
  { key: 'base_syscalls', handling: 'ignored', why: 'the probe delivers the event types the loaded rules need' },
  { key: 'falco_libs', handling: 'ignored', why: 'Lanner does not embed Falco\'s libs; its process table has its own bounds' },
  { key: 'container_engines', handling: 'ignored', why: 'container metadata is read natively (cgroups); Falco 0.41+ moved this to the container plugin' },
  { key: 'grpc', handling: 'removed', why: 'gRPC server and output were removed in Falco 0.44 and Lanner has neither' },
  { key: 'grpc_output', handling: 'removed', why: 'gRPC server and output were removed in Falco 0.44 and Lanner has neither' },
  { key: 'outputs', handling: 'removed', why: 'outputs.rate / max_burst were removed in Falco 0.37' }
]

const BY_KEY = new Map(FALCO_044_KEYS.map((k) => [k.key, k]))

/** The warning for a top-level key Lanner does not read (a known Falco key, or an unknown one). */
export function ignoredKeyWarning (key: string): string {
  const k = BY_KEY.get(key)
  if (k?.why !== undefined) return `config key '${key}' is ignored: ${k.why}`
  return `config key '${key}' is not used by Lanner and is ignored`
}
