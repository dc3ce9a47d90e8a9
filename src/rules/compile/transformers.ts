// Transformers (tolower, toupper, b64, basename, len) as value mappers over extracted values.
// List values map element-wise; `len` counts list items. An undecodable b64 value is absent.
import type { FieldType, FieldValue, Scalar } from '../../fields/index.ts'
import { asciiLower, asciiUpper } from '../../util/index.ts'

export interface TransformerSpec {
  /** input types accepted */
  accepts: readonly FieldType[]
  /** output type for an input type */
  output: (input: FieldType) => FieldType
  /** whether it maps list elements (true) or consumes the whole value (len) */
  elementWise: boolean
  apply: (v: Scalar) => Scalar | undefined
}

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function basename (s: string): string {
  const slash = s.lastIndexOf('/')
  return slash < 0 ? s : s.slice(slash + 1)
}

function b64 (v: Scalar): Scalar | undefined {
  if (typeof v === 'string') {
    return B64_RE.test(v) ? Buffer.from(v, 'base64').toString('utf8') : undefined
  }
  if (v instanceof Uint8Array) {
    const s = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1')
    return B64_RE.test(s) ? new Uint8Array(Buffer.from(s, 'base64')) : undefined
  }
  return undefined
}

function len (v: Scalar): Scalar {
  if (typeof v === 'string') return Buffer.byteLength(v)
  if (v instanceof Uint8Array) return v.length
  return 0
}

const same = (t: FieldType): FieldType => t

export const TRANSFORMER_SPECS: Readonly<Record<string, TransformerSpec>> = {
  tolower: { accepts: ['string'], output: same, elementWise: true, apply: (v) => asciiLower(v as string) },
  toupper: { accepts: ['string'], output: same, elementWise: true, apply: (v) => asciiUpper(v as string) },
  basename: { accepts: ['string'], output: same, elementWise: true, apply: (v) => basename(v as string) },
  b64: { accepts: ['string', 'bytebuf'], output: same, elementWise: true, apply: b64 },
  len: { accepts: ['string', 'bytebuf'], output: () => 'int', elementWise: false, apply: len }
}

/** Build the extractor of `spec(inner)`. */
export function applyTransformer<E> (spec: TransformerSpec, inner: (ev: E) => FieldValue, innerIsList: boolean): (ev: E) => FieldValue {
  const f = spec.apply
  if (!innerIsList) {
    return function transformScalar (ev) {
      const v = inner(ev)
      return v === undefined ? undefined : f(v as Scalar)
    }
  }
  if (!spec.elementWise) {
    // len(list): the element count
    return function countList (ev) {
      const v = inner(ev) as readonly Scalar[] | undefined
      return v === undefined ? undefined : v.length
    }
  }
  return function transformList (ev) {
    const v = inner(ev) as readonly Scalar[] | undefined
    if (v === undefined) return undefined
    const out: Scalar[] = []
    for (const x of v) {
      const y = f(x)
      if (y !== undefined) out.push(y)
    }
    return out
  }
}
