// Syscall mode's readiness (src/app/syscall-mode/syscall-readiness.ts) on a clock the test moves: ready once
// records flow or the helper's self-check rises (a quiet node), not while the helper restarts, not
// after lanner.syscall_stale_after_s without either (one ERR_SYSCALL_PROBE_FAILED warn line per
// silent spell), ready again when a sign returns.
// Logged through the app's real pino logger; lines are read back as JSON.
import t from 'tap'
import { createLogger } from '../../src/app/log/logger.ts'
import { SyscallReadiness } from '../../src/app/syscall-mode/syscall-readiness.ts'
import { lineCollector } from './fixtures.ts'

function setup (staleAfterMs: number) {
  const { stream, lines } = lineCollector()
  const log = createLogger({ level: 'debug', stderr: true, format: 'json' }, stream)
  let clock = 1000
  const readiness = new SyscallReadiness({ staleAfterMs, log, now: () => clock })
  return {
    readiness,
    advance (ms: number) { clock += ms },
    /** [level, code, msg] of each line logged so far (pino levels: 30 info, 40 warn) */
    logged: () => lines.filter((l) => l !== '').map((l) => JSON.parse(l) as { level: number, code?: string, msg: string, records?: number, quietSeconds?: number, staleAfterSeconds?: number })
  }
}

t.test('not ready until a batch with records arrives; one info line when it does', async (t) => {
  const s = setup(60_000)
  t.equal(s.readiness.ready(), false, 'attached, nothing delivered yet')
  s.readiness.recordsArrived(0)
  t.equal(s.readiness.ready(), false, 'an empty batch is no evidence of a working record path')
  s.readiness.recordsArrived(12)
  t.equal(s.readiness.ready(), true)
  s.readiness.recordsArrived(3)
  t.same(s.logged().map((l) => [l.level, l.msg, l.records]), [[30, 'syscall source producing events: ready', 12]], 'said once, not per batch')
})

t.test('silent longer than staleAfterMs: not ready, one ERR_SYSCALL_PROBE_FAILED warn per spell; records make it ready again', async (t) => {
  const s = setup(60_000)
  s.readiness.recordsArrived(1)
  s.advance(59_999)
  t.equal(s.readiness.ready(), true, 'just under the limit')
  s.advance(1)
  t.equal(s.readiness.ready(), false, 'at the limit')
  s.advance(30_000)
  t.equal(s.readiness.ready(), false)
  const warns = s.logged().filter((l) => l.level === 40)
  t.equal(warns.length, 1, 'one line for the spell, however often /readyz asks')
  t.match(warns[0], { code: 'ERR_SYSCALL_PROBE_FAILED', quietSeconds: 60, staleAfterSeconds: 60 })
  s.readiness.recordsArrived(4)
  t.equal(s.readiness.ready(), true)
  t.match(s.logged().at(-1), { level: 30, msg: 'syscall source producing events again: ready', records: 4 })
  s.advance(60_000)
  t.equal(s.readiness.ready(), false, 'a second spell')
  t.equal(s.logged().filter((l) => l.level === 40).length, 2, 'is reported again')
})

t.test('staleAfterMs 0 turns staleness off', async (t) => {
  const s = setup(0)
  s.readiness.recordsArrived(1)
  s.advance(24 * 3600_000)
  t.equal(s.readiness.ready(), true)
  t.equal(s.logged().filter((l) => l.level === 40).length, 0)
})

t.test('a helper restart makes the source not ready until the new helper delivers', async (t) => {
  const s = setup(60_000)
  s.readiness.recordsArrived(1)
  s.readiness.restarting()
  t.equal(s.readiness.ready(), false)
  t.equal(s.logged().filter((l) => l.level === 40).length, 0, 'a restart is not a silent spell')
  s.readiness.recordsArrived(2)
  t.equal(s.readiness.ready(), true)
  t.equal(s.logged().filter((l) => l.msg === 'syscall source producing events: ready').length, 2, 'the new helper is announced as the first one was')
})

t.test('the default clock is performance.now', async (t) => {
  const { stream } = lineCollector()
  const r = new SyscallReadiness({ staleAfterMs: 3_600_000, log: createLogger({ level: 'info', stderr: true, format: 'json' }, stream) })
  r.recordsArrived(1)
  t.equal(r.ready(), true, 'records just now: fresh by the real clock')
})

t.test('attached but no record and no self-check for staleAfterMs: one ERR_SYSCALL_PROBE_FAILED warn with what the helper says it sent', async (t) => {
  const s = setup(60_000)
  s.readiness.helperStats({ records: 0, selfEnter: 0, selfExit: 0 })
  s.advance(59_999)
  t.equal(s.readiness.ready(), false)
  t.equal(s.logged().length, 0, 'nothing said before the limit')
  s.advance(1)
  t.equal(s.readiness.ready(), false)
  s.advance(30_000)
  t.equal(s.readiness.ready(), false)
  const warns = s.logged().filter((l) => l.level === 40) as Array<Record<string, unknown>>
  t.equal(warns.length, 1, 'one line, however often /readyz asks')
  t.match(warns[0], { code: 'ERR_SYSCALL_PROBE_FAILED', waitedSeconds: 60, staleAfterSeconds: 60, helperRecordsSent: 0, helperSelfChecks: { enter: 0, exit: 0 }, msg: /no record has arrived/ })
  s.readiness.recordsArrived(5)
  t.equal(s.readiness.ready(), true, 'records make it ready')
  s.readiness.restarting()
  s.advance(60_000)
  t.equal(s.readiness.ready(), false)
  const again = s.logged().filter((l) => l.level === 40) as Array<Record<string, unknown>>
  t.equal(again.length, 2, 'a restarted helper that stays silent is reported again')
  t.equal(again[1]?.helperRecordsSent, null, 'no STATS frame from the new helper yet: unknown, not the old count')
})

t.test('staleAfterMs 0: a long wait for the first record is not reported', async (t) => {
  const s = setup(0)
  s.advance(24 * 3600_000)
  t.equal(s.readiness.ready(), false)
  t.equal(s.logged().length, 0)
})

t.test('a quiet node: no record at all, but the self-check rising in every STATS frame keeps the source ready', async (t) => {
  const s = setup(60_000)
  s.readiness.helperStats({ records: 0, selfEnter: 0, selfExit: 0 })
  t.equal(s.readiness.ready(), false, 'a frame whose programs saw nothing is no sign')
  s.readiness.helperStats({ records: 0, selfEnter: 1, selfExit: 1 })
  t.equal(s.readiness.ready(), true, 'both programs saw the self-check: ready without any record')
  t.match(s.logged().at(-1), { level: 30, msg: 'syscall probe programs running (self-check seen): ready', selfChecks: 1 })
  for (let i = 2; i < 200; i++) {
    s.advance(1000)
    s.readiness.helperStats({ records: 0, selfEnter: i, selfExit: i })
    if (!s.readiness.ready()) { t.fail(`not ready at frame ${i}`); break }
  }
  t.equal(s.logged().filter((l) => l.level === 40).length, 0, 'three quiet minutes: no warning')
})

t.test('the self-check stops rising (programs detached): stale after staleAfterMs, with the helper\'s counts; ready again when it rises', async (t) => {
  const s = setup(60_000)
  s.readiness.helperStats({ records: 7, selfEnter: 1, selfExit: 1 })
  for (let i = 0; i < 60; i++) {
    s.advance(1000)
    s.readiness.helperStats({ records: 7, selfEnter: 1, selfExit: 1 })
  }
  t.equal(s.readiness.ready(), false, 'frames keep coming, the counts do not move')
  const warn = s.logged().find((l) => l.level === 40) as Record<string, unknown> | undefined
  t.match(warn, { code: 'ERR_SYSCALL_PROBE_FAILED', quietSeconds: 60, helperRecordsSent: 7, helperSelfChecks: { enter: 1, exit: 1 } })
  s.readiness.helperStats({ records: 7, selfEnter: 2, selfExit: 1 })
  t.equal(s.readiness.ready(), false, 'only sys_enter saw it: the exit program is not proven')
  s.readiness.helperStats({ records: 7, selfEnter: 3, selfExit: 2 })
  t.equal(s.readiness.ready(), true)
  t.match(s.logged().at(-1), { level: 30, msg: 'syscall probe programs running (self-check seen) again: ready' })
})

t.test('after a restart the new helper\'s counts start again from zero: its first self-check is a sign', async (t) => {
  const s = setup(60_000)
  s.readiness.helperStats({ records: 0, selfEnter: 40, selfExit: 40 })
  t.equal(s.readiness.ready(), true)
  s.readiness.restarting()
  t.equal(s.readiness.ready(), false, 'restarting')
  s.readiness.helperStats({ records: 0, selfEnter: 1, selfExit: 1 })
  t.equal(s.readiness.ready(), true, '1 is below the old helper\'s 40, and still a sign of the new one')
})
