// The supervisor's transitions over fake helpers (node scripts that say HELLO): a crash schedules
// a restart with an escalating wait, a healthy run resets it, a replacement on purpose restarts
// at once without an error, and stop() during a backoff launches nothing more.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AppError } from '../../../src/errors/index.ts'
import { ConfRequests } from '../../../src/syscall/supervisor/conf-requests.ts'
import { ProbeCounters } from '../../../src/syscall/supervisor/probe-counters.ts'
import { ProbeSupervisor } from '../../../src/syscall/supervisor/probe-supervisor.ts'
import { RestartBackoff, type RestartBackoffOptions } from '../../../src/syscall/supervisor/restart-backoff.ts'
import { fakeHelperHello, writeCloseRecord, writeFakeHelper } from '../../helpers/serve-syscall.ts'
import { stats } from '../../fixtures/syscall/records.ts'

const tmp = mkdtempSync(join(tmpdir(), 'lanner-supervisor-'))
t.teardown(function cleanup () { rmSync(tmp, { recursive: true, force: true }) })

/** says HELLO, then exits 1 after `ms` */
const crashing = (ms: number): string => writeFakeHelper(tmp, `crash-${ms}.mjs`, `${fakeHelperHello()}\nsetTimeout(() => process.exit(1), ${ms})\n`)
/** says HELLO and runs until signalled */
const steady = writeFakeHelper(tmp, 'steady.mjs', `${fakeHelperHello()}\nsetInterval(() => {}, 60_000)\n`)

interface Run { supervisor: ProbeSupervisor, errors: AppError[], restarts: () => number, counters: ProbeCounters, reported: (n: number) => Promise<void> }

function supervise (t: { teardown(fn: () => Promise<void>): void }, bin: string, backoff: RestartBackoffOptions): Run {
  const errors: AppError[] = []
  const waiters: Array<{ n: number, done: () => void }> = []
  let restarts = 0
  const counters = new ProbeCounters()
  const supervisor = new ProbeSupervisor({
    bin,
    args: function args () { return [] },
    startTimeoutMs: 60_000,
    backoff: new RestartBackoff(backoff),
    counters,
    conf: new ConfRequests(60_000),
    callbacks: {
      onRecords () {},
      onError (err) {
        errors.push(err)
        for (const w of waiters) if (errors.length >= w.n) w.done()
      },
      onRestart () { restarts++ }
    }
  })
  t.teardown(function stop () { return supervisor.stop() })
  return {
    supervisor,
    errors,
    counters,
    restarts: () => restarts,
    reported: (n) => new Promise<void>(function wait (done) { if (errors.length >= n) done(); else waiters.push({ n, done }) })
  }
}

function waits (errors: readonly AppError[]): number[] {
  return errors.map(function waitOf (e) { return Number(/restarting in (\d+) ms/.exec(e.message)?.[1]) })
}

t.test('each crash schedules a restart that waits twice as long as the one before, up to the ceiling', async (t) => {
  const run = supervise(t, crashing(0), { minMs: 5, maxMs: 20 })
  await run.supervisor.launch()
  await run.reported(5)
  await run.supervisor.stop()
  const first5 = run.errors.slice(0, 5)
  t.same(first5.map((e) => e.code), Array(5).fill('ERR_SYSCALL_PROBE_FAILED'))
  t.match(first5[0]?.message, /^probe helper exited \(code 1\); restarting in 5 ms$/)
  t.same(waits(first5), [5, 10, 20, 20, 20])
  t.ok(run.restarts() >= 5, 'onRestart before each restart')
  t.ok(run.counters.restarts >= 4, 'the restarts counted in ProbeStats')
})

t.test('a run past the healthy time starts the waits over at the minimum', async (t) => {
  const run = supervise(t, crashing(30), { minMs: 5, maxMs: 1000, healthyMs: 10 })
  await run.supervisor.launch()
  await run.reported(3)
  await run.supervisor.stop()
  t.same(waits(run.errors.slice(0, 3)), [5, 5, 5])
})

t.test('a replacement on purpose starts the next helper at once, without an error or a restart count', async (t) => {
  const run = supervise(t, steady, { minMs: 60_000, maxMs: 60_000 })
  await run.supervisor.launch()
  const first = run.supervisor.current
  t.ok(first !== undefined && first.running)
  t.equal(await run.supervisor.replace(first!), 'restarted')
  const second = run.supervisor.current
  t.ok(second !== undefined && second !== first && second.running, 'a new helper runs')
  t.not(second?.pid, first?.pid)
  t.same(run.errors, [])
  t.equal(run.restarts(), 0)
})

t.test('stop() during a backoff launches nothing more', async (t) => {
  const run = supervise(t, crashing(0), { minMs: 60_000, maxMs: 60_000 })
  await run.supervisor.launch()
  await run.reported(1)
  t.equal(run.supervisor.current, undefined, 'the crashed helper is gone, the next one waits')
  await run.supervisor.stop()
  t.ok(run.supervisor.stopping)
  t.equal(run.supervisor.current, undefined)
  t.equal(run.errors.length, 1)
})

t.test('a helper that dies before HELLO rejects launch() and reports nothing (its caller decides)', async (t) => {
  const bin = writeFakeHelper(tmp, 'unsupported.mjs', 'process.stderr.write("lanner-probe: load failed\\n"); process.exit(3)\n')
  const run = supervise(t, bin, { minMs: 5, maxMs: 5 })
  await t.rejects(run.supervisor.launch(), { code: 'ERR_SYSCALL_UNSUPPORTED', message: /code 3\): lanner-probe: load failed/ })
  t.same(run.errors, [])
  t.equal(run.restarts(), 0)
})

t.test('replacing a helper that has not said HELLO yet (a restart in progress) resolves deferred instead of hanging', async (t) => {
  const bin = writeFakeHelper(tmp, 'slow-start.mjs', 'setInterval(() => {}, 60_000)\n')
  const run = supervise(t, bin, { minMs: 60_000, maxMs: 60_000 })
  const starting = t.rejects(run.supervisor.launch(), { code: 'ERR_SYSCALL_PROBE_FAILED', message: /SIGTERM/ }, 'the start it interrupted fails to its caller')
  const helper = run.supervisor.current
  t.ok(helper !== undefined && helper.running, 'spawned, no HELLO yet')
  t.equal(await run.supervisor.replace(helper!), 'deferred', 'the new set waits for the next start')
  await starting
})

t.test('a helper that attached but shows no sign (no record, no STATS) is restarted after silentRestartMs', async (t) => {
  const silent = steady
  const errors: AppError[] = []
  let restarts = 0
  const supervisor = new ProbeSupervisor({
    bin: silent,
    args: function args () { return [] },
    startTimeoutMs: 60_000,
    backoff: new RestartBackoff({ minMs: 60_000, maxMs: 60_000 }),
    counters: new ProbeCounters(),
    conf: new ConfRequests(60_000),
    silentRestartMs: 200,
    callbacks: { onRecords () {}, onError (err) { errors.push(err) }, onRestart () { restarts++ } }
  })
  t.teardown(function stop () { return supervisor.stop() })
  await supervisor.launch()
  const first = supervisor.current
  const deadline = Date.now() + 60_000
  while (errors.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  t.match(errors[0], { code: 'ERR_SYSCALL_PROBE_FAILED', message: 'probe helper attached but showed no sign of its programs running in 0.2 s (no record, no self-check seen): restarting it' })
  t.match(errors[1]?.message, /^probe helper exited \(SIGTERM\); restarting in 60000 ms$/, 'then restarted as a crashed helper is, with backoff')
  t.equal(restarts, 1, 'onRestart: readiness and the restart metric follow')
  t.not(supervisor.current, first, 'the silent helper is gone')
})

t.test('the silence watch leaves alone a helper that delivers records, and is off with 0', async (t) => {
  const talking = writeFakeHelper(tmp, 'talking.mjs', `${fakeHelperHello()}
import { readFileSync } from 'node:fs'
const rec = readFileSync(process.argv[2])
setInterval(() => process.stdout.write(rec), 20)
`)
  const recordFile = writeCloseRecord(tmp)
  for (const [bin, args, ms] of [[talking, [recordFile], 200], [steady, [], 0]] as const) {
    const errors: AppError[] = []
    let records = 0
    const supervisor = new ProbeSupervisor({
      bin,
      args: function a () { return args },
      startTimeoutMs: 60_000,
      backoff: new RestartBackoff({ minMs: 60_000, maxMs: 60_000 }),
      counters: new ProbeCounters(),
      conf: new ConfRequests(60_000),
      silentRestartMs: ms,
      callbacks: { onRecords (b) { records += b.length }, onError (err) { errors.push(err) } }
    })
    await supervisor.launch()
    const first = supervisor.current
    await new Promise((resolve) => setTimeout(resolve, 1000))
    t.same(errors, [], `${ms === 0 ? 'watch off' : 'records flowing'}: no restart`)
    t.equal(supervisor.current, first)
    if (ms > 0) t.ok(records > 0, 'records were delivered')
    await supervisor.stop()
  }
})

t.test('a quiet node: STATS whose self-check both programs saw keep a helper with no record; STATS with none do not', async (t) => {
  // the real helper's frames, one per stats interval (here every 20 ms): records 0, self-check 1 or 0
  const quiet = writeFakeHelper(tmp, 'quiet.mjs', `${fakeHelperHello()}
import { readFileSync } from 'node:fs'
const frame = readFileSync(process.argv[2])
setInterval(() => process.stdout.write(frame), 20)
`)
  for (const selfChecks of [1, 0]) {
    const frameFile = join(tmp, `stats-${selfChecks}.bin`)
    writeFileSync(frameFile, stats(0, [0, 0], 0n, selfChecks))
    const errors: AppError[] = []
    let records = 0
    const supervisor = new ProbeSupervisor({
      bin: quiet,
      args: function a () { return [frameFile] },
      startTimeoutMs: 60_000,
      backoff: new RestartBackoff({ minMs: 60_000, maxMs: 60_000 }),
      counters: new ProbeCounters(),
      conf: new ConfRequests(60_000),
      silentRestartMs: 200,
      callbacks: { onRecords (b) { records += b.length }, onError (err) { errors.push(err) } }
    })
    await supervisor.launch()
    const first = supervisor.current
    if (selfChecks > 0) {
      await new Promise((resolve) => setTimeout(resolve, 1000))
      t.same(errors, [], 'self-check seen: kept, though no record came')
      t.equal(supervisor.current, first)
      t.equal(records, 0, 'no record was delivered')
    } else {
      const deadline = Date.now() + 60_000
      while (errors.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      t.match(errors[0]?.message, /no sign of its programs running/, 'STATS alone, with a self-check of 0, are no sign: restarted')
    }
    await supervisor.stop()
  }
})
