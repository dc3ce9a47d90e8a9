// RFC3339Nano timestamps (the apiserver's stageTimestamp) to exact nanoseconds since the epoch.
// Date cannot hold nanoseconds, so the fraction is carried separately and added as a bigint.

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000]

/** `n` ASCII digits of `s` from `at` as a number; -1 when one is not a digit. */
function digitsAt (s: string, at: number, n: number): number {
  let v = 0
  for (let k = at; k < at + n; k++) {
    const d = s.charCodeAt(k) - 48
    if (d < 0 || d > 9) return -1
    v = v * 10 + d
  }
  return v
}

/**
 * Parse an RFC3339 timestamp with up to 9 fractional digits; undefined when it is not one.
 * Runs once per audit event, so it reads character codes instead of matching a regex and
 * building the fraction from a padded string (about 5x faster, same results).
 */
export function parseRfc3339Nano (text: string): bigint | undefined {
  const n = text.length
  // YYYY-MM-DDTHH:MM:SS then [.fraction] then Z or ±HH:MM
  if (n < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined
  const t = text.charCodeAt(10)
  if (t !== 84 && t !== 116) return undefined
  const year = digitsAt(text, 0, 4); const month = digitsAt(text, 5, 2); const day = digitsAt(text, 8, 2)
  const hour = digitsAt(text, 11, 2); const minute = digitsAt(text, 14, 2); const second = digitsAt(text, 17, 2)
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > (DAYS_IN_MONTH[month - 1] as number)) return undefined
  if (month === 2 && day === 29 && !isLeapYear(year)) return undefined
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined
  let i = 19
  let frac = 0
  if (text.charCodeAt(i) === 46) {
    const from = ++i
    for (; i < n && i - from < 10; i++) {
      const d = text.charCodeAt(i) - 48
      if (d < 0 || d > 9) break
      frac = frac * 10 + d
    }
    const len = i - from
    if (len === 0 || len > 9) return undefined
    frac *= POW10[9 - len] as number
  }
  let offsetMin = 0
  const z = text.charCodeAt(i)
  if (z === 90 || z === 122) {
    if (i + 1 !== n) return undefined
  } else if (z === 43 || z === 45) {
    if (i + 6 !== n || text.charCodeAt(i + 3) !== 58) return undefined
    const oh = digitsAt(text, i + 1, 2); const om = digitsAt(text, i + 4, 2)
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined
    offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om)
  } else {
    return undefined
  }
  const secs = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetMin * 60
  return BigInt(secs) * 1_000_000_000n + BigInt(frac)
}

/** Days since 1970-01-01 of a proleptic Gregorian date (any year; Date.UTC maps 0-99 to 19xx). */
function daysFromCivil (year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

function isLeapYear (y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
}

/** Format ns since the epoch as `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (UTC, always 9 digits). */
export function formatIsoNanos (ns: bigint): string {
  const ms = ns / 1_000_000n
  const frac = ns % 1_000_000_000n
  const iso = new Date(Number(ms < 0n ? ms - 1n : ms)).toISOString()
  return `${iso.slice(0, 19)}.${(frac < 0n ? frac + 1_000_000_000n : frac).toString().padStart(9, '0')}Z`
}
