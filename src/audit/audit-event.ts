// The parsed audit event as every k8s_audit consumer sees it: the JSON object, its time in ns,
// a per-event slot array for memoised field values, and its compact JSON size (computed lazily).

export type AuditObject = Record<string, unknown>

export class AuditEvent {
  /** the audit.k8s.io Event object exactly as parsed */
  readonly obj: AuditObject
  /** stageTimestamp in nanoseconds since the epoch */
  readonly time: bigint
  /** per-event memo slots for field extractors (see `cached()` in src/fields/registry.ts) */
  readonly cache: unknown[] = []
  #size: number | undefined

  constructor (obj: AuditObject, time: bigint, size?: number) {
    this.obj = obj
    this.time = time
    this.#size = size
  }

  /** bytes of the event re-serialised as compact JSON (the unit of maxEventBytes) */
  get size (): number {
    if (this.#size === undefined) this.#size = compactSize(this.obj)
    return this.#size
  }
}

export function compactSize (value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8')
}
