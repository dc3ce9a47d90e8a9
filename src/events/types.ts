// Shared shapes that flow between sources, the engine and outputs. Types only: no behaviour.
//
//   source (webhook | replay | eBPF) ──event──▶ engine ──Alert──▶ outputs
//
// The engine treats events as opaque values; the source's field table knows how to read them.

/** Falco priorities, most severe first: the index is the numeric priority (0 = Emergency). */
export const PRIORITY_NAMES = Object.freeze([
  'Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'
] as const)
export type PriorityName = typeof PRIORITY_NAMES[number]
/** 0 (Emergency) … 7 (Debug) */
export type Priority = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7

/**
 * A value as it appears in JSON `output_fields`. bigint is an exact integer too large for a
 * double (nanosecond times): serialisers write it as a bare JSON number, as Falco does.
 */
export type JsonValue = string | number | bigint | boolean | null | JsonValue[] | { [k: string]: JsonValue }

/** One alert: what a rule produced for one event. Serialisation (text/JSON) is the outputs' job. */
export interface Alert {
  /** event time, nanoseconds since the epoch */
  time: bigint
  rule: string
  priority: Priority
  source: string
  /** sorted, unique */
  tags: readonly string[]
  hostname: string
  /** the rendered rule output, without the time/priority prefix */
  message: string
  /** Falco's output_fields: field expression → value (null when absent); evt.time added by outputs */
  outputFields: Record<string, JsonValue>
}

/** Where alerts go: implemented by the output dispatcher. Must not throw and must not block. */
export interface AlertSink {
  emit(alert: Alert): void
}
