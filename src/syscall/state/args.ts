// Typed reads of a record's loosely typed arguments (numbers may arrive as bigint, strings as
// NUL-terminated bytes). Never throws: a wrong shape reads as undefined.
import type { SyscallRecord } from '../record.ts'

export type ArgValue = SyscallRecord['args'][string]
const utf8 = new TextDecoder('utf-8')

export function argNum (v: ArgValue): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(BigInt.asIntN(64, v))
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return Number(v)
  return undefined
}

/** A 64-bit argument kept whole (epoch-ns times lose precision as a number). */
export function argBig (v: ArgValue): bigint | undefined {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v)
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return BigInt(v)
  return undefined
}

/** Text of a string or byte argument, without a trailing NUL. */
export function argStr (v: ArgValue): string | undefined {
  if (typeof v === 'string') return v.endsWith('\0') ? v.slice(0, -1) : v
  if (v instanceof Uint8Array) {
    const end = v.length > 0 && v[v.length - 1] === 0 ? v.length - 1 : v.length
    return utf8.decode(v.subarray(0, end))
  }
  return undefined
}

/** A NUL-separated list (argv, env) as strings. */
export function argList (v: ArgValue): string[] | undefined {
  const s = argStr(v)
  if (s === undefined) return undefined
  if (s === '') return []
  return s.split('\0')
}

/** First argument present among several names (the decoder and Falco name some differently). */
export function pick (args: SyscallRecord['args'], ...names: string[]): ArgValue {
  for (const n of names) {
    const v = args[n]
    if (v !== undefined) return v
  }
  return undefined
}
