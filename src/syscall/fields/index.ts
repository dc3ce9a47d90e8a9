// The syscall source: Falco's syscall field table over enriched SyscallEvents. Besides exact
// names, Falco accepts a dotted suffix as the argument of some keyed fields (`evt.arg.flags` is
// `evt.arg[flags]`, `k8s.ns.label.team` is `k8s.ns.label[team]`); the table resolves those here.
import { RuleError } from '../../errors/index.ts'
import { createFieldTable, type FieldInfo, type FieldTable, type SourceDefinition } from '../../fields/index.ts'
import type { SyscallEvent } from '../event.ts'
import { containerFields } from './fields-container.ts'
import { evtFields } from './fields-evt.ts'
import { fdFields } from './fields-fd.ts'
import { procFields } from './fields-proc.ts'
import { SYSCALL_EVENT_TYPES } from './event-types.ts'

export { notSupplied } from './define.ts'
export { SYSCALL_EVENT_TYPES } from './event-types.ts'

/** Keyed fields that also take their key as a dotted suffix. */
const DOTTED_ARG_FIELDS: readonly string[] = [
  'evt.arg', 'evt.rawarg', 'proc.env', 'container.label',
  'k8s.pod.label', 'k8s.ns.label', 'k8s.rc.label', 'k8s.rs.label', 'k8s.svc.label', 'k8s.deployment.label'
]

/** `evt.arg.flags` → ['evt.arg', 'flags']; undefined when the name has no dotted-argument form. */
export function splitDottedArg (name: string): readonly [string, string] | undefined {
  for (const base of DOTTED_ARG_FIELDS) {
    if (name.length > base.length + 1 && name.startsWith(base) && name[base.length] === '.') {
      return [base, name.slice(base.length + 1)]
    }
  }
  return undefined
}

function withDottedArgs<E> (inner: FieldTable<E>): FieldTable<E> {
  const infoCache = new Map<string, FieldInfo>()
  function dottedInfo (name: string): FieldInfo | undefined {
    const hit = infoCache.get(name)
    if (hit !== undefined) return hit
    const split = splitDottedArg(name)
    const base = split === undefined ? undefined : inner.info(split[0])
    if (base === undefined) return undefined
    // the suffix already is the argument: the dotted name itself takes none
    const info: FieldInfo = Object.freeze({ ...base, name, arg: 'none', argKind: undefined })
    if (infoCache.size < 10_000) infoCache.set(name, info)
    return info
  }
  return {
    source: inner.source,
    eventTypes: inner.eventTypes,
    list: () => inner.list(),
    info: (name) => inner.info(name) ?? dottedInfo(name),
    // dotted names are keyed scalars, never match-any
    bindCandidates: (name, arg) => inner.bindCandidates?.(name, arg),
    bindCompare: (name, arg) => inner.bindCompare?.(name, arg),
    bindConstant: (name, arg) => inner.bindConstant?.(name, arg),
    bind (name, arg) {
      if (inner.info(name) !== undefined) return inner.bind(name, arg)
      const split = splitDottedArg(name)
      if (split === undefined || inner.info(split[0]) === undefined) return inner.bind(name, arg)
      if (arg !== undefined) throw new RuleError('RULE_COMPILE_BAD_FIELD_ARG', `field '${name}' does not take an argument`)
      return inner.bind(split[0], split[1])
    }
  }
}

export const syscallFields: FieldTable<SyscallEvent> = withDottedArgs(createFieldTable<SyscallEvent>(
  'syscall',
  [...evtFields, ...procFields, ...fdFields, ...containerFields],
  { eventTypes: SYSCALL_EVENT_TYPES }
))

export const syscallSource: SourceDefinition<SyscallEvent> = {
  name: 'syscall',
  fields: syscallFields,
  time: (ev) => ev.rec.ts,
  eventType: (ev) => ev.rec.type
}
