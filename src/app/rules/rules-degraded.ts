// Degraded loading: when the whole set of rules inputs fails, which inputs to leave out so that the
// rest loads. Pure (the loader is passed in), so the dropping loop is testable without files.
import type { LoadIssue, LoadResult, Ruleset, RulesInput } from '../../rules/index.ts'

/** An input left out of the installed ruleset, with the errors that put it out. */
export interface RejectedInput {
  name: string
  errors: LoadIssue[]
}

export type DegradedLoad =
  | { ok: true, ruleset: Ruleset, result: LoadResult, inputs: RulesInput[], rejected: RejectedInput[] }
  /** `full` is the load of every input: its errors are the ones to report */
  | { ok: false, reason: 'unattributed' | 'nothing-loads', full: LoadResult }

/**
 * Loads `inputs`; when that fails, drops every input an error points at (LoadIssue.location.file
 * is the RulesInput name) and loads the rest, again and again: an input can fail only because an
 * earlier one went (it appends to a list of a dropped file), so one pass is not enough. Each round
 * drops at least one input, so the loop ends. Fails when an error names no input of the set (we
 * cannot tell what to drop, so nothing is dropped) or when no input is left.
 */
export function loadDroppingFailures (inputs: readonly RulesInput[], load: (inputs: RulesInput[]) => LoadResult, first?: LoadResult): DegradedLoad {
  let remaining = [...inputs]
  const full = first ?? load(remaining)
  const rejected: RejectedInput[] = []
  let result = full
  for (;;) {
    if (result.ok && result.ruleset !== undefined) {
      const order = new Map(inputs.map((input, i) => [input.name, i]))
      rejected.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0))
      return { ok: true, ruleset: result.ruleset, result, inputs: remaining, rejected }
    }
    const names = new Set(remaining.map((i) => i.name))
    const byInput = new Map<string, LoadIssue[]>()
    for (const e of result.errors) {
      const file = e.location?.file
      if (file === undefined || !names.has(file)) return { ok: false, reason: 'unattributed', full }
      const list = byInput.get(file)
      if (list === undefined) byInput.set(file, [e])
      else list.push(e)
    }
    // a failed load without errors is not something dropping can fix
    if (byInput.size === 0) return { ok: false, reason: 'unattributed', full }
    for (const [name, errors] of byInput) rejected.push({ name, errors })
    remaining = remaining.filter((i) => !byInput.has(i.name))
    if (remaining.length === 0) return { ok: false, reason: 'nothing-loads', full }
    result = load(remaining)
  }
}
