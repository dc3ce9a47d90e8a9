// The source-agnostic field interface the rules engine compiles against. Each source builds its
// own FieldTable where the source lives (audit/fields/, syscall/fields/) and exports it in a
// SourceDefinition bundle, which app/ registers with the engine (LoadOptions.sources): the engine
// never imports a source, and no source imports another.
//
// Extraction contract:
//   - an extractor returns `undefined` when the field is absent (Falco's "not available"):
//     every comparison on it is then false and `exists` is false;
//   - list fields (isList) return a readonly array; an empty array counts as absent;
//   - strings are strings, integers are numbers (abstime/reltime: bigint nanoseconds),
//     bools are booleans, IP addresses are strings in canonical text form, bytebuf is Uint8Array.
//
// "Match any" fields (FieldInfo.matchAny: Falco's fd.ip/fd.port/fd.net/fd.proto = either end of
// the connection, proc.aname/apid/aexe/aexepath/acmdline = any ancestor): used WITHOUT an
// argument in a condition they stand for several candidate values, and a check holds when the
// scalar operator holds for any candidate (so `!=` holds when any candidate differs, unless the
// field sets notEqualAll as Falco's connection-end fields do; no candidates = absent = false). They are not list fields: every scalar operator of their type
// applies. Two extractors make the split explicit: `bind` gives the one value outputs print
// (fd.ip: the server end; proc.aname: the parent) and `candidates` gives the array conditions
// test. With an argument (`proc.aname[2]`) the field is an ordinary scalar.
import { RuleError } from '../errors/index.ts'
import type { CachedEvent } from '../events/index.ts'

export type { CachedEvent }

export type FieldType =
  | 'string'   // charbuf, fspath, fsrelpath
  | 'int'      // every integer kind (pid, fd, uid, port, errno, flags as numbers…)
  | 'double'
  | 'abstime'  // bigint ns since epoch
  | 'reltime'  // bigint ns
  | 'bool'
  | 'ipaddr'
  | 'ipnet'
  | 'bytebuf'

export type Scalar = string | number | bigint | boolean | Uint8Array
export type FieldValue = Scalar | readonly Scalar[] | undefined

export interface FieldInfo {
  name: string
  type: FieldType
  isList?: boolean
  /** whether `name[arg]` takes an argument */
  arg?: 'none' | 'optional' | 'required'
  /** 'index': digits only (no leading zeros); 'key': any text */
  argKind?: 'index' | 'key'
  desc: string
  /** set when the field is kept for old rulesets; the text says what to use instead */
  deprecated?: string
  /**
   * Rendering in output text: integers as 'dec' (default), 'hex' or 'oct'; abstime as Falco
   * prints it: 'time' `HH:MM:SS.nnnnnnnnn`, 'iso8601' `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000`,
   * 'datetime' `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` (UTC). JSON output_fields keep the number.
   */
  print?: 'dec' | 'hex' | 'oct' | 'time' | 'iso8601' | 'datetime'
  /** without an argument, conditions test every candidate value (see the header); needs `candidates` */
  matchAny?: boolean
  /**
   * With matchAny: `!=` holds only when EVERY candidate differs (libsinsp compare_ip /
   * compare_net / compare_port for fd.ip, fd.net, fd.port, fd.proto: "both ends differ"); the
   * other operators still hold when any candidate satisfies them.
   */
  notEqualAll?: boolean
  /**
   * Set when the source never fills this field (the reason, for messages): it compiles, reads as
   * absent, and the loader warns LOAD_FIELD_NO_DATA for every rule that uses it.
   */
  noData?: string
  /**
   * A suggested output field (libsinsp EPF_FORMAT_SUGGESTED; a plugin field with addOutput, and
   * the static fields): append_output's `suggested_output` appends it to every rule's output
   */
  suggestedOutput?: boolean
}

export type Extract<E> = (ev: E) => FieldValue

export interface FieldDef<E> extends FieldInfo {
  /**
   * Build the extractor for one argument value, once, at compile time. The returned closure is
   * the per-event hot path: no parsing, no allocation beyond the value itself.
   */
  bind(arg: string | undefined): Extract<E>
  /**
   * For matchAny fields: the argument-less form's candidates as a readonly array (empty or
   * undefined = absent). Same hot-path rules as bind's closures.
   */
  candidates?: Extract<E>
  /**
   * For fields that compare by a rule of their own, as libsinsp filterchecks overriding
   * compare() do (fd.*ip.name: the rule's domain names are resolved and the connection's address
   * looked up among their addresses). Called once at compile time with the operator and the
   * constants; returns the predicate, or undefined for the generic comparison of the value.
   */
  compareConstants?: (op: string, values: readonly string[]) => ((ev: E) => boolean) | undefined
  /**
   * Rewrites each constant a condition compares this field with before it is parsed as the
   * field's type, as libsinsp's per-type value parsers do (ports: a service name becomes its
   * number). Compile time only; throws a RuleError for a value the field cannot take.
   */
  normalizeConstant?: (text: string) => string
}

export interface FieldTable<E = unknown> {
  readonly source: string
  list(): readonly FieldInfo[]
  info(name: string): FieldInfo | undefined
  /** Throws RuleError RULE_COMPILE_UNKNOWN_FIELD or RULE_COMPILE_BAD_FIELD_ARG. */
  bind(name: string, arg: string | undefined): Extract<E>
  /**
   * The candidates extractor when `name` used with `arg` is a match-any check (a matchAny field
   * without argument), else undefined: the compiler decides once, at compile time. Optional so
   * that hand-made tables without such fields need not implement it.
   */
  bindCandidates?(name: string, arg: string | undefined): Extract<E> | undefined
  /** The field's own comparison against constants (FieldDef.compareConstants), if it has one. */
  bindCompare?(name: string, arg: string | undefined): FieldDef<E>['compareConstants']
  /** The field's constant rewriter (FieldDef.normalizeConstant), if it has one. */
  bindConstant?(name: string, arg: string | undefined): FieldDef<E>['normalizeConstant']
  /** For sources with event types (syscall): the names `evt.type` accepts. */
  readonly eventTypes?: ReadonlySet<string>
  /** static_fields this table was wrapped with (withStaticFields), so that an evaluation worker
   *  building its own table can build the same one */
  readonly staticValues?: Readonly<Record<string, string>>
}

/**
 * A source as the app registers it with the engine (Falco's falco_source: name, filter factory,
 * formatter): its name, its field table (which also holds the `evt.type` names it accepts), and
 * how to read an event's time and type, by which rules are indexed. Decoding stays with each
 * source's mode: an audit request body and the probe's byte stream have nothing in common for
 * the engine to call.
 */
export interface SourceDefinition<E = unknown> {
  name: string
  fields: FieldTable<E>
  /** event time in ns since the epoch (for alerts' `time` and `evt.time`) */
  time(ev: E): bigint
  /** event type, for sources whose rules are indexed by `evt.type` */
  eventType?(ev: E): string
}

const INDEX_RE = /^(0|[1-9][0-9]*)$/

/** Validate `arg` against a field's declared argument shape; returns an error text or undefined. */
export function checkFieldArg (info: FieldInfo, arg: string | undefined): string | undefined {
  const mode = info.arg ?? 'none'
  if (arg === undefined) return mode === 'required' ? `field '${info.name}' requires an argument` : undefined
  if (mode === 'none') return `field '${info.name}' does not take an argument`
  if (info.argKind === 'index' && !INDEX_RE.test(arg)) return `field '${info.name}' argument must be a non-negative integer index, got '${arg}'`
  return undefined
}

/** Build a FieldTable from definitions; names must be unique. */
export function createFieldTable<E> (source: string, defs: readonly FieldDef<E>[], opts: { eventTypes?: ReadonlySet<string> } = {}): FieldTable<E> {
  const byName = new Map<string, FieldDef<E>>()
  for (const d of defs) {
    if (byName.has(d.name)) throw new Error(`duplicate field ${d.name} in ${source} table`)
    if ((d.matchAny === true) !== (d.candidates !== undefined)) throw new Error(`field ${d.name} in ${source} table: matchAny and candidates go together`)
    byName.set(d.name, d)
  }
  const infos: readonly FieldInfo[] = Object.freeze(defs.map(({ bind: _b, candidates: _c, compareConstants: _k, normalizeConstant: _n, ...info }) => Object.freeze(info)))
  return {
    source,
    eventTypes: opts.eventTypes,
    list: () => infos,
    info: (name) => byName.get(name),
    bind (name, arg) {
      const def = byName.get(name)
      if (def === undefined) {
        throw new RuleError('RULE_COMPILE_UNKNOWN_FIELD', `'${name}' is not a supported filter field for source ${source}`)
      }
      const bad = checkFieldArg(def, arg)
      if (bad !== undefined) throw new RuleError('RULE_COMPILE_BAD_FIELD_ARG', bad)
      return def.bind(arg)
    },
    bindCandidates (name, arg) {
      const def = byName.get(name)
      return arg === undefined && def?.matchAny === true ? def.candidates : undefined
    },
    bindCompare (name) {
      return byName.get(name)?.compareConstants
    },
    bindConstant (name) {
      return byName.get(name)?.normalizeConstant
    }
  }
}

/**
 * Per-event memoisation for expensive extractors. An event that wants caching carries a
 * `cache` array (CachedEvent, declared in events/ and re-exported here); each cached extractor
 * owns one slot, assigned at bind time.
 */
const UNSET = undefined
let nextSlot = 0
/** Wrap an extractor so that it runs at most once per event. */
export function cached<E extends CachedEvent> (fn: Extract<E>): Extract<E> {
  const slot = nextSlot++
  const ABSENT = cachedAbsent
  return (ev) => {
    const hit = ev.cache[slot]
    if (hit !== UNSET) return hit === ABSENT ? undefined : hit as FieldValue
    const v = fn(ev)
    ev.cache[slot] = v === undefined ? ABSENT : v
    return v
  }
}
const cachedAbsent: unique symbol = Symbol('absent')
