// The import graph of a source tree and the house style's rules about it
// (../shared/reference/house-style.md, "Import directions"): which module may import which, type-only
// imports where the table says `import type`, cross-module imports through the target's index.ts,
// and which modules may import the edge packages. Used by test/architecture.test.ts on src/ and on
// fixtures with violations made on purpose.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

export interface ImportEdge {
  /** file path relative to the scanned root */
  file: string
  from: string
  /** target module for relative imports; package name otherwise */
  to: string
  spec: string
  /** relative import whose target is another module's file other than its index.ts */
  deep: boolean
  /** `import type`, `export type`, or braces holding only `type` specifiers: erased at compile time */
  typeOnly: boolean
  relative: boolean
  /** for relative imports: the imported file, relative to the scanned root */
  target?: string
}

export interface HouseTable {
  /** module → modules it may import for values */
  value: Map<string, Set<string>>
  /** module → modules it may import types from (besides `value`) */
  typeOnly: Map<string, Set<string>>
}

function tsFiles (dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? tsFiles(p) : (p.endsWith('.ts') && !p.endsWith('.d.ts')) ? [p] : []
  })
}

/** The text with comments blanked out; string and template literals kept (import specifiers are strings). */
export function stripComments (src: string): string {
  let out = ''
  let i = 0
  while (i < src.length) {
    const c = src[i] as string
    const n = src[i + 1]
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') i++
    } else if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2)
      const stop = end < 0 ? src.length : end + 2
      out += src.slice(i, stop).replace(/[^\n]/g, ' ')
      i = stop
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1
      out += src.slice(i, j + 1)
      i = j + 1
    } else {
      out += c
      i++
    }
  }
  return out
}

const STATIC_RE = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|(?:^|[;\n])\s*import\s*['"]([^'"]+)['"]/g
const DYNAMIC_RE = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

function onlyTypeSpecifiers (clause: string): boolean {
  const m = /^\{([^}]*)\}$/.exec(clause.trim())
  if (m === null) return false
  const parts = (m[1] as string).split(',').map((s) => s.trim()).filter((s) => s !== '')
  return parts.length > 0 && parts.every((p) => p.startsWith('type '))
}

export function moduleOf (root: string, file: string): string {
  return relative(root, file).split('/')[0] ?? ''
}

/** Every import of every .ts file under `root` (entry files directly in root are scanned as module ''). */
export function scanImports (root: string): ImportEdge[] {
  const edges: ImportEdge[] = []
  for (const file of tsFiles(root)) {
    const from = relative(root, file).includes('/') ? moduleOf(root, file) : ''
    const text = stripComments(readFileSync(file, 'utf8'))
    const add = (spec: string, typeOnly: boolean): void => {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec)
        const to = relative(root, target).includes('/') ? moduleOf(root, target) : ''
        const inner = relative(join(root, to), target)
        edges.push({ file: relative(root, file), from, to, spec, typeOnly, relative: true, deep: to !== from && inner !== 'index.ts' && inner !== 'index.js' && inner !== 'index', target: relative(root, target) })
      } else {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0] as string
        edges.push({ file: relative(root, file), from, to: pkg, spec, typeOnly, relative: false, deep: false })
      }
    }
    for (const m of text.matchAll(STATIC_RE)) {
      if (m[5] !== undefined) { add(m[5], false); continue }
      add(m[4] as string, m[2] !== undefined || onlyTypeSpecifiers(m[3] ?? ''))
    }
    for (const m of text.matchAll(DYNAMIC_RE)) add(m[1] as string, false)
  }
  return edges
}

/** The "Import directions" table of the house style, as rules. */
export function parseHouseTable (markdown: string): HouseTable {
  const at = markdown.indexOf('## Import directions')
  if (at < 0) throw new Error('house style: no "## Import directions" section')
  const rows = markdown.slice(at).split('\n').filter((l) => /^\|[^-]/.test(l)).slice(1)
  const value = new Map<string, Set<string>>()
  const typeOnly = new Map<string, Set<string>>()
  const seen: string[] = []
  for (const row of rows) {
    const cells = row.split('|').map((c) => c.trim())
    const mods = (cells[1] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
    let rhs = cells[2] ?? ''
    const allowed = new Set<string>()
    const types = new Set<string>()
    const extra: Array<[string, string]> = []
    for (const m of rhs.matchAll(/\((\w+) may import (\w+)\)/g)) extra.push([m[1] as string, m[2] as string])
    rhs = rhs.replace(/\([^)]*\)/g, '')
    for (const part of rhs.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const typeM = /^`import type` from (\w+)$/.exec(part)
      if (typeM !== null) types.add(typeM[1] as string)
      else if (part === 'nothing') { /* none */ } else if (part === 'everything above') for (const s of seen) allowed.add(s)
      else if (/^\w+$/.test(part)) allowed.add(part)
      else throw new Error(`house style: cannot read "${part}" in row ${row}`)
    }
    for (const mod of mods) {
      value.set(mod, new Set(allowed))
      typeOnly.set(mod, new Set(types))
    }
    for (const [mod, dep] of extra) value.get(mod)?.add(dep)
    seen.push(...mods)
  }
  return { value, typeOnly }
}

/** Packages only some modules may import ("Only app/ imports pino, fastify (except webhook/) …"). */
export const EDGE_PACKAGES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  pino: ['app'],
  fastify: ['app', 'webhook'],
  '@kubernetes/client-node': ['app', 'k8s']
})

/** Violations of the table, the index.ts rule and the edge-package rule, one line each. */
export function violations (edges: readonly ImportEdge[], table: HouseTable): string[] {
  const out = new Set<string>()
  for (const e of edges) {
    if (e.from === '') continue // main.ts, index.ts: entry points
    if (e.relative) {
      if (e.to === e.from || e.to === '') continue
      if (!table.value.has(e.from)) { out.add(`${e.from}: module not in the house-style table`); continue }
      const ok = table.value.get(e.from)?.has(e.to) === true || (e.typeOnly && table.typeOnly.get(e.from)?.has(e.to) === true)
      if (!ok) out.add(`${e.from} → ${e.to}${table.typeOnly.get(e.from)?.has(e.to) === true ? ' (value import; only import type allowed)' : ''}`)
      if (e.deep) out.add(`${e.from} → ${e.to}: deep import (not through ${e.to}/index.ts)`)
    } else {
      const owners = EDGE_PACKAGES[e.to]
      if (owners !== undefined && !owners.includes(e.from)) out.add(`${e.from} → package ${e.to}`)
    }
  }
  return [...out].sort()
}

/** Files behind one violation line (for messages). */
export function filesOf (edges: readonly ImportEdge[], from: string, to: string): string[] {
  return [...new Set(edges.filter((e) => e.from === from && e.to === to).map((e) => e.file))]
}

/** Strongly connected parts (more than one node) of a directed graph, each sorted, in a stable order. */
function stronglyConnected (graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const parts: string[][] = []
  function visit (v: string): void {
    index.set(v, next)
    low.set(v, next)
    next++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number))
      }
    }
    if (low.get(v) !== index.get(v)) return
    const part: string[] = []
    let w: string
    do {
      w = stack.pop() as string
      onStack.delete(w)
      part.push(w)
    } while (w !== v)
    if (part.length > 1) parts.push(part.sort())
  }
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v)
  return parts.sort((a, b) => (a[0] as string).localeCompare(b[0] as string))
}

/**
 * Import cycles, one line each: files that import each other (directly or round a loop; `import
 * type` counts, since the design is cyclic even when the emitted code is not) and modules that do.
 */
export function cycles (edges: readonly ImportEdge[]): string[] {
  const files = new Map<string, Set<string>>()
  const modules = new Map<string, Set<string>>()
  const link = (g: Map<string, Set<string>>, a: string, b: string): void => {
    const set = g.get(a) ?? new Set<string>()
    set.add(b)
    g.set(a, set)
  }
  for (const e of edges) {
    if (!e.relative || e.target === undefined) continue
    link(files, e.file, e.target)
    if (e.from !== '' && e.to !== '' && e.from !== e.to) link(modules, e.from, e.to)
  }
  return [
    ...stronglyConnected(files).map((p) => `file cycle: ${p.join(' ↔ ')}`),
    ...stronglyConnected(modules).map((p) => `module cycle: ${p.join(' ↔ ')}`)
  ]
}
