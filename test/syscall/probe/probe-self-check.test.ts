// The helper's self-check on the real kernel: before each STATS frame it calls getppid, which no
// rule records, and its sys_enter and sys_exit programs count that call. A probe told to record
// nothing at all (the quietest node there is) still shows, frame after frame, that its programs
// run: this is what keeps /readyz up on a node where nothing the rules ask for happens. Other
// processes' getppid calls are not counted. Skips (with the reason) without root, BTF or clang.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { probeSkipReason, recordProbe } from '../../fixtures/syscall/probe-harness.ts'

const skip = probeSkipReason()
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const rec = await recordProbe({ kinds: [], enterKinds: [] })
  t.teardown(async function stopProbe () { await rec.probe.stop() })

  t.test('recording nothing: no record, and the self-check rises in every STATS frame from the first', async (t) => {
    const frames = await rec.waitStats(6)
    t.ok(frames.length >= 6, `${frames.length} STATS frames`)
    t.equal(frames[0]?.selfEnter, 1, 'the first frame, sent at once after HELLO, already shows the enter program ran')
    t.equal(frames[0]?.selfExit, 1, 'and the exit program')
    for (let i = 1; i < frames.length; i++) {
      const a = frames[i - 1]!
      const b = frames[i]!
      if (!(b.selfEnter > a.selfEnter && b.selfExit > a.selfExit)) t.fail(`frame ${i}: ${a.selfEnter}/${a.selfExit} → ${b.selfEnter}/${b.selfExit}`)
    }
    t.equal(frames.at(-1)?.records, 0, 'the helper wrote no record')
    t.equal(rec.records.length, 0, 'none was delivered')
    t.same(rec.errors, [])
  })

  t.test('other processes\' getppid calls are not counted: one per frame, the helper\'s own', async (t) => {
    const before = (await rec.waitStats(rec.stats.length + 1)).at(-1)!
    // another process calling getppid 1000 times (os.getppid is the bare syscall)
    const other = spawnSync('python3', ['-c', 'import os\nfor _ in range(1000): os.getppid()'])
    t.equal(other.status, 0, 'the other process ran')
    const frames = await rec.waitStats(rec.stats.length + 2)
    const after = frames.at(-1)!
    const n = frames.length - frames.indexOf(before)
    t.equal(after.selfEnter - before.selfEnter, n - 1, 'exactly one self-check per frame since')
    t.equal(after.selfExit - before.selfExit, n - 1)
  })
}
