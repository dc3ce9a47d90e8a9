// Which event kinds the probe records for a ruleset: the types the active syscall rules can match
// plus what the process/fd tables need (STATE_KINDS). Every recorded syscall costs the whole
// machine, so kinds no rule and no table needs are left off.
import { DEFAULT_KINDS, KIND_IDS, STATE_KINDS, type KindName } from './abi.ts'

/** What the computation needs from a ruleset (rules/api.ts Ruleset has both). */
export interface RuleEventTypes {
  eventTypes(source: string): ReadonlySet<string> | null
  enterEventTypes(source: string): ReadonlySet<string> | null
}

export interface ProbeKinds {
  /** exit records (procexit: process exits), in kind id order */
  kinds: KindName[]
  /** enter records, in kind id order */
  enterKinds: KindName[]
  /** some rule matches any event type: kinds fell back to DEFAULT_KINDS */
  anyType: boolean
  /** event types the rules name that the probe does not produce (those rules never match) */
  unproduced: string[]
}

const ORDER = Object.keys(KIND_IDS) as KindName[]

function isKind (t: string): t is KindName {
  return Object.hasOwn(KIND_IDS, t)
}

function ordered (set: ReadonlySet<string>): KindName[] {
  return ORDER.filter(function wanted (k) { return set.has(k) })
}

/** The probe's kinds for `rules` (undefined: none loaded yet, record the defaults). */
export function probeKindsFor (rules: RuleEventTypes | undefined, source = 'syscall'): ProbeKinds {
  if (rules === undefined) return { kinds: [...DEFAULT_KINDS], enterKinds: [], anyType: true, unproduced: [] }
  const types = rules.eventTypes(source)
  const unproduced: string[] = []
  const exit = new Set<string>(types === null ? DEFAULT_KINDS : STATE_KINDS)
  for (const t of types ?? []) {
    if (isKind(t)) exit.add(t)
    else unproduced.push(t)
  }
  const enterTypes = rules.enterEventTypes(source)
  // procexit has no enter side: the probe reports it once, as the process goes
  const enter = new Set<string>(enterTypes === null ? DEFAULT_KINDS : [...enterTypes].filter(isKind))
  enter.delete('procexit')
  return { kinds: ordered(exit), enterKinds: ordered(enter), anyType: types === null, unproduced: unproduced.sort() }
}

/** Same kinds and enter kinds (order-insensitive). */
export function sameProbeKinds (a: { kinds: readonly string[], enterKinds: readonly string[] }, b: { kinds: readonly string[], enterKinds: readonly string[] }): boolean {
  const eq = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every(function inY (k) { return y.includes(k) })
  return eq(a.kinds, b.kinds) && eq(a.enterKinds, b.enterKinds)
}
