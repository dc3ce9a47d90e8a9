// Compiles collected items in dependency order: lists → macros → rules (Falco's
// compile_list_infos / compile_macros_infos / compile_rule_infos). Condition and output errors
// are re-based onto the YAML text they came from.
import { RuleError, type ErrorCode } from '../../errors/index.ts'
import type { SourceDefinition } from '../../fields/index.ts'
import { compileCondition, compileOperand, eventDirsOf, eventTypesOf } from '../compile/index.ts'
import type { CompiledRule } from '../engine.ts'
import { compileOutput, type CompiledOutput } from '../format/output-format.ts'
import { parseCondition, type Expr } from '../lang/index.ts'
import { exceedsLimits, expandLists, globalizePositions, resolveMacros } from './ast-passes.ts'
import type { Collector, MacroDef, RuleDef } from './collector.ts'
import { locateInSourced, type FileCtx, type Files, type Issues, type ItemCtx, type SourcedText } from './context.ts'
import { withExceptions } from './exceptions-ast.ts'
import { canNeverMatch, noDataUses } from './no-data.ts'
import { appendPlanFor, withExtraFields } from './append-output.ts'
import type { AppendOutputRule } from '../api.ts'

const SKIPPABLE = new Set(['RULE_COMPILE_UNKNOWN_FIELD', 'RULE_COMPILE_UNKNOWN_EVTTYPE'])
const MAX_EVTTYPES = 100
/** expanded items per list; more is a mistake (or a doubling chain), not a rules file */
export const MAX_LIST_ITEMS = 1_000_000
/**
 * A rule's condition once macros are substituted: the compiler and the compiled closures recurse
 * over it (the stack overflows near 1500 levels), and a macro using the previous one twice
 * doubles it at each step. Falco's own rules stay far below both.
 */
export const MAX_CONDITION_HEIGHT = 1000
export const MAX_CONDITION_NODES = 200_000

/** Thrown to abandon an item whose problem has already been reported. */
class Reported extends Error {}

/** An extra_fields entry of append_output failed to compile (the cause says why). */
class AppendOutputFailure extends Error {
  constructor (override readonly cause: unknown) { super('append_output') }
}

export interface CompiledItem { def: RuleDef, rule: CompiledRule }

export class RulesCompiler {
  #lists = new Map<string, readonly string[]>()
  #parsed = new Map<string, Expr | null>()
  #resolved = new Map<string, Expr | null>()
  #inProgress = new Set<string>()

  constructor (readonly col: Collector, readonly files: Files, readonly issues: Issues, readonly sources: ReadonlyMap<string, SourceDefinition<any>>, readonly appendOutput: readonly AppendOutputRule[] = []) {}

  compile (): CompiledItem[] {
    this.#compileLists()
    const macros = [...this.col.macros.values()].sort((a, b) => a.index - b.index)
    for (const m of macros) this.#parseMacro(m)
    for (const m of macros) this.#resolveMacro(m)
    const out: CompiledItem[] = []
    const rules = [...this.col.rules.values()].sort((a, b) => a.index - b.index)
    for (const r of rules) {
      try {
        const rule = this.#compileRule(r)
        if (rule !== undefined) out.push({ def: r, rule })
      } catch (err) {
        if (!(err instanceof Reported)) throw err
      }
    }
    this.#warnUnused()
    return out
  }

  /**
   * One level: an item naming a list defined earlier is replaced by that list's items. Lists
   * naming an earlier list twice double at each step, so the expanded size is capped.
   */
  #compileLists (): void {
    const lists = [...this.col.lists.values()].sort((a, b) => a.index - b.index)
    for (const l of lists) {
      const items: string[] = []
      for (const it of l.items) {
        const other = this.col.lists.get(it.value)
        // no push(...xs): spreading a long list overflows the call stack
        if (other !== undefined && other !== l && other.index < l.visibility) {
          other.used = true
          for (const x of this.#lists.get(other.name) ?? other.items.map((s) => s.value)) items.push(x)
        } else {
          items.push(it.value)
        }
        if (items.length > MAX_LIST_ITEMS) break
      }
      if (items.length > MAX_LIST_ITEMS) {
        this.issues.error('LOAD_ERR_VALIDATE', `List expands to more than ${MAX_LIST_ITEMS} items`, l.ctx)
        items.length = 0
      }
      this.#lists.set(l.name, items)
    }
  }

  #conditionLists = new Map<string, readonly string[]>()

  /**
   * A list's items as a condition sees them. Upstream substitutes list names into condition text
   * in index order, so an item naming a list defined later (not expanded in the definition) is
   * expanded too; an item naming an earlier list was already expanded by the definition.
   */
  #listLookup = (name: string): readonly string[] | undefined => {
    const def = this.col.lists.get(name)
    const items = this.#lists.get(name)
    if (items === undefined || def === undefined) return undefined
    def.used = true
    let out = this.#conditionLists.get(name)
    if (out === undefined) {
      const acc: string[] = []
      for (const it of items) {
        const later = this.col.lists.get(it)
        if (later !== undefined && later.index > def.index) {
          for (const x of this.#listLookup(it) ?? [it]) acc.push(x)
        } else {
          acc.push(it)
        }
        if (acc.length > MAX_LIST_ITEMS) break
      }
      if (acc.length > MAX_LIST_ITEMS) {
        this.issues.error('LOAD_ERR_VALIDATE', `List expands to more than ${MAX_LIST_ITEMS} items`, def.ctx)
        acc.length = 0
      }
      out = acc
      this.#conditionLists.set(name, out)
    }
    return out
  }

  /** Parse, re-base and list-expand a condition; parse errors are reported against `ctx`. */
  #parse (st: SourcedText, ctx: ItemCtx): Expr {
    let expr: Expr
    try {
      expr = parseCondition(st.text)
    } catch (err) {
      this.#reportCondition(err, st, ctx, 'local')
      throw new Reported()
    }
    globalizePositions(expr, st, this.files)
    return expandLists(expr, this.#listLookup)
  }

  #parseMacro (m: MacroDef): void {
    try {
      this.#parsed.set(m.name, this.#parse(m.condition, m.ctx))
    } catch (err) {
      if (!(err instanceof Reported)) throw err
      this.#parsed.set(m.name, null)
    }
  }

  /** A macro's AST with its references substituted; only earlier-defined macros are visible. */
  #resolveMacro (m: MacroDef): Expr | null {
    const done = this.#resolved.get(m.name)
    if (done !== undefined) return done
    const parsed = this.#parsed.get(m.name)
    if (parsed === undefined || parsed === null) return null
    this.#inProgress.add(m.name)
    let out: Expr | null = null
    try {
      out = resolveMacros(parsed, (name) => {
        const t = this.col.macros.get(name)
        if (t === undefined || t === m || t.index >= m.visibility || this.#inProgress.has(name)) return undefined
        t.used = true
        const body = this.#resolveMacro(t)
        if (body === null) throw new Reported()
        return body
      })
    } catch (err) {
      if (!(err instanceof Reported)) this.#reportCondition(err, m.condition, m.ctx, 'global')
    } finally {
      this.#inProgress.delete(m.name)
    }
    this.#resolved.set(m.name, out)
    return out
  }

  #compileRule (r: RuleDef): CompiledRule | undefined {
    const src = this.sources.get(r.source)
    if (src === undefined) {
      this.issues.warn('LOAD_UNKNOWN_SOURCE', `Unknown source ${r.source}, skipping`, r.ctx)
      return undefined
    }
    const table = src.fields
    let expr = withExceptions(this.#parse(r.condition, r.ctx), r.exceptions, this.files)
    expr = expandLists(expr, this.#listLookup)
    try {
      expr = resolveMacros(expr, (name) => {
        const t = this.col.macros.get(name)
        if (t === undefined) return undefined
        t.used = true
        const body = this.#resolveMacro(t)
        if (body === null) throw new Reported()
        return body
      })
    } catch (err) {
      if (err instanceof Reported) throw err
      this.#reportCondition(err, r.condition, r.ctx, 'global')
      throw new Reported()
    }
    const tooBig = exceedsLimits(expr, MAX_CONDITION_NODES, MAX_CONDITION_HEIGHT)
    if (tooBig !== undefined) {
      // no position: the excess comes from the macros, the report points at the rule's condition
      const e = tooBig === 'nodes'
        ? new RuleError('RULE_LIMIT_MAX_SIZE', `condition has more than ${MAX_CONDITION_NODES} nodes once macros are substituted`)
        : new RuleError('RULE_LIMIT_MAX_DEPTH', `condition nests deeper than ${MAX_CONDITION_HEIGHT} levels once macros are substituted`)
      this.#reportCondition(e, r.condition, r.ctx, 'global')
      throw new Reported()
    }
    let match: (ev: any) => boolean
    try {
      match = compileCondition(expr, table, { warn: (w) => this.#warnAt(w.code, w.message, w.pos?.offset, r) })
    } catch (err) {
      if (r.skipIfUnknownFilter && err instanceof RuleError && SKIPPABLE.has(err.code)) {
        this.issues.warn('LOAD_UNKNOWN_FILTER', `Rule skipped: ${err.message}`, r.ctx)
        return undefined
      }
      this.#reportCondition(err, r.condition, r.ctx, 'global')
      throw new Reported()
    }
    const types = table.eventTypes === undefined ? undefined : (eventTypesOf(expr) ?? undefined)
    if (table.eventTypes !== undefined && r.warnEvttypes && (types === undefined ? table.eventTypes.size : types.size) > MAX_EVTTYPES) {
      this.issues.warn('LOAD_NO_EVTTYPE', 'Rule matches too many evt.type values. This has a significant performance penalty.', r.ctx)
    }
    const output = this.#compileOutput(r, src)
    if (output === undefined) return undefined
    this.#warnNoData(r, expr, output, table)
    return { index: r.index, name: r.name, source: r.source, priority: r.priority, tags: [...r.tags].sort(), match, output, eventTypes: types, directions: table.eventTypes === undefined ? undefined : (eventDirsOf(expr) ?? undefined) }
  }

  #compileOutput (r: RuleDef, src: SourceDefinition<any>): CompiledOutput | undefined {
    const plan = this.appendOutput.length === 0 ? undefined : appendPlanFor(this.appendOutput, r, src.fields)
    const own = r.output.text.length
    const operand = (o: Parameters<typeof compileOperand>[0], t: Parameters<typeof compileOperand>[1]): ReturnType<typeof compileOperand>['extract'] => compileOperand(o, t).extract
    try {
      const base = compileOutput(r.output.text + (plan?.suffix ?? ''), src.fields, {
        compileOperand: operand,
        warn: (w) => { const at = w.offset < own ? locateInSourced(r.output, w.offset) : undefined; this.issues.warn(w.code, w.message, this.#ctxAt(r.ctx, at?.file), at?.offset) }
      })
      if (plan === undefined) return base
      try {
        return withExtraFields(base, plan.extraFields, src.fields, operand)
      } catch (err) {
        throw new AppendOutputFailure(err)
      }
    } catch (caught) {
      const inAppend = caught instanceof AppendOutputFailure
      const err = inAppend ? caught.cause : caught
      const offset = err instanceof RuleError ? err.location?.pos?.offset : undefined
      if (plan !== undefined && (inAppend || (offset !== undefined && offset >= own))) {
        // the problem is in falco.yaml's append_output, not in the rules file: say so, at the rule
        const e = asRuleError(err)
        this.#add('LOAD_ERR_COMPILE_OUTPUT', new RuleError(e.code, `append_output (falco.yaml) for rule '${r.name}': ${e.message}`), r.ctx, undefined)
        throw new Reported()
      }
      if (r.skipIfUnknownFilter && err instanceof RuleError && (SKIPPABLE.has(err.code) || err.code === 'RULE_FORMAT_BAD_TOKEN')) {
        this.issues.warn('LOAD_UNKNOWN_FILTER', `Rule skipped: ${err.message}`, r.ctx)
        return undefined
      }
      const e = asRuleError(err)
      const at = locateInSourced(r.output, e.location?.pos?.offset ?? 0)
      this.#add('LOAD_ERR_COMPILE_OUTPUT', e, this.#ctxAt(r.ctx, at?.file), at?.offset)
      throw new Reported()
    }
  }

  /**
   * A rule using a field the source never fills is a loud fact, not a silent one: one
   * LOAD_FIELD_NO_DATA per field, naming the rule and the field, saying whether the rule can
   * still match (a `not` or an `or` may keep it alive) or never will.
   */
  #warnNoData (r: RuleDef, expr: Expr, output: CompiledOutput, table: SourceDefinition<any>['fields']): void {
    const uses = noDataUses(expr, table)
    if (uses.length > 0) {
      const dead = canNeverMatch(expr, table)
      for (const u of uses) {
        const effect = dead
          ? 'every check on it is false, so this rule can never match'
          : 'every check on it is false (the rule can still match through its other conditions)'
        this.#warnAt('LOAD_FIELD_NO_DATA', `Rule '${r.name}' uses field '${u.field}', which Lanner never fills (${u.reason}): ${effect}`, u.offset, r)
      }
    }
    const conditionFields = new Set(uses.map((u) => u.field))
    for (const key of output.fieldKeys) {
      const name = key.replace(/\[.*$/, '')
      const reason = table.info(name)?.noData
      if (reason === undefined || conditionFields.has(name)) continue
      const at = locateInSourced(r.output, Math.max(0, r.output.text.indexOf(`%${name}`)))
      this.issues.warn('LOAD_FIELD_NO_DATA', `Rule '${r.name}' prints field '${key}', which Lanner never fills (${reason}): the output shows <NA>`, this.#ctxAt(r.ctx, at?.file), at?.offset)
    }
  }

  #warnAt (code: ErrorCode, message: string, globalOffset: number | undefined, r: RuleDef): void {
    const at = globalOffset === undefined ? undefined : this.files.fromGlobal(globalOffset)
    const issue = this.issues.make(isKnownWarning(code) ? code : 'LOAD_COMPILE_CONDITION', message, this.#ctxAt(r.ctx, at?.file), at?.offset)
    this.issues.add(issue)
  }

  #ctxAt (ctx: ItemCtx, file: FileCtx | undefined): ItemCtx {
    return file === undefined || file === ctx.file ? ctx : { ...ctx, file }
  }

  /** Report a condition error; positions are local to `st` (parse) or global (compile). */
  #reportCondition (err: unknown, st: SourcedText, ctx: ItemCtx, space: 'local' | 'global'): void {
    const e = asRuleError(err)
    const off = e.location?.pos?.offset
    const at = off === undefined
      ? locateInSourced(st, 0)
      : space === 'local' ? locateInSourced(st, off) : this.files.fromGlobal(off)
    this.#add('LOAD_ERR_COMPILE_CONDITION', e, this.#ctxAt(ctx, at?.file), at?.offset)
  }

  #add (code: 'LOAD_ERR_COMPILE_CONDITION' | 'LOAD_ERR_COMPILE_OUTPUT', e: RuleError, ctx: ItemCtx, offset: number | undefined): void {
    const issue = this.issues.make(code, e.message, ctx, offset)
    issue.detailCode = e.code
    this.issues.add(issue)
  }

  #warnUnused (): void {
    for (const l of [...this.col.lists.values()].sort((a, b) => a.index - b.index)) {
      if (!l.used) this.issues.warn('LOAD_UNUSED_LIST', 'List not referred to by any other rule/macro', l.ctx)
    }
    for (const m of [...this.col.macros.values()].sort((a, b) => a.index - b.index)) {
      if (!m.used) this.issues.warn('LOAD_UNUSED_MACRO', 'Macro not referred to by any other rule/macro', m.ctx)
    }
  }
}

function asRuleError (err: unknown): RuleError {
  if (err instanceof RuleError) return err
  return new RuleError('RULE_PARSE_UNEXPECTED_TOKEN', err instanceof Error ? err.message : String(err), { cause: err })
}

const WARNING_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['LOAD_UNSAFE_NA_CHECK', 'LOAD_NO_EVTTYPE', 'LOAD_COMPILE_CONDITION', 'LOAD_DEPRECATED_FIELD', 'LOAD_DEPRECATED_ITEM', 'LOAD_FIELD_NO_DATA'])
function isKnownWarning (code: ErrorCode): code is 'LOAD_COMPILE_CONDITION' {
  return WARNING_CODES.has(code)
}

