// Loader passes over condition ASTs: re-basing positions onto the rules files, list expansion
// inside list literals, and macro substitution. Passes return new trees; macro ASTs are shared.
import { RuleError } from '../../errors/index.ts'
import type { CheckExpr, Expr, ListLiteral, Literal, Operand, RightHand } from '../lang/index.ts'
import { locateInSourced, type Files, type SourcedText } from './context.ts'

/** Rewrite every node position of a freshly parsed AST into the loader's global position space. */
export function globalizePositions (expr: Expr, st: SourcedText, files: Files): void {
  const fix = (node: { pos: { offset: number, line: number, col: number } }): void => {
    const at = locateInSourced(st, node.pos.offset)
    if (at !== undefined) node.pos = files.globalPos(at.file, at.offset)
  }
  const operand = (o: Operand): void => {
    fix(o)
    if (o.kind === 'transformer') o.args.forEach(operand)
  }
  const right = (r: RightHand): void => {
    fix(r)
    if (r.kind === 'list') r.items.forEach(fix)
    else if (r.kind === 'operand') operand(r.operand)
  }
  const walk = (e: Expr): void => {
    fix(e)
    switch (e.kind) {
      case 'and': case 'or': e.children.forEach(walk); break
      case 'not': walk(e.child); break
      case 'check': operand(e.left); if (e.right !== undefined) right(e.right); break
      case 'macro': break
    }
  }
  walk(expr)
}

/** Rebuild a tree, replacing checks and macro references. */
export function mapExpr (e: Expr, onCheck: (c: CheckExpr) => Expr, onMacro: (m: Expr & { kind: 'macro' }) => Expr): Expr {
  switch (e.kind) {
    case 'and': case 'or': return { ...e, children: e.children.map((c) => mapExpr(c, onCheck, onMacro)) }
    case 'not': return { ...e, child: mapExpr(e.child, onCheck, onMacro) }
    case 'check': return onCheck(e)
    case 'macro': return onMacro(e)
  }
}

/** Falco's textual expansion strips one level of quotes from list items (`'"green"'` → green). */
export function unquoteItem (s: string): string {
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0]) return s.slice(1, -1)
  return s
}

/**
 * Replace unquoted list-literal items that name a list by that list's items. `lookup` returns the
 * list's (already definition-expanded) raw items and marks it used.
 */
export function expandLists (e: Expr, lookup: (name: string) => readonly string[] | undefined): Expr {
  return mapExpr(e, (c) => {
    if (c.right?.kind !== 'list') return c
    const list = c.right
    let changed = false
    const items: Literal[] = []
    for (const it of list.items) {
      const found = it.quoted ? undefined : lookup(it.value)
      if (found === undefined) { items.push(it); continue }
      changed = true
      for (const v of found) items.push({ kind: 'literal', value: unquoteItem(v), quoted: true, pos: it.pos })
    }
    if (!changed) return c
    const right: ListLiteral = { ...list, items }
    return { ...c, right }
  }, (m) => m)
}

/** Substitute macro references; `lookup` returns the macro's resolved AST or undefined. */
export function resolveMacros (e: Expr, lookup: (name: string) => Expr | undefined): Expr {
  return mapExpr(e, (c) => c, (m) => {
    const body = lookup(m.name)
    if (body === undefined) {
      throw new RuleError('RULE_COMPILE_UNDEFINED_MACRO', `Undefined macro '${m.name}' used in filter.`, { location: { itemType: 'condition', pos: m.pos } })
    }
    return body
  })
}

/**
 * Whether a resolved condition passes a limit: its node count as compiled (a macro body counts at
 * each use, so macros using the previous one twice double at each step) or its height (the
 * compiler recurses over it). Shared macro bodies are measured once; stops at the first excess.
 */
export function exceedsLimits (e: Expr, maxNodes: number, maxHeight: number): 'nodes' | 'height' | undefined {
  const memo = new Map<Expr, { size: number, height: number }>()
  let total = 0
  let passed: 'nodes' | 'height' | undefined
  const visit = (n: Expr, depth: number): { size: number, height: number } => {
    const known = memo.get(n)
    if (known !== undefined) {
      total += known.size
      if (depth + known.height - 1 > maxHeight) passed ??= 'height'
      if (total > maxNodes) passed ??= 'nodes'
      return known
    }
    if (depth > maxHeight) { passed ??= 'height'; return { size: 1, height: 1 } }
    total++
    let size = 1
    let height = 1
    const kids = n.kind === 'and' || n.kind === 'or' ? n.children : n.kind === 'not' ? [n.child] : []
    for (const c of kids) {
      if (passed !== undefined) break
      const m = visit(c, depth + 1)
      size += m.size
      if (m.height + 1 > height) height = m.height + 1
    }
    if (total > maxNodes) passed ??= 'nodes'
    const out = { size, height }
    if (passed === undefined) memo.set(n, out)
    return out
  }
  visit(e, 1)
  return passed
}
