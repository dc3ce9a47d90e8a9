// stageTimestamp parsing: RFC3339 with up to nanosecond fractions and offsets, exact to the ns.
import t from 'tap'
import { formatIsoNanos, parseRfc3339Nano } from '../../src/audit/index.ts'

const BASE = BigInt(Date.UTC(2018, 9, 26, 13, 38, 34)) * 1_000_000n

t.test('fractions of any length up to 9 digits are exact', async (t) => {
  t.equal(parseRfc3339Nano('2018-10-26T13:38:34Z'), BASE)
  t.equal(parseRfc3339Nano('2018-10-26T13:38:34.9Z'), BASE + 900_000_000n)
  t.equal(parseRfc3339Nano('2018-10-26T13:38:34.902914Z'), BASE + 902_914_000n)
  t.equal(parseRfc3339Nano('2018-10-26T13:38:34.123456789Z'), BASE + 123_456_789n)
})

t.test('offsets are applied', async (t) => {
  t.equal(parseRfc3339Nano('2018-10-26T15:38:34+02:00'), BASE)
  t.equal(parseRfc3339Nano('2018-10-26T08:08:34.5-05:30'), BASE + 500_000_000n)
})

t.test('anything else is not a timestamp', async (t) => {
  for (const bad of ['', '2018-10-26', '2018-10-26 13:38:34Z', '2018-10-26T13:38:34', '2018-10-26T13:38:34.1234567890Z',
    '2018-13-26T13:38:34Z', '2018-02-30T13:38:34Z', '2019-02-29T00:00:00Z', '2018-10-26T24:00:00Z', '2018-10-26T13:38:34+25:00']) {
    t.equal(parseRfc3339Nano(bad), undefined, JSON.stringify(bad))
  }
  t.equal(parseRfc3339Nano('2020-02-29T00:00:00Z'), BigInt(Date.UTC(2020, 1, 29)) * 1_000_000n, 'leap day')
})

t.test('formatIsoNanos prints UTC with 9 digits', async (t) => {
  t.equal(formatIsoNanos(BASE + 902_914_000n), '2018-10-26T13:38:34.902914000Z')
  t.equal(formatIsoNanos(BASE), '2018-10-26T13:38:34.000000000Z')
})

/** The regex formulation the parser must agree with (Date with setUTCFullYear: exact for every year). */
function oracle (text: string): bigint | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(text)
  if (m === null) return undefined
  const y = Number(m[1]); const mo = Number(m[2]); const d = Number(m[3])
  const h = Number(m[4]); const mi = Number(m[5]); const s = Number(m[6])
  const dim = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  if (mo < 1 || mo > 12 || d < 1 || d > (dim[mo - 1] as number) || h > 23 || mi > 59 || s > 59) return undefined
  let off = 0
  if (m[8] === undefined) {
    const oh = Number(m[10]); const om = Number(m[11])
    if (oh > 23 || om > 59) return undefined
    off = (m[9] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const date = new Date(0)
  date.setUTCFullYear(y, mo - 1, d)
  date.setUTCHours(h, mi, s, 0)
  return BigInt(date.getTime() - off * 60_000) * 1_000_000n + (m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, '0')))
}

t.test('agrees with the RFC3339 grammar on generated near-miss inputs', async (t) => {
  // a fixed-seed generator: deterministic, bounded
  let seed = 12345
  function rnd (n: number): number { // mulberry32
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) % n
  }
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T
  // mostly well-formed parts, so that valid timestamps and near misses both come up often
  const two = (): string => rnd(8) === 0 ? pick(['24', '32', '60', '99', '00', '1a', '+1', '13']) : String(1 + rnd(28)).padStart(2, '0')
  let mismatches = 0
  let valid = 0
  for (let k = 0; k < 20000; k++) {
    const text = pick(['2018', '2020', '1900', '2000', '0000', '0099', '9999', '20x0']) + pick(['-', '-', '-', '/']) + two() + '-' + two() +
      pick(['T', 'T', 't', ' ']) + two() + ':' + two() + pick([':', ':', ':', '.']) + two() +
      pick(['', '.', '.1', '.123456', '.123456', '.123456789', '.1234567890', '.12a', '.000000006']) +
      pick(['Z', 'Z', 'Z', 'z', '', '+02:00', '-05:30', '+24:00', '-00:60', '+0200', 'Zx', '+02:00 '])
    if (oracle(text) !== undefined) valid++
    if (parseRfc3339Nano(text) !== oracle(text)) {
      mismatches++
      if (mismatches <= 5) t.fail(`${JSON.stringify(text)}: ${parseRfc3339Nano(text)} vs ${oracle(text)}`)
    }
  }
  t.equal(mismatches, 0)
  t.ok(valid > 200, `valid timestamps among them too (${valid})`)
})

t.test('years before 100 are not shifted into the 1900s', async (t) => {
  t.equal(parseRfc3339Nano('0050-01-01T00:00:00Z'), BigInt(Date.UTC(2050, 0, 1) - 2000 * 31556952000) * 1_000_000n, 'year 50')
})
