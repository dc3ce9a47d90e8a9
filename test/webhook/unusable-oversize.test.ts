// An oversize batch is reported once, not once per retry: kube-apiserver re-sends it from the same
// address with the same Content-Length, within its retry window.
import t from 'tap'
import { createOversizeMemory } from '../../src/webhook/unusable-batches.ts'

t.test('retries are recognised by address and Content-Length within the window', async (t) => {
  let clock = 0
  const m = createOversizeMemory(() => clock)
  t.equal(m.firstSighting('10.0.0.1', '70000000'), true)
  for (let i = 0; i < 4; i++) { clock += 30_000; t.equal(m.firstSighting('10.0.0.1', '70000000'), false, `retry ${i + 1}`) }
  t.equal(m.firstSighting('10.0.0.2', '70000000'), true, 'another apiserver')
  t.equal(m.firstSighting('10.0.0.1', '70000001'), true, 'another batch')
  clock += 10 * 60_000 + 1
  t.equal(m.firstSighting('10.0.0.1', '70000000'), true, 'after the window: a new batch')
  t.equal(m.firstSighting('10.0.0.1', undefined), true, 'chunked: nothing to recognise it by')
  t.equal(m.firstSighting('10.0.0.1', undefined), true)
})

t.test('the memory is bounded: past 1024 remembered batches the oldest is forgotten and counts as new again', async (t) => {
  const m = createOversizeMemory(() => 0)
  let fresh = 0
  for (let i = 0; i < 1024; i++) if (m.firstSighting(`10.0.${i >> 8}.${i & 255}`, '70000000')) fresh++
  t.equal(fresh, 1024)
  t.equal(m.firstSighting('10.0.0.0', '70000000'), false, 'all 1024 are remembered')
  t.equal(m.firstSighting('10.0.4.0', '70000000'), true, 'a 1025th batch...')
  t.equal(m.firstSighting('10.0.0.0', '70000000'), true, '...pushed the oldest out: it counts as new again')
  t.equal(m.firstSighting('10.0.3.255', '70000000'), false, 'the newest of the first 1024 is still remembered')
})
