// Text out of probe blobs: NUL-terminated strings, NUL-separated lists (argv), and the leaf-first
// cwd components the kernel side sends.

const utf8 = new TextDecoder('utf-8', { fatal: false })

/** a blob as text, without a trailing NUL */
export function text (b: Uint8Array | undefined): string | undefined {
  if (b === undefined) return undefined
  let end = b.length
  while (end > 0 && b[end - 1] === 0) end--
  // Buffer's own slice decoding is several times faster than TextDecoder on short strings
  return Buffer.isBuffer(b) ? b.toString('utf8', 0, end) : utf8.decode(b.subarray(0, end))
}

/** NUL-separated strings (argv) */
export function strings (b: Uint8Array | undefined): string[] {
  const t = text(b)
  return t === undefined || t === '' ? [] : t.split('\0')
}

/** the probe sends cwd leaf first, one NUL-terminated component each; none at all is the root */
export function cwdText (b: Uint8Array | undefined): string | undefined {
  if (b === undefined) return undefined
  const parts = strings(b)
  if (parts.length === 0) return '/'
  parts.reverse()
  return '/' + parts.join('/')
}
