// The helper's restart waits: doubling from the minimum up to the ceiling, and back to the
// minimum after a run long enough to count as healthy.
import t from 'tap'
import { HEALTHY_MS, RestartBackoff } from '../../../src/syscall/supervisor/restart-backoff.ts'

t.test('each restart waits twice as long as the one before, up to the ceiling', async (t) => {
  const b = new RestartBackoff({ minMs: 250, maxMs: 2000 })
  t.equal(b.nextMs, 250, 'the first restart waits the minimum')
  t.same([b.take(), b.take(), b.take(), b.take(), b.take(), b.take()], [250, 500, 1000, 2000, 2000, 2000])
  t.equal(b.nextMs, 2000)
})

t.test('a ceiling that is not a power-of-two multiple of the minimum is still reached, never passed', async (t) => {
  const b = new RestartBackoff({ minMs: 300, maxMs: 1000 })
  t.same([b.take(), b.take(), b.take(), b.take()], [300, 600, 1000, 1000])
})

t.test('a healthy run starts the sequence over; a short one does not', async (t) => {
  const b = new RestartBackoff({ minMs: 100, maxMs: 10_000, healthyMs: 5000 })
  b.take(); b.take(); b.take()
  t.equal(b.nextMs, 800)
  b.noteRun(5000)
  t.equal(b.nextMs, 800, 'exactly the healthy time is not more than it: no reset')
  b.noteRun(4999)
  t.equal(b.take(), 800, 'a crash soon after start keeps escalating')
  b.noteRun(5001)
  t.equal(b.nextMs, 100, 'a run past the healthy time resets to the minimum')
  t.same([b.take(), b.take()], [100, 200], 'and the doubling starts again from there')
})

t.test('the default healthy time is 30 s', async (t) => {
  t.equal(HEALTHY_MS, 30_000)
  const b = new RestartBackoff({ minMs: 10, maxMs: 1000 })
  b.take(); b.take()
  b.noteRun(HEALTHY_MS)
  t.equal(b.nextMs, 40)
  b.noteRun(HEALTHY_MS + 1)
  t.equal(b.nextMs, 10)
})
