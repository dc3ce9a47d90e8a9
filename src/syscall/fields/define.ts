// Small constructors for syscall field definitions, and the registry of fields Lanner does not
// fill (they compile and read as absent, the loader warns LOAD_FIELD_NO_DATA for rules using
// them; docs/syscall-fields.md lists them).
import type { Extract, FieldDef, FieldType, FieldValue } from '../../fields/index.ts'
import type { SyscallEvent } from '../event.ts'

export type Ev = SyscallEvent
export type Def = FieldDef<Ev>
/** Everything of a definition but its binder: info, plus `candidates` for matchAny fields. */
export type More = Partial<Omit<Def, 'bind'>>

/** A field without argument. */
export function field (name: string, type: FieldType, desc: string, get: Extract<Ev>, more: More = {}): Def {
  return { name, type, desc, ...more, bind: () => get }
}

/** A field taking `name[arg]`; `make` builds the per-argument extractor once. */
export function argField (
  name: string, type: FieldType, desc: string, arg: 'required' | 'optional', argKind: 'index' | 'key',
  make: (arg: string | undefined) => Extract<Ev>, more: More = {}
): Def {
  return { name, type, desc, arg, argKind, ...more, bind: make }
}

const NOT_SUPPLIED = new Set<string>()
const absent: Extract<Ev> = () => undefined

const NO_DATA = 'Lanner does not collect it'

/**
 * A Falco field Lanner accepts in rules but has no data for: always absent, and flagged
 * (FieldInfo.noData) so the loader warns about every rule that uses it.
 */
export function absentField (name: string, type: FieldType, desc: string, more: More = {}): Def {
  NOT_SUPPLIED.add(name)
  return { name, type, desc, noData: NO_DATA, ...more, bind: () => absent }
}

/** The same for a field taking an argument. */
export function absentArgField (name: string, type: FieldType, desc: string, arg: 'required' | 'optional', argKind: 'index' | 'key', more: More = {}): Def {
  NOT_SUPPLIED.add(name)
  return { name, type, desc, arg, argKind, noData: NO_DATA, ...more, bind: () => absent }
}

/** Names registered with absentField. */
export function notSupplied (): ReadonlySet<string> { return NOT_SUPPLIED }

export type { FieldValue }
