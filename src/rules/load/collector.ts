// Collects items across files into one namespace: definitions, redefinitions (which keep the
// original position in rule order), appends and overrides, with Falco's existence checks.
import type { Priority } from '../../events/index.ts'
import type { FieldTable } from '../../fields/index.ts'
import { concatSourced, fail, type Issues, type ItemCtx, type SourcedText } from './context.ts'
import { checkException } from './exception-check.ts'
import type { ExceptionInfo, ListItem, MacroItem, RuleFields, RuleItem, Str } from './items.ts'

interface Def { name: string, index: number, visibility: number, ctx: ItemCtx, used: boolean }
export interface ListDef extends Def { items: Str[] }
export interface MacroDef extends Def { condition: SourcedText }
export interface RuleDef extends Def {
  condition: SourcedText
  output: SourcedText
  desc: string
  priority: Priority
  source: string
  enabled: boolean
  tags: Set<string>
  exceptions: ExceptionInfo[]
  warnEvttypes: boolean
  skipIfUnknownFilter: boolean
  capture: boolean
  captureDuration: number
}

export class Collector {
  readonly lists = new Map<string, ListDef>()
  readonly macros = new Map<string, MacroDef>()
  readonly rules = new Map<string, RuleDef>()
  #id = 0

  constructor (readonly issues: Issues, readonly tables: ReadonlyMap<string, FieldTable>) {}

  addList (it: ListItem): void {
    const id = ++this.#id
    const old = this.lists.get(it.name)
    if (it.mode !== 'define' && old === undefined) {
      throw fail(this.issues, 'LOAD_ERR_VALIDATE', `List uses 'append' or 'override.items: ${it.mode}' but no list by that name already exists`, it.ctx)
    }
    if (old !== undefined) {
      old.items = it.mode === 'append' ? [...old.items, ...it.items] : it.items
      old.visibility = id
      if (it.mode !== 'append') old.ctx = it.ctx
      return
    }
    this.lists.set(it.name, { name: it.name, index: id, visibility: id, ctx: it.ctx, used: false, items: it.items })
  }

  addMacro (it: MacroItem): void {
    const id = ++this.#id
    const old = this.macros.get(it.name)
    if (it.mode !== 'define' && old === undefined) {
      throw fail(this.issues, 'LOAD_ERR_VALIDATE', `Macro uses 'append' or 'override.condition: ${it.mode}' but no macro by that name already exists`, it.ctx)
    }
    if (old !== undefined) {
      old.condition = it.mode === 'append' ? concatSourced(old.condition, it.condition) : it.condition
      old.visibility = id
      if (it.mode !== 'append') old.ctx = it.ctx
      return
    }
    this.macros.set(it.name, { name: it.name, index: id, visibility: id, ctx: it.ctx, used: false, condition: it.condition })
  }

  addRule (it: RuleItem): void {
    const id = ++this.#id
    const old = this.rules.get(it.name)
    if (it.mode === 'define') return this.#defineRule(it, id, old)
    if (old === undefined) {
      const msg = it.mode === 'enable'
        ? "Rule has 'enabled' key but no rule by that name already exists"
        : "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists"
      throw fail(this.issues, 'LOAD_ERR_VALIDATE', msg, it.ctx)
    }
    const f = it.fields
    if (it.mode === 'enable') { old.enabled = f.enabled ?? old.enabled; return }
    const appendKeys = it.mode === 'append' ? new Set<keyof RuleFields>(['condition', 'exceptions']) : it.append ?? new Set()
    for (const k of appendKeys) this.#appendKey(old, it, k)
    for (const k of it.replace ?? []) this.#replaceKey(old, it, k)
    old.visibility = id
  }

  #defineRule (it: RuleItem, id: number, old: RuleDef | undefined): void {
    const f = it.fields
    const source = f.source ?? 'syscall'
    if (old !== undefined && old.source !== source) {
      throw fail(this.issues, 'LOAD_ERR_VALIDATE', 'Rule has been re-defined with a different source', it.ctx, it.keyNodes.source?.range?.[0])
    }
    const exceptions = f.exceptions ?? []
    this.#checkExceptions(it, source, exceptions, true)
    const def: RuleDef = {
      name: it.name,
      index: old?.index ?? id,
      visibility: id,
      ctx: it.ctx,
      used: false,
      condition: f.condition as SourcedText,
      output: f.output as SourcedText,
      desc: f.desc ?? '',
      priority: f.priority ?? 7,
      source,
      enabled: f.enabled ?? true,
      tags: new Set(f.tags ?? []),
      exceptions,
      warnEvttypes: f.warnEvttypes ?? true,
      skipIfUnknownFilter: f.skipIfUnknownFilter ?? false,
      capture: f.capture ?? false,
      captureDuration: f.captureDuration ?? 0
    }
    this.rules.set(it.name, def)
  }

  #appendKey (old: RuleDef, it: RuleItem, k: keyof RuleFields): void {
    const f = it.fields
    switch (k) {
      case 'condition': if (f.condition !== undefined) old.condition = concatSourced(old.condition, f.condition); break
      case 'output': if (f.output !== undefined) old.output = concatSourced(old.output, f.output); break
      case 'desc': if (f.desc !== undefined && f.desc !== '') old.desc = `${old.desc} ${f.desc}`; break
      case 'tags': for (const t of f.tags ?? []) old.tags.add(t); break
      case 'exceptions': this.#appendExceptions(old, it, f.exceptions ?? []); break
      default: break
    }
  }

  #replaceKey (old: RuleDef, it: RuleItem, k: keyof RuleFields): void {
    const f = it.fields
    switch (k) {
      case 'condition': old.condition = f.condition as SourcedText; break
      case 'output': old.output = f.output as SourcedText; break
      case 'tags': old.tags = new Set(f.tags ?? []); break
      case 'exceptions': {
        const ex = f.exceptions ?? []
        this.#checkExceptions(it, old.source, ex, true)
        old.exceptions = ex
        break
      }
      default: (old as unknown as Record<string, unknown>)[k] = f[k]
    }
  }

  #appendExceptions (old: RuleDef, it: RuleItem, added: ExceptionInfo[]): void {
    const table = this.tables.get(old.source)
    const next = [...old.exceptions]
    for (const ex of added) {
      const i = next.findIndex((e) => e.name === ex.name)
      const existing = next[i]
      if (existing === undefined) {
        if (ex.values === undefined) {
          throw fail(this.issues, 'LOAD_ERR_YAML_VALIDATE', 'Rule exception must have values property with a list of values', ex.ctx)
        }
        checkException(this.issues, ex, table, true)
        next.push(ex)
        continue
      }
      if (ex.fields !== undefined) throw fail(this.issues, 'LOAD_ERR_VALIDATE', 'Can not append exception fields to existing exception, only values', ex.ctx)
      if (ex.comps !== undefined) throw fail(this.issues, 'LOAD_ERR_VALIDATE', 'Can not append exception comps to existing exception, only values', ex.ctx)
      if (ex.values === undefined || ex.values.length === 0) {
        this.issues.warn('LOAD_APPEND_NO_VALUES', 'Overriding/appending exception with no values', ex.ctx)
        continue
      }
      const merged: ExceptionInfo = { ...existing, values: [...(existing.values ?? []), ...ex.values] }
      checkException(this.issues, merged, table, true)
      next[i] = merged
    }
    old.exceptions = next
  }

  #checkExceptions (it: RuleItem, source: string, list: ExceptionInfo[], full: boolean): void {
    const table = this.tables.get(source)
    const seen = new Set<string>()
    for (const ex of list) {
      if (seen.has(ex.name)) this.issues.warn('LOAD_EXCEPTION_NAME_NOT_UNIQUE', `Multiple definitions of exception '${ex.name}' in the same rule`, ex.ctx)
      seen.add(ex.name)
      checkException(this.issues, ex, table, full)
    }
    void it
  }
}
