// The list-watch loop's waits: doubling after failures up to the ceiling, reset once a watch
// delivers events, a quiet pause that never escalates, and ±20 % jitter around each.
import t from 'tap'
import { RetryDelay } from '../../src/k8s/retry-delay.ts'

const middle = (): number => 0.5 // jitter factor 0.8 + 0.5 * 0.4 = 1

t.test('failures in a row double the wait up to the ceiling', async (t) => {
  const d = new RetryDelay(1000, 30_000, middle)
  t.same(Array.from({ length: 7 }, () => d.afterFailure()), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
})

t.test('a watch that delivered events resets the sequence', async (t) => {
  const d = new RetryDelay(100, 10_000, middle)
  d.afterFailure(); d.afterFailure(); d.afterFailure()
  t.equal(d.afterFailure(), 800)
  d.reset()
  t.same([d.afterFailure(), d.afterFailure()], [100, 200])
})

t.test('the quiet pause is initialMs and does not escalate the failure sequence', async (t) => {
  const d = new RetryDelay(100, 10_000, middle)
  t.same([d.pause(), d.pause(), d.pause()], [100, 100, 100])
  t.equal(d.afterFailure(), 100, 'pauses are not failures')
})

t.test('jitter stays within ±20 %', async (t) => {
  t.equal(new RetryDelay(1000, 30_000, () => 0).afterFailure(), 800)
  t.equal(new RetryDelay(1000, 30_000, () => 0.999999).afterFailure(), 1200)
  t.equal(new RetryDelay(1000, 30_000, () => 0).pause(), 800)
  const d = new RetryDelay(1000, 30_000)
  const pauses = Array.from({ length: 50 }, () => d.pause())
  t.same(pauses.filter((w) => w < 800 || w > 1200), [], '50 random pauses within 800..1200')
})

t.test('a very long failure streak does not overflow (the exponent is capped)', async (t) => {
  const d = new RetryDelay(1, Number.MAX_SAFE_INTEGER, middle)
  let last = 0
  for (let i = 0; i < 100; i++) last = d.afterFailure()
  t.equal(last, 2 ** 20)
})
