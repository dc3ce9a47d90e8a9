// Rule constants parsed once into the left-hand field's type (Falco parses the right side into the
// field's type, never the other way round). Errors are RULE_COMPILE_BAD_VALUE at the literal.
import type { FieldType } from '../../fields/index.ts'
import type { Literal } from '../lang/ast.ts'
import { canonicalIp, parseCidr, type IpNet } from '../../util/index.ts'
import { compileError } from './context.ts'

/** Value families: types that share a JS representation and operator set. */
export type Family = 'string' | 'num' | 'big' | 'bool' | 'ip' | 'net' | 'bytes'

export function familyOf (t: FieldType): Family {
  switch (t) {
    case 'string': return 'string'
    case 'int':
    case 'double': return 'num'
    case 'abstime':
    case 'reltime': return 'big'
    case 'bool': return 'bool'
    case 'ipaddr': return 'ip'
    case 'ipnet': return 'net'
    case 'bytebuf': return 'bytes'
  }
}

const ORDER = ['=', '!=', '<', '<=', '>', '>=']
/** Legal operators per family ('==' is normalised to '='; `exists` is always legal). */
export const LEGAL_OPS: Readonly<Record<Family, ReadonlySet<string>>> = {
  string: new Set([...ORDER, 'contains', 'icontains', 'startswith', 'endswith', 'glob', 'iglob', 'regex', 'pmatch', 'in', 'intersects']),
  num: new Set([...ORDER, 'in', 'intersects']),
  big: new Set([...ORDER, 'in', 'intersects']),
  bool: new Set(['=', '!=', 'in', 'intersects']),
  ip: new Set(['=', '!=', 'in', 'intersects']),
  net: new Set(['=', '!=', 'in', 'intersects']),
  bytes: new Set(['=', '!=', 'contains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'in', 'intersects'])
}

const DEC_RE = /^[+-]?[0-9]+$/

export function parseNumber (lit: Literal): number {
  if (!DEC_RE.test(lit.value)) throw compileError('RULE_COMPILE_BAD_VALUE', `${lit.value} is not a valid number`, lit.pos)
  const n = Number(lit.value)
  // upstream wraps out-of-range values silently; we refuse them instead
  if (!Number.isSafeInteger(n)) throw compileError('RULE_COMPILE_BAD_VALUE', `${lit.value} is out of range`, lit.pos)
  return n
}

export function parseBig (lit: Literal): bigint {
  if (!DEC_RE.test(lit.value)) throw compileError('RULE_COMPILE_BAD_VALUE', `${lit.value} is not a valid number`, lit.pos)
  return BigInt(lit.value)
}

export function parseBool (lit: Literal): boolean {
  if (lit.value === 'true') return true
  if (lit.value === 'false') return false
  throw compileError('RULE_COMPILE_BAD_VALUE', `unrecognized boolean value ${lit.value} (use true or false)`, lit.pos)
}

export function parseString (lit: Literal): string {
  if (lit.value.includes('\0')) throw compileError('RULE_COMPILE_BAD_VALUE', 'filter value cannot contain a NUL byte', lit.pos)
  return lit.value
}

/** An address constant: its canonical text, or a network when written as CIDR. */
export function parseIpConst (lit: Literal): { addr: string } | { net: IpNet } {
  if (lit.value.includes('/')) return { net: parseNet(lit) }
  const addr = canonicalIp(lit.value)
  if (addr === undefined) throw compileError('RULE_COMPILE_BAD_VALUE', `unrecognized IP address ${lit.value}`, lit.pos)
  return { addr }
}

export function parseNet (lit: Literal): IpNet {
  const net = parseCidr(lit.value)
  if (net === undefined) throw compileError('RULE_COMPILE_BAD_VALUE', `unrecognized IP network ${lit.value}`, lit.pos)
  return net
}
