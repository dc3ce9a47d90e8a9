// Falco priority names: parsing rules-file spellings (any case, `info` alias) and printing the
// canonical capitalised name alerts carry.
import { PRIORITY_NAMES, type Priority, type PriorityName } from '../events/index.ts'

const BY_LOWER: ReadonlyMap<string, Priority> = new Map([
  ...PRIORITY_NAMES.map((n, i) => [n.toLowerCase(), i as Priority] as const),
  ['info', 6 as Priority]
])

/** `Warning`, `WARNING`, `info` → numeric priority; undefined for anything else. */
export function parsePriority (text: string): Priority | undefined {
  return BY_LOWER.get(text.trim().toLowerCase())
}

export function priorityName (p: Priority): PriorityName {
  return PRIORITY_NAMES[p] as PriorityName
}
