// What k8s_audit extractors read: the structural shape of AuditEvent (../audit-event.ts), so that
// tests and benchmarks can build events without decoding, plus the JSON helpers every field class
// shares.
import { cached, type CachedEvent } from '../../fields/index.ts'
import type { Extract, FieldDef, FieldInfo, FieldValue } from '../../fields/index.ts'

export type JsonObject = Record<string, unknown>

export interface K8sAuditEvent extends CachedEvent {
  /** the parsed audit.k8s.io Event */
  readonly obj: JsonObject
  /** stageTimestamp, ns since the epoch */
  readonly time: bigint
}

export function isObj (v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** `v[k]` when v is an object, else undefined. */
export function prop (v: unknown, k: string): unknown {
  return isObj(v) ? v[k] : undefined
}

/** Walk object keys; undefined as soon as a step is missing. */
export function dig (v: unknown, keys: readonly string[]): unknown {
  let cur = v
  for (const k of keys) {
    if (!isObj(cur)) return undefined
    cur = cur[k]
  }
  return cur
}

/**
 * A JSON value as the string Falco's k8saudit/json plugins return: strings raw, numbers and
 * booleans as their text, objects/arrays compact JSON. null and missing are absent.
 */
export function toText (v: unknown): string | undefined {
  switch (typeof v) {
    case 'string': return v
    case 'number': case 'boolean': return String(v)
    case 'object': return v === null ? undefined : JSON.stringify(v)
    default: return undefined
  }
}

/** The event object when it has an auditID (every ka.* field is absent without one). */
export function kaRoot (ev: K8sAuditEvent): JsonObject | undefined {
  return 'auditID' in ev.obj ? ev.obj : undefined
}

/** A result list: empty counts as absent. */
export function listValue (out: string[]): FieldValue {
  return out.length === 0 ? undefined : out
}

/** Marker an item extractor returns for upstream's "wrong type" errors: the whole field is absent. */
export const WRONG_TYPE: unique symbol = Symbol('wrong-type')

type Binder = (arg: string | undefined) => Extract<K8sAuditEvent>

/**
 * Build a FieldDef whose extractors are created once per distinct argument and shared, so that
 * two rules using the same field also share its per-event cache slot.
 */
export function defineField (info: FieldInfo, binder: Binder, opts: { cache?: boolean } = {}): FieldDef<K8sAuditEvent> {
  const byArg = new Map<string | undefined, Extract<K8sAuditEvent>>()
  return {
    ...info,
    bind (arg) {
      let fn = byArg.get(arg)
      if (fn === undefined) {
        fn = opts.cache === true ? cached(binder(arg)) : binder(arg)
        byArg.set(arg, fn)
      }
      return fn
    }
  }
}

/** A plain string ka.* field read from the event object. */
export function kaScalar (name: string, desc: string, read: (root: JsonObject) => unknown, extra: Partial<FieldInfo> = {}): FieldDef<K8sAuditEvent> {
  return defineField({ name, type: 'string', desc, ...extra }, function bindScalar () {
    return function extractScalar (ev) {
      const root = kaRoot(ev)
      return root === undefined ? undefined : toText(read(root))
    }
  })
}

/**
 * A list ka.* field over the elements of an array in the event, with the optional `[N]` index
 * selecting element N of that array. `each` returns the values one element contributes.
 */
export function kaIndexedList (
  name: string,
  desc: string,
  array: (root: JsonObject) => unknown,
  each: (item: unknown, root: JsonObject) => string | readonly string[] | undefined | typeof WRONG_TYPE,
  opts: { index?: boolean } = {}
): FieldDef<K8sAuditEvent> {
  const info: FieldInfo = opts.index === false
    ? { name, type: 'string', isList: true, desc }
    : { name, type: 'string', isList: true, arg: 'optional', argKind: 'index', desc }
  return defineField(info, function bindIndexed (arg) {
    const index = arg === undefined ? -1 : Number(arg)
    return function extractIndexed (ev) {
      const root = kaRoot(ev)
      if (root === undefined) return undefined
      const arr = array(root)
      if (!Array.isArray(arr)) return undefined
      const out: string[] = []
      const from = index < 0 ? 0 : index
      const to = index < 0 ? arr.length : Math.min(index + 1, arr.length)
      for (let i = from; i < to; i++) {
        const v = each(arr[i], root)
        if (v === WRONG_TYPE) return undefined
        if (typeof v === 'string') out.push(v)
        else if (v !== undefined) for (const s of v) out.push(s)
      }
      return listValue(out)
    }
  }, { cache: true })
}

export type { FieldDef }
