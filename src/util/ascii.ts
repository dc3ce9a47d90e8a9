// ASCII-only case handling, as C's tolower/strcasestr in the C locale (Falco's icontains, iglob
// and the tolower/toupper transformers never fold non-ASCII letters).

const UPPER = /[A-Z]/
const LOWER = /[a-z]/

export function asciiLower (s: string): string {
  return UPPER.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s
}

export function asciiUpper (s: string): string {
  return LOWER.test(s) ? s.replace(/[a-z]+/g, (m) => m.toUpperCase()) : s
}

/** Whether `hay` contains `lowNeedle` (already ASCII-lowercased), ignoring ASCII case; no allocation. */
export function includesAsciiCI (hay: string, lowNeedle: string): boolean {
  const n = lowNeedle.length
  if (n === 0) return true
  const first = lowNeedle.charCodeAt(0)
  const last = hay.length - n
  outer: for (let i = 0; i <= last; i++) {
    let c = hay.charCodeAt(i)
    if (c >= 65 && c <= 90) c |= 32
    if (c !== first) continue
    for (let j = 1; j < n; j++) {
      let d = hay.charCodeAt(i + j)
      if (d >= 65 && d <= 90) d |= 32
      if (d !== lowNeedle.charCodeAt(j)) continue outer
    }
    return true
  }
  return false
}
