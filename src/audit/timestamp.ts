// RFC3339Nano timestamps (the apiserver's stageTimestamp) to exact nanoseconds since the epoch.
// Date cannot hold nanoseconds, so the fraction is carried separately and added as a bigint.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Parse an RFC3339 timestamp with up to 9 fractional digits; undefined when it is not one. */
export function parseRfc3339Nano (text: string): bigint | undefined {
  const m = RFC3339.exec(text)
  if (m === null) return undefined
  const year = Number(m[1]); const month = Number(m[2]); const day = Number(m[3])
  const hour = Number(m[4]); const minute = Number(m[5]); const second = Number(m[6])
  if (month < 1 || month > 12 || day < 1 || day > (DAYS_IN_MONTH[month - 1] as number)) return undefined
  if (month === 2 && day === 29 && !isLeapYear(year)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMin = 0
  if (m[8] === undefined) {
    const oh = Number(m[10]); const om = Number(m[11])
    if (oh > 23 || om > 59) return undefined
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMin * 60_000
  const frac = m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, '0'))
  return BigInt(ms) * 1_000_000n + frac
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
