// ProbeStats from STATS frames: drops since the previous frame of the same helper, the loader's
// restart and decode-error totals.
import t from 'tap'
import type { StatsFrame } from '../../../src/syscall/decode.ts'
import { ProbeCounters } from '../../../src/syscall/supervisor/probe-counters.ts'

function frame (dropsPerCpu: number[], records = 10): StatsFrame {
  return { records, bytes: records * 64, polls: 1, clockOffset: 0n, selfEnter: 1, selfExit: 1, dropsPerCpu }
}

t.test('dropsDelta counts the drops since the previous frame of the same helper', async (t) => {
  const c = new ProbeCounters()
  c.helperStarted(4242)
  const first = c.statsOf(frame([0, 0]), 1000)
  t.same({ helperPid: first.helperPid, drops: first.drops, dropsDelta: first.dropsDelta, time: first.time }, { helperPid: 4242, drops: 0, dropsDelta: 0, time: 1_000_000_000n })
  const second = c.statsOf(frame([3, 4]))
  t.same([second.drops, second.dropsDelta, second.dropsPerCpu], [7, 7, [3, 4]])
  t.equal(c.statsOf(frame([3, 4])).dropsDelta, 0, 'no new drops')
  t.equal(c.statsOf(frame([5, 4])).dropsDelta, 2)
})

t.test('a new helper starts its drop count over; a delta is never negative', async (t) => {
  const c = new ProbeCounters()
  c.helperStarted(1)
  c.statsOf(frame([100]))
  c.helperStarted(2)
  const fresh = c.statsOf(frame([1]))
  t.same([fresh.helperPid, fresh.dropsDelta], [2, 1], 'the new helper\'s own drops, not 1 - 100')
  const odd = new ProbeCounters()
  odd.statsOf(frame([5]))
  t.equal(odd.statsOf(frame([2])).dropsDelta, 0, 'a counter going down (no HELLO between) gives 0')
})

t.test('restarts and decode errors are totals since the loader started, across helpers', async (t) => {
  const c = new ProbeCounters()
  t.equal(c.addDecodeErrors(2), 2)
  t.equal(c.addDecodeErrors(3), 5)
  c.restarts++
  c.helperStarted(9)
  const s = c.statsOf(frame([]))
  t.same([s.decodeErrors, s.restarts, s.drops], [5, 1, 0])
})
