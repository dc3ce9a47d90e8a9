// `-o key=value` overrides, applied to the raw YAML object before validation, so an override is
// checked exactly like the same value written in the file. Keys are dotted paths with Falco's
// list forms: `a.b`, `plugins[0].open_params`, `rules[].disable.rule` (`[]` appends).
import { parse as parseYaml } from 'yaml'
import { ConfigError } from '../errors/index.ts'

type Segment = { key: string } | { index: number } | { append: true }

const SEGMENT_RE = /^([A-Za-z_][A-Za-z0-9_-]*)((?:\[\d*\])*)$/

function badOverride (text: string, why: string): ConfigError {
  return new ConfigError('ERR_CONFIG_OVERRIDE', `-o '${text}': ${why}; expected key.subkey=value, key[INDEX].subkey=value or key[]=value (append)`, { location: { itemType: 'config', itemName: text } })
}

/** Split `plugins[0].name` into segments; throws ERR_CONFIG_OVERRIDE. */
export function parseOverrideKey (key: string, text = key): Segment[] {
  if (key === '') throw badOverride(text, 'empty key')
  const out: Segment[] = []
  for (const part of key.split('.')) {
    const m = SEGMENT_RE.exec(part)
    if (m === null) throw badOverride(text, `bad key segment '${part}'`)
    out.push({ key: m[1] as string })
    for (const idx of (m[2] ?? '').match(/\[\d*\]/g) ?? []) {
      const digits = idx.slice(1, -1)
      out.push(digits === '' ? { append: true } : { index: Number(digits) })
    }
  }
  return out
}

export interface Override { text: string, path: Segment[], value: unknown }

/** Parse one `key=value`; the value is YAML (so `true`, `8080`, `[a, b]` have their YAML types). */
export function parseOverride (text: string): Override {
  const eq = text.indexOf('=')
  if (eq < 0) throw badOverride(text, "missing '='")
  const path = parseOverrideKey(text.slice(0, eq).trim(), text)
  let value: unknown
  try {
    value = parseYaml(text.slice(eq + 1))
  } catch (err) {
    throw badOverride(text, `value is not valid YAML (${(err as Error).message.split('\n')[0] ?? ''})`)
  }
  return { text, path, value: value === undefined ? null : value }
}

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Apply overrides in order to a plain object (mutated and returned). */
export function applyOverrides (root: Record<string, unknown>, overrides: readonly Override[]): Record<string, unknown> {
  for (const o of overrides) applyOne(root, o)
  return root
}

function applyOne (root: Record<string, unknown>, o: Override): void {
  let node: unknown = root
  for (let i = 0; i < o.path.length; i++) {
    const seg = o.path[i] as Segment
    const last = i === o.path.length - 1
    const next = o.path[i + 1]
    const fresh = (): unknown => next !== undefined && !('key' in next) ? [] : {}
    if ('key' in seg) {
      if (!isObject(node)) throw badOverride(o.text, `'${seg.key}' is not inside a mapping`)
      if (last) { node[seg.key] = o.value; return }
      if (node[seg.key] === undefined || node[seg.key] === null) node[seg.key] = fresh()
      node = node[seg.key]
    } else {
      if (!Array.isArray(node)) throw badOverride(o.text, 'an index applies only to a list')
      const idx = 'append' in seg ? node.length : seg.index
      if (idx > node.length) throw badOverride(o.text, `index ${idx} is past the end of a list of ${node.length}`)
      if (last) { node[idx] = o.value; return }
      if (node[idx] === undefined || node[idx] === null) node[idx] = fresh()
      node = node[idx]
    }
  }
}
