// Rules file → items. Decodes YAML documents with positions, picks each item's kind, validates
// keys with Falco's messages, and stops the file at its first error (later items are not read).
import { isAlias, isMap, type Alias, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node, type YAMLMap } from 'yaml'
import { ItemError, snippetAt, type FileCtx, type Files, type Issues, type ItemCtx } from './context.ts'
import type { Item, ListItem, MacroItem, PluginRequirement, PluginVersionsItem } from './items.ts'
import { ItemReader, scalarText } from './yaml-values.ts'
import { readOverride } from './override.ts'
import { readRule } from './reader-rule.ts'
import { sourcedFrom } from './context.ts'
import { trackDuplicateKeys } from '../../util/index.ts'

const KIND_KEYS = ['required_engine_version', 'required_plugin_versions', 'list', 'macro', 'rule'] as const
const LIST_KEYS = new Set(['list', 'items', 'append', 'override'])
const MACRO_KEYS = new Set(['macro', 'condition', 'append', 'override'])
const BARE_STR_RE = /^[^()"'\s=,]+$/
const IDENT_RE = /^[a-zA-Z]+[a-zA-Z0-9_]*$/

/**
 * Read one file, handing each item to `onItem` as soon as it is decoded (it may throw ItemError).
 * Problems go to `issues`; the file stops at its first error. Returns whether it failed.
 */
export function readFile (files: Files, name: string, content: string, issues: Issues, onItem: (item: Item) => void): { file: FileCtx, failed: boolean } {
  // files saved by some editors open with a byte order mark, which yaml-cpp skips; the yaml
  // package reads `\uFEFF- item` as a scalar. Editors show no column for it, so positions drop it too
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content
  const lines = new LineCounter()
  const dups = trackDuplicateKeys()
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: dups.uniqueKeys })
  const file = files.add(name, text, lines)
  const fileCtx: ItemCtx = { file, offset: 0, itemType: 'item' }
  const docList = Array.isArray(docs) ? docs : []
  for (const doc of docList) {
    const yamlErr = doc.errors[0]
    if (yamlErr !== undefined) {
      const at = yamlErr.pos[0]
      issues.add({ ...issues.make('LOAD_ERR_YAML_PARSE', dups.describe(yamlErr, text, lines), fileCtx, at), snippet: snippetAt(file, at) })
      return { file, failed: true }
    }
    const { root, unknown } = resolveAliases(doc.contents as Node | null)
    if (unknown !== undefined) {
      const at = unknown.range?.[0] ?? 0
      issues.add({ ...issues.make('LOAD_ERR_YAML_PARSE', `alias '*${unknown.source}' names no anchor defined before it`, fileCtx, at), snippet: snippetAt(file, at) })
      return { file, failed: true }
    }
    if (root == null || (isScalar(root) && root.value === null)) continue
    if (!isSeq(root)) {
      const msg = isScalar(root) ? 'Rules content is not yaml' : 'Rules content is not yaml array of objects'
      issues.error('LOAD_ERR_YAML_VALIDATE', msg, fileCtx, root.range?.[0] ?? 0)
      return { file, failed: true }
    }
    for (const entry of root.items) {
      const node = entry as Node | null
      if (node == null || (isScalar(node) && node.value === null)) continue
      try {
        const item = readItem(issues, file, node)
        if (item !== undefined) onItem(item)
      } catch (err) {
        if (!(err instanceof ItemError)) throw err
        issues.add(err.issue)
        return { file, failed: true }
      }
    }
  }
  return { file, failed: false }
}

function readItem (issues: Issues, file: FileCtx, node: Node): Item | undefined {
  const offset = node.range?.[0] ?? 0
  if (!isMap(node)) {
    throw new ItemError(issues.make('LOAD_ERR_YAML_VALIDATE', 'Unexpected element type. Each element should be a yaml associative array.', { file, offset, itemType: 'item' }))
  }
  const kind = KIND_KEYS.find((k) => node.has(k))
  if (kind === undefined) {
    issues.warn('LOAD_UNKNOWN_ITEM', 'Unknown top level item', { file, offset, itemType: 'item' })
    return undefined
  }
  const ctx: ItemCtx = { file, offset, itemType: kind === 'list' || kind === 'macro' || kind === 'rule' ? kind : 'item' }
  const r = new ItemReader(issues, ctx, node)
  switch (kind) {
    case 'required_engine_version': return readEngineVersion(r)
    case 'required_plugin_versions': return readPluginVersions(r)
    case 'list': return readList(r)
    case 'macro': return readMacro(r)
    case 'rule': return readRule(r)
  }
}

/** LOAD_UNKNOWN_KEY for keys the kind does not know. */
export function warnUnknownKeys (r: ItemReader, known: ReadonlySet<string>): void {
  for (const { key, node } of r.keys()) {
    if (!known.has(key)) r.issues.warn('LOAD_UNKNOWN_KEY', `Unknown key '${key}'. The key will be ignored.`, r.ctx, r.offsetOf(node))
  }
}

function itemName (r: ItemReader, key: string): string {
  const name = r.str(key).value
  r.ctx.itemName = name
  return name
}

function readList (r: ItemReader): ListItem {
  const name = itemName(r, 'list')
  if (!BARE_STR_RE.test(name)) r.issues.warn('LOAD_INVALID_LIST_NAME', `List name '${name}' is not a valid bare string; it cannot be referenced in conditions`, r.ctx)
  warnUnknownKeys(r, LIST_KEYS)
  const mode = readMode(r, new Set(['items']), new Set(['items']))
  if (!r.has('items')) throw r.fail("Item has no mapping for key 'items'", r.map)
  return { kind: 'list', ctx: r.ctx, name, items: r.strSeq('items'), mode }
}

function readMacro (r: ItemReader): MacroItem {
  const name = itemName(r, 'macro')
  if (!IDENT_RE.test(name)) r.issues.warn('LOAD_INVALID_MACRO_NAME', `Macro name '${name}' is not a valid identifier; it cannot be referenced in conditions`, r.ctx)
  warnUnknownKeys(r, MACRO_KEYS)
  const mode = readMode(r, new Set(['condition']), new Set(['condition']))
  const cond = r.str('condition')
  return { kind: 'macro', ctx: r.ctx, name, condition: sourcedFrom({ file: r.ctx.file, node: cond.node as never, value: cond.value }), mode }
}

/** Lists and macros have one overridable key: `append: true` or `override: {key: append|replace}`. */
function readMode (r: ItemReader, appendable: ReadonlySet<string>, replaceable: ReadonlySet<string>): 'define' | 'append' | 'replace' {
  const legacy = r.optBool('append') === true
  const ov = readOverride(r, appendable, replaceable, legacy)
  if (legacy) {
    r.issues.warn('LOAD_DEPRECATED_ITEM', "The 'append' key is deprecated. Use 'override' with 'append' instead.", r.ctx, r.offsetOf(r.keyNode('append')))
    return 'append'
  }
  if (ov === undefined) return 'define'
  return ov.append.size > 0 ? 'append' : 'replace'
}

function readEngineVersion (r: ItemReader): Item {
  const node = r.node('required_engine_version')
  const text = scalarText(r, node).trim()
  return { kind: 'engine_version', ctx: { ...r.ctx, offset: r.offsetOf(node) }, version: text }
}

function readPluginVersions (r: ItemReader): PluginVersionsItem {
  const node = r.node('required_plugin_versions')
  if (!isSeq(node)) throw r.fail('Value is not a sequence', node)
  const entries: PluginVersionsItem['entries'] = []
  for (const it of node.items) {
    const en = it as Node
    if (!isMap(en)) throw r.fail('Unexpected element type. Each element should be a yaml associative array.', en)
    const req = readRequirement(r, en)
    const alternatives: PluginRequirement[] = []
    const seen = new Set([req.name])
    const alts = en.get('alternatives', true) as Node | undefined
    if (alts != null) {
      if (!isSeq(alts)) throw r.fail('Value is not a sequence', alts)
      for (const a of alts.items) {
        if (!isMap(a as Node)) throw r.fail('Unexpected element type. Each element should be a yaml associative array.', a as Node)
        const alt = readRequirement(r, a as YAMLMap)
        if (seen.has(alt.name)) throw r.fail(`Multiple definitions of plugin with name ${alt.name}`, a as Node)
        seen.add(alt.name)
        alternatives.push(alt)
      }
    }
    entries.push({ req, alternatives, offset: r.offsetOf(en) })
  }
  return { kind: 'plugin_versions', ctx: r.ctx, entries }
}

function readRequirement (r: ItemReader, m: YAMLMap): PluginRequirement {
  const sub = new ItemReader(r.issues, { ...r.ctx, offset: r.offsetOf(m) }, m)
  return { name: sub.str('name').value, version: sub.str('version').value }
}

/**
 * yaml-cpp hands Falco an alias as the node it names (`items: *shells`); the yaml package keeps
 * Alias nodes. Replace each alias in place by its (shared) target, in document order (an anchor
 * may be redefined; an alias names the latest one before it). Every node is walked once, where
 * it is defined and never through its aliases, so alias bombs stay linear (the package's own
 * Alias.resolve searches the whole document each time). Merge keys (`<<`) stay plain keys.
 */
function resolveAliases (root: Node | null): { root: Node | null, unknown?: Alias } {
  let unknown: Alias | undefined
  const anchors = new Map<string, Node>()
  type Slot = { get: () => unknown, set: (n: Node | null) => void }
  // entries: a node to walk, a node whose anchor becomes visible once walked, or a slot to fill
  const stack: Array<{ walk: unknown } | { done: Node } | { slot: Slot }> = []
  let out = root
  const push = (slot: Slot): void => { stack.push({ slot }) }
  push({ get: () => out, set: (n) => { out = n } })
  while (stack.length > 0) {
    const e = stack.pop() as { walk?: unknown, done?: Node, slot?: Slot }
    if (e.done !== undefined) {
      if (e.done.anchor !== undefined) anchors.set(e.done.anchor, e.done)
      continue
    }
    let n: unknown = e.walk
    if (e.slot !== undefined) {
      n = e.slot.get()
      if (isAlias(n)) {
        const target = anchors.get(n.source)
        if (target === undefined) unknown ??= n
        e.slot.set(target ?? null)
        continue
      }
    }
    if (!isMap(n) && !isSeq(n) && !isScalar(n)) continue
    stack.push({ done: n })
    // pushed last-first so that they are walked in document order
    if (isSeq(n)) {
      const items = n.items
      for (let i = items.length - 1; i >= 0; i--) push({ get: () => items[i], set: (v) => { items[i] = v } })
    } else if (isMap(n)) {
      for (let i = n.items.length - 1; i >= 0; i--) {
        const p = n.items[i]
        if (!isPair(p)) continue
        push({ get: () => p.value, set: (v) => { p.value = v } })
        push({ get: () => p.key, set: (v) => { p.key = v } })
      }
    }
  }
  return { root: out, unknown }
}
