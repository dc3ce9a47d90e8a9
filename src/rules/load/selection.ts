// Which loaded rules are active: the file's `enabled`, falco.yaml enable/disable selections (rule
// name globs or tags, applied in order), -t/-T tag filters and the minimum priority.
import type { LoadOptions } from '../api.ts'
import type { RuleDef } from './collector.ts'

const globCache = new Map<string, RegExp>()

function globRe (glob: string): RegExp {
  let re = globCache.get(glob)
  if (re === undefined) {
    re = new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$')
    globCache.set(glob, re)
  }
  return re
}

function selects (sel: { rule?: string, tag?: string }, def: RuleDef): boolean {
  if (sel.rule !== undefined && !globRe(sel.rule).test(def.name)) return false
  if (sel.tag !== undefined && !def.tags.has(sel.tag)) return false
  return sel.rule !== undefined || sel.tag !== undefined
}

export function isActive (def: RuleDef, opts: LoadOptions): boolean {
  let on = def.enabled
  for (const s of opts.selection ?? []) {
    if ('enable' in s && selects(s.enable, def)) on = true
    else if ('disable' in s && selects(s.disable, def)) on = false
  }
  if (!on) return false
  if (opts.tagsKeep !== undefined && opts.tagsKeep.length > 0 && !opts.tagsKeep.some((t) => def.tags.has(t))) return false
  if (opts.tagsDrop?.some((t) => def.tags.has(t)) === true) return false
  return def.priority <= (opts.minPriority ?? 7)
}
