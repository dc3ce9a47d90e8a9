// The `override:` map of list/macro/rule items: which keys are appended and which replaced, and
// Falco's consistency checks between that map and the keys the item actually carries.
import { isMap, isScalar, type Node } from 'yaml'
import type { ItemReader } from './yaml-values.ts'

export interface OverrideSpec { append: Set<string>, replace: Set<string> }

export function readOverride (r: ItemReader, appendable: ReadonlySet<string>, replaceable: ReadonlySet<string>, legacyAppend: boolean): OverrideSpec | undefined {
  if (!r.has('override')) return undefined
  const node = r.node('override')
  if (legacyAppend) {
    throw r.fail("Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.", r.keyNode('override'))
  }
  if (!isMap(node)) throw r.fail('Value is not a map', node)
  const spec: OverrideSpec = { append: new Set(), replace: new Set() }
  for (const p of node.items) {
    const k = p.key as Node
    const key = isScalar(k) ? String(k.value) : ''
    const v = p.value as Node | null
    const op = v != null && isScalar(v) ? String(v.value) : ''
    if (op === 'append') {
      if (!appendable.has(key)) throw r.fail(`Key '${key}' cannot be appended to, use 'replace' instead`, v)
      spec.append.add(key)
    } else if (op === 'replace') {
      if (!replaceable.has(key)) throw r.fail(`Key '${key}' cannot be replaced`, v)
      spec.replace.add(key)
    } else {
      throw r.fail(`Invalid override operation for key '${key}': '${op}'. Allowed values are: append, replace`, v ?? k)
    }
    if (!r.has(key)) throw r.fail(`An ${op} override for '${key}' was specified but '${key}' is not defined`, k)
  }
  for (const { key, node: kn } of r.keys()) {
    if ((appendable.has(key) || replaceable.has(key)) && !spec.append.has(key) && !spec.replace.has(key)) {
      throw r.fail(`Unexpected key '${key}': no corresponding entry under 'override' is defined.`, kn)
    }
  }
  return spec
}
