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
