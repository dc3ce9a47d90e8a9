// When rules reloads run: not before the first load has settled, never two at once, and calls
// made during a reload coalesce into exactly one more run.
import t from 'tap'
import { RulesReloadQueue } from '../../src/app/rules/rules-reload-queue.ts'

/** reloadOnce that records its reasons and finishes only when told to */
function gatedReloads (hasRules = true): { queue: RulesReloadQueue, reasons: string[], finish: (ok: boolean) => void, started: (n: number) => Promise<void> } {
  const reasons: string[] = []
  const pending: Array<(ok: boolean) => void> = []
  const waiters: Array<{ n: number, done: () => void }> = []
  const queue = new RulesReloadQueue({
    reloadOnce (reason) {
      reasons.push(reason)
      for (const w of waiters) if (reasons.length >= w.n) w.done()
      return new Promise<boolean>(function gate (resolve) { pending.push(resolve) })
    },
    hasRules: () => hasRules
  })
  return {
    queue,
    reasons,
    finish (ok) { pending.shift()?.(ok) },
    started: (n) => new Promise<void>(function wait (done) { if (reasons.length >= n) done(); else waiters.push({ n, done }) })
  }
}

t.test('after the first load a request runs at once and resolves with its result', async (t) => {
  const g = gatedReloads()
  g.queue.firstLoadSettled()
  const result = g.queue.request('SIGHUP')
  await g.started(1)
  g.finish(false)
  t.equal(await result, false)
  t.same(g.reasons, ['SIGHUP'])
})

t.test('requests during a reload coalesce into one more run; all callers get its result', async (t) => {
  const g = gatedReloads()
  g.queue.firstLoadSettled()
  const first = g.queue.request('file change')
  await g.started(1)
  const second = g.queue.request('SIGHUP')
  const third = g.queue.request('configmap')
  g.finish(true)
  await g.started(2)
  t.same(g.reasons, ['file change', 'file change (coalesced)'], 'one more run, not one per request')
  g.finish(false)
  t.same(await Promise.all([first, second, third]), [false, false, false], 'everyone sees the last run\'s result')
  const later = g.queue.request('later')
  await g.started(3)
  g.finish(true)
  t.equal(await later, true, 'a request after the runs ended starts a new one')
  t.same(g.reasons.slice(2), ['later'])
})

t.test('requests before the first load settles wait for it, then run once', async (t) => {
  const g = gatedReloads()
  const a = g.queue.request('configmap')
  const b = g.queue.request('SIGHUP')
  await Promise.resolve()
  t.same(g.reasons, [], 'nothing runs during the first load')
  g.queue.firstLoadSettled()
  await g.started(1)
  t.same(g.reasons, ['configmap (requested during the first load)'])
  g.finish(true)
  t.same(await Promise.all([a, b]), [true, true])
  t.same(g.reasons.length, 1)
})

t.test('when the first load installed nothing, waiting requests resolve false without a reload', async (t) => {
  const g = gatedReloads(false)
  const a = g.queue.request('configmap')
  g.queue.firstLoadSettled()
  t.equal(await a, false)
  t.same(g.reasons, [])
})
