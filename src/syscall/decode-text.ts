// Text out of probe blobs: NUL-terminated strings, NUL-separated lists (argv), and the leaf-first
// cwd components the kernel side sends.

/** a blob as text, without a trailing NUL (blobs are Buffer views: their own slice decoding is
 *  several times faster than a TextDecoder on short strings) */
export function text (b: Buffer | undefined): string | undefined {
  if (b === undefined) return undefined
  let end = b.length
  while (end > 0 && b[end - 1] === 0) end--
  return b.toString('utf8', 0, end)
}

/** NUL-separated strings (argv) */
export function strings (b: Buffer | undefined): string[] {
  const t = text(b)
  return t === undefined || t === '' ? [] : t.split('\0')
}

/** the probe sends cwd leaf first, one NUL-terminated component each; none at all is the root */
export function cwdText (b: Buffer | undefined): string | undefined {
  if (b === undefined) return undefined
  const parts = strings(b)
  if (parts.length === 0) return '/'
  parts.reverse()
  return '/' + parts.join('/')
}
