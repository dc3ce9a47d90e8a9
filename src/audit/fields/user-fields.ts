// User-defined k8s_audit fields: a name bound to a JSONPath over the audit event, compiled once
// (jsonpath-plus) and cached per event. Values follow the built-ins: strings, or lists of strings.
import { JSONPath } from 'jsonpath-plus'
import { AppError } from '../../errors/index.ts'
import { defineField, toText, type FieldDef, type K8sAuditEvent } from './event.ts'

export interface UserFieldDef {
  /** e.g. `my.team` — dotted identifier, must not be a built-in field */
  name: string
  /** a JSONPath starting at the event root, e.g. `$.user.extra.team[0]` */
  jsonpath: string
  /** return every match as a list (default: the first match as a string) */
  list?: boolean
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$/

/** Names must be well-formed, unique, and not shadow a built-in field. */
export function checkUserFieldNames (defs: readonly UserFieldDef[], builtins: ReadonlySet<string>): void {
  const seen = new Set<string>()
  for (const d of defs) {
    if (builtins.has(d.name)) {
      throw new AppError('ERR_AUDIT_USER_FIELD_CONFLICT', `user field '${d.name}' has the name of a built-in k8s_audit field`)
    }
    if (seen.has(d.name)) throw new AppError('ERR_AUDIT_USER_FIELD_CONFLICT', `user field '${d.name}' is defined twice`)
    seen.add(d.name)
  }
}

function compilePath (d: UserFieldDef): void {
  if (typeof d.name !== 'string' || !NAME_RE.test(d.name)) {
    throw new AppError('ERR_AUDIT_USER_FIELD_INVALID', `user field name '${String(d.name)}' must be dotted identifiers, e.g. my.team`)
  }
  const p = d.jsonpath
  if (typeof p !== 'string' || !p.startsWith('$') || !bracketsBalanced(p)) {
    throw new AppError('ERR_AUDIT_USER_FIELD_INVALID', `user field '${d.name}': '${String(p)}' is not a JSONPath starting with $`)
  }
  try {
    JSONPath.toPathArray(p)
  } catch (err) {
    throw new AppError('ERR_AUDIT_USER_FIELD_INVALID', `user field '${d.name}': bad JSONPath '${p}'`, { cause: err })
  }
}

function bracketsBalanced (p: string): boolean {
  let depth = 0
  let quote = ''
  for (const c of p) {
    if (quote !== '') { if (c === quote) quote = ''; continue }
    if (c === '"' || c === "'") quote = c
    else if (c === '[' || c === '(') depth++
    else if (c === ']' || c === ')') { if (--depth < 0) return false }
  }
  return depth === 0 && quote === ''
}

/** Build FieldDefs for user fields; throws AppError ERR_AUDIT_USER_FIELD_INVALID on a bad definition. */
export function createUserFields (defs: readonly UserFieldDef[]): FieldDef<K8sAuditEvent>[] {
  checkUserFieldNames(defs, new Set())
  return defs.map(function createUserField (d) {
    compilePath(d)
    const path = d.jsonpath
    // string paths: jsonpath-plus caches their parsed form (JSONPath.cache), so each is parsed once;
    // ignoreEvalErrors lets a filter skip elements it cannot read instead of failing the whole match
    const engine = JSONPath({ autostart: false, path, json: null, wrap: true, eval: 'safe', ignoreEvalErrors: true })
    const list = d.list === true
    const info = list
      ? { name: d.name, type: 'string' as const, isList: true, desc: `user field: ${d.jsonpath} (every match)` }
      : { name: d.name, type: 'string' as const, desc: `user field: ${d.jsonpath} (first match)` }
    return defineField(info, function bindUserField () {
      return function extractUserField (ev) {
        let found: unknown
        try {
          found = engine.evaluate(path, ev.obj, undefined, undefined)
        } catch {
          return undefined // a filter expression failing on odd data is an absent value, never a crash
        }
        if (!Array.isArray(found)) return undefined
        if (!list) {
          for (const v of found) {
            const t = toText(v)
            if (t !== undefined) return t
          }
          return undefined
        }
        const out: string[] = []
        for (const v of found) {
          const t = toText(v)
          if (t !== undefined) out.push(t)
        }
        return out.length === 0 ? undefined : out
      }
    }, { cache: true })
  })
}
