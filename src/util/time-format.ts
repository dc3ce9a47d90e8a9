// Event times (integer ns since the epoch, UTC) as Falco prints them: in alert lines and JSON
// (outputs/serialize.ts) and in %evt.time-style output fields (rules/format/values.ts). Pure.

const NS_PER_S = 1_000_000_000n

function split (ns: bigint): { date: Date, frac: string } {
  let s = ns / NS_PER_S
  let f = ns % NS_PER_S
  if (f < 0n) { f += NS_PER_S; s -= 1n }
  return { date: new Date(Number(s) * 1000), frac: f.toString().padStart(9, '0') }
}

function two (n: number): string { return String(n).padStart(2, '0') }

/** `2026-01-02T03:04:05.000000001` (UTC, no zone suffix). */
function isoBase (ns: bigint): string {
  const { date: d, frac } = split(ns)
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${frac}`
}

/** RFC 3339 UTC with exactly nine fractional digits: the JSON `time` key. */
export function formatTimeRfc3339 (ns: bigint): string { return isoBase(ns) + 'Z' }

/** Falco's `%evt.time.iso8601`: `2016-08-04T16:17:57.881781397+0000`. */
export function formatTimeIso8601 (ns: bigint): string { return isoBase(ns) + '+0000' }

/** Falco's `%evt.time`: `16:17:57.881781397` (UTC here; upstream uses local time). */
export function formatTimeOfDay (ns: bigint): string {
  const { date: d, frac } = split(ns)
  return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${frac}`
}
