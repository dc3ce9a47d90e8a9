// A small field table over plain objects covering every field type, list fields and argument
// fields, so compiler tests do not depend on the real k8saudit/syscall tables.
import { createFieldTable, type FieldDef, type FieldTable } from '../../../src/fields/index.ts'
import { RuleError } from '../../../src/errors/index.ts'
import { parseCondition } from '../../../src/rules/lang/index.ts'
import { compileCondition, type CompileWarning } from '../../../src/rules/compile/index.ts'

export interface Ev {
  type?: string
  name?: string
  pname?: string
  path?: string
  num?: number
  num2?: number
  time?: bigint
  flag?: boolean
  ip?: string
  net?: string
  buf?: Uint8Array
  list?: string[]
  nums?: number[]
  env?: Record<string, string>
  anc?: string[]
  user?: string
}

const defs: FieldDef<Ev>[] = [
  { name: 'evt.type', type: 'string', desc: 'event type', bind: () => (ev) => ev.type },
  { name: 't.name', type: 'string', desc: 'a name', bind: () => (ev) => ev.name },
  { name: 't.pname', type: 'string', desc: 'parent name', bind: () => (ev) => ev.pname },
  { name: 't.path', type: 'string', desc: 'a path', bind: () => (ev) => ev.path },
  { name: 't.num', type: 'int', desc: 'a number', bind: () => (ev) => ev.num },
  { name: 't.num2', type: 'int', desc: 'another number', bind: () => (ev) => ev.num2 },
  { name: 't.time', type: 'abstime', desc: 'a time', bind: () => (ev) => ev.time },
  { name: 't.flag', type: 'bool', desc: 'a bool', bind: () => (ev) => ev.flag },
  { name: 't.ip', type: 'ipaddr', desc: 'an address', bind: () => (ev) => ev.ip },
  { name: 't.net', type: 'ipnet', desc: 'a network address', bind: () => (ev) => ev.net },
  { name: 't.buf', type: 'bytebuf', desc: 'a buffer', bind: () => (ev) => ev.buf },
  { name: 't.list', type: 'string', isList: true, desc: 'a list', bind: () => (ev) => ev.list },
  { name: 't.nums', type: 'int', isList: true, desc: 'a list of numbers', bind: () => (ev) => ev.nums },
  { name: 't.env', type: 'string', arg: 'required', argKind: 'key', desc: 'env var', bind: (arg) => (ev) => ev.env?.[arg as string] },
  { name: 't.anc', type: 'string', arg: 'required', argKind: 'index', desc: 'ancestor', bind: (arg) => { const i = Number(arg); return (ev) => ev.anc?.[i] } },
  { name: 't.old', type: 'string', deprecated: 'use t.name', desc: 'old name', bind: () => (ev) => ev.name },
  { name: 't.boom', type: 'string', desc: 'always throws', bind: () => () => { throw new Error('boom') } },
  { name: 'ka.user', type: 'string', desc: 'audit user', bind: () => (ev) => ev.user },
  { name: 'jevt.value', type: 'string', arg: 'required', argKind: 'key', desc: 'json pointer', bind: () => (ev) => ev.user }
]

export const table: FieldTable<Ev> = createFieldTable('test', defs, { eventTypes: new Set(['open', 'openat', 'execve']) })
export const plainTable: FieldTable<Ev> = createFieldTable('plain', defs)

export function compile (cond: string, warn?: (w: CompileWarning) => void, fields: FieldTable<Ev> = table): (ev: Ev) => boolean {
  return compileCondition(parseCondition(cond), fields, warn === undefined ? undefined : { warn })
}

export function run (cond: string, ev: Ev): boolean {
  return compile(cond)(ev)
}

export function compileErr (cond: string, fields: FieldTable<Ev> = table): RuleError {
  try {
    compile(cond, undefined, fields)
  } catch (err) {
    if (err instanceof RuleError) return err
    throw err
  }
  throw new Error(`expected ${JSON.stringify(cond)} not to compile`)
}

export function warnings (cond: string): CompileWarning[] {
  const out: CompileWarning[] = []
  compile(cond, (w) => out.push(w))
  return out
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
