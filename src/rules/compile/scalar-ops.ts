// Per-(operator, type) tests on one present scalar value against constants parsed once. Each
// builder returns a specialised closure; the caller handles absence and list-valued fields.
import type { Scalar } from '../../fields/index.ts'
import type { Literal } from '../lang/ast.ts'
import {
  asciiLower, bytesContain, bytesEndWith, bytesEqual, bytesStartWith, compileGlob, compilePmatch, compileRe2,
  decodeHex, includesAsciiCI, netContains, parseIp, utf8, type IpNet
} from '../../util/index.ts'
import { compileError } from './context.ts'
import { parseBig, parseBool, parseIpConst, parseNet, parseNumber, parseString, type Family } from './values.ts'

export type ScalarTest = (v: Scalar) => boolean

/** `v OP constant` for a binary operator ('==' already normalised to '='). */
export function constantTest (family: Family, op: string, lit: Literal): ScalarTest {
  switch (family) {
    case 'string': return stringTest(op, lit)
    case 'num': return orderTest(op, parseNumber(lit))
    case 'big': return orderTest(op, parseBig(lit))
    case 'bool': return orderTest(op, parseBool(lit))
    case 'ip': {
      const test = ipSetTest([lit])
      return op === '=' ? test : (v) => !test(v)
    }
    case 'net': {
      const net = parseNet(lit)
      const test: ScalarTest = (v) => addrInNet(v as string, net)
      return op === '=' ? test : (v) => !test(v)
    }
    case 'bytes': return bytesTest(op, lit)
  }
}

function orderTest<T extends number | bigint | boolean | string> (op: string, k: T): ScalarTest {
  switch (op) {
    case '=': return (v) => v === k
    case '!=': return (v) => v !== k
    case '<': return (v) => (v as T) < k
    case '<=': return (v) => (v as T) <= k
    case '>': return (v) => (v as T) > k
    case '>=': return (v) => (v as T) >= k
  }
  throw new Error(`unreachable: order operator ${op}`)
}

function stringTest (op: string, lit: Literal): ScalarTest {
  const k = parseString(lit)
  switch (op) {
    case 'contains': return (v) => (v as string).includes(k)
    case 'icontains': {
      const low = asciiLower(k)
      return (v) => includesAsciiCI(v as string, low)
    }
    case 'startswith': return (v) => (v as string).startsWith(k)
    case 'endswith': return (v) => (v as string).endsWith(k)
    case 'glob':
    case 'iglob': {
      const re = compileGlob(k, op === 'iglob')
      return (v) => re.test(v as string)
    }
    case 'regex': {
      const r = compileRe2(k)
      if (!r.ok) throw compileError('RULE_COMPILE_BAD_REGEX', `invalid regex pattern: ${r.message}`, lit.pos)
      const re = r.re
      return (v) => re.test(v as string)
    }
    case 'pmatch': {
      const m = compilePmatch([k])
      return (v) => m(v as string)
    }
    default: return orderTest(op, k)
  }
}

function bytesTest (op: string, lit: Literal): ScalarTest {
  let k: Uint8Array
  if (op === 'bcontains' || op === 'bstartswith') {
    const hex = decodeHex(lit.value)
    if (hex === undefined) throw compileError('RULE_COMPILE_BAD_VALUE', 'bcontains and bstartswith operator support hex strings only', lit.pos)
    k = hex
  } else {
    k = utf8(parseString(lit))
  }
  switch (op) {
    case '=': return (v) => bytesEqual(v as Uint8Array, k)
    case '!=': return (v) => !bytesEqual(v as Uint8Array, k)
    case 'contains':
    case 'bcontains': return (v) => bytesContain(v as Uint8Array, k)
    case 'startswith':
    case 'bstartswith': return (v) => bytesStartWith(v as Uint8Array, k)
    case 'endswith': return (v) => bytesEndWith(v as Uint8Array, k)
  }
  throw new Error(`unreachable: bytes operator ${op}`)
}

/** Membership in a literal set (`in`, and `intersects` on a scalar). */
export function setTest (family: Family, items: readonly Literal[]): ScalarTest {
  switch (family) {
    case 'string': return hashSet(items.map(parseString))
    case 'num': return hashSet(items.map(parseNumber))
    case 'big': return hashSet(items.map(parseBig))
    case 'bool': return hashSet(items.map(parseBool))
    case 'ip': return ipSetTest(items)
    case 'net': {
      const nets = items.map(parseNet)
      return (v) => nets.some((n) => addrInNet(v as string, n))
    }
    case 'bytes': {
      const ks = items.map((l) => utf8(parseString(l)))
      return (v) => ks.some((k) => bytesEqual(v as Uint8Array, k))
    }
  }
}

function hashSet<T extends Scalar> (values: T[]): ScalarTest {
  if (values.length === 0) return () => false
  if (values.length === 1) {
    const k = values[0]
    return (v) => v === k
  }
  const set = new Set<Scalar>(values)
  return (v) => set.has(v)
}

/** Addresses compare by canonical text (the extractor contract); CIDR constants by containment. */
function ipSetTest (items: readonly Literal[]): ScalarTest {
  const addrs = new Set<string>()
  const nets: IpNet[] = []
  for (const lit of items) {
    const c = parseIpConst(lit)
    if ('addr' in c) addrs.add(c.addr)
    else nets.push(c.net)
  }
  if (nets.length === 0) return (v) => addrs.has(v as string)
  return (v) => addrs.has(v as string) || nets.some((n) => addrInNet(v as string, n))
}

/** An extracted address (or `addr/len` text) inside a network. */
function addrInNet (v: string, net: IpNet): boolean {
  const slash = v.indexOf('/')
  const bytes = parseIp(slash < 0 ? v : v.slice(0, slash))
  return bytes !== undefined && netContains(net, bytes)
}

/** `path pmatch (…)` */
export function pmatchTest (items: readonly Literal[]): ScalarTest {
  const m = compilePmatch(items.map(parseString))
  return (v) => m(v as string)
}

/** `a OP b` with both sides extracted per event (val() and transformers on the right). */
export function dynamicCompare (family: Family, op: string): ((a: Scalar, b: Scalar) => boolean) | undefined {
  if (family === 'bytes') {
    switch (op) {
      case '=': case 'in': case 'intersects': return (a, b) => bytesEqual(a as Uint8Array, b as Uint8Array)
      case '!=': return (a, b) => !bytesEqual(a as Uint8Array, b as Uint8Array)
      case 'contains': case 'bcontains': return (a, b) => bytesContain(a as Uint8Array, b as Uint8Array)
      case 'startswith': case 'bstartswith': return (a, b) => bytesStartWith(a as Uint8Array, b as Uint8Array)
      case 'endswith': return (a, b) => bytesEndWith(a as Uint8Array, b as Uint8Array)
    }
    return undefined
  }
  switch (op) {
    case '=': case 'in': case 'intersects': return (a, b) => a === b
    case '!=': return (a, b) => a !== b
    case '<': return (a, b) => a < b
    case '<=': return (a, b) => a <= b
    case '>': return (a, b) => a > b
    case '>=': return (a, b) => a >= b
  }
  if (family !== 'string') return undefined
  switch (op) {
    case 'contains': return (a, b) => (a as string).includes(b as string)
    case 'icontains': return (a, b) => includesAsciiCI(a as string, asciiLower(b as string))
    case 'startswith': return (a, b) => (a as string).startsWith(b as string)
    case 'endswith': return (a, b) => (a as string).endsWith(b as string)
  }
  return undefined
}
