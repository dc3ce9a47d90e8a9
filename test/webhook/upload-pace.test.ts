// The minimum upload rate on its own clock: after the grace, an upload is ended only when its
// average since its start falls below the rate; one that keeps up is left alone, however long.
// (Over real sockets: webhook-slow-clients.test.ts.)
import t from 'tap'
import { createUploadPace } from '../../src/webhook/upload-pace.ts'

/**
 * `p`, or a failure after 30 s. The pace's interval is unref'd (it never keeps a stopping process
 * alive), so this ref'd bound is also what keeps the test process running until the check fires.
 */
async function bounded<T> (p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what}: not within 30 s`)) }, 30_000) })
  try { return await Promise.race([p, limit]) } finally { clearTimeout(timer) }
}

t.test('after the grace the slow upload is ended, the one keeping up is not', async (t) => {
  let clock = 0
  const pace = createUploadPace({ minBytesPerSecond: 1000, graceMs: 5000, tickMs: 5, now: () => clock })
  t.teardown(() => pace.close())
  const endedSlow = new Promise<[number, number]>((resolve) => {
    const slow = pace.track((received, elapsedMs) => { resolve([received, elapsedMs]) })
    slow.received(10)
  })
  let fastEnded = false
  const fast = pace.track(() => { fastEnded = true })
  fast.received(3000)
  t.equal(pace.watching, 2)
  clock = 8000 // 3 s past the grace: at least 3000 bytes were due
  t.same(await bounded(endedSlow, 'the slow upload ended'), [10, 8000], 'the slow one is told what arrived and over how long')
  t.equal(fastEnded, false, 'exactly the rate keeps an upload going')
  t.equal(pace.watching, 1, 'only the one keeping up is still watched')
  clock = 9000
  fast.received(999)
  fast.done()
  t.equal(pace.watching, 0, 'a finished body is no longer watched')
  t.equal(fastEnded, false)
})

t.test('the grace runs from each upload\'s own start', async (t) => {
  let clock = 0
  const pace = createUploadPace({ minBytesPerSecond: 1000, graceMs: 5000, tickMs: 5, now: () => clock })
  t.teardown(() => pace.close())
  const earlyEnded = new Promise<number>((resolve) => { pace.track((_received, elapsedMs) => { resolve(elapsedMs) }) })
  clock = 3000
  let lateEnded = false
  pace.track(() => { lateEnded = true })
  clock = 5001
  t.equal(await bounded(earlyEnded, 'the first upload ended'), 5001, 'nothing received one millisecond past its grace: ended')
  // the same check that ended the first one saw the second 2001 ms into its grace
  t.equal(lateEnded, false, 'the later upload, still within its grace, is not')
  t.equal(pace.watching, 1)
})
