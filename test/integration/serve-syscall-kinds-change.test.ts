// `lanner serve --source syscall` over a fake probe helper (LANNER_PROBE_HELPER, no privileges
// needed) that, like an older prebuilt helper, never answers a kinds change on its control line,
// so each change replaces the helper with one started with the new set. The replacement of the
// first change fails to start: the change is reported (ERR_SYSCALL_PROBE_FAILED) and the previous
// set stays, the probe restarts (lanner_probe_restarts_total), /readyz answers 503 until the new
// helper's records arrive. A later change goes through by restarting. The logged sets name the
// rules' types the probe cannot produce and the fallback to the default set.
import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { adminPort as adminPortOf, request, until, untilServing, type LogLine } from '../helpers/serve-child.ts'
import { fakeHelperHello, NEVER_FIRING_RULE, startServeOverFakeHelper, statusBecomes, writeCloseRecord, writeFakeHelper } from '../helpers/serve-syscall.ts'

function rule (name: string, condition: string): string {
  return `- rule: ${name}
  desc: test rule
  condition: ${condition}
  output: "${name} (file=%fd.name)"
  priority: NOTICE
  source: syscall
`
}

// chroot is a Falco event type the probe does not record: the rule is loaded, never matches, and the logged set says so
const RULES_A = NEVER_FIRING_RULE + rule('Root Changed', 'evt.type = chroot and evt.dir = <')
const RULES_B = RULES_A + rule('Dir Made', 'evt.type in (mkdir, mkdirat) and evt.dir = < and fs.path.name = /nonexistent/made')
// no evt.type: the rule matches any type, so the probe falls back to its default set
const RULES_C = NEVER_FIRING_RULE + rule('Marker Process', 'proc.name = no-such-process-here')

/**
 * Counts its launches in `launches` and keeps each one's argv in `args-<n>`. Launch 2 exits before
 * its HELLO (a relaunch that fails); launch 3 sends records only once `release` exists; every
 * other launch sends a record every 50 ms. Control lines on stdin are read and never answered.
 */
function fakeHelper (dir: string): { bin: string, release: string, args: (n: number) => string[] } {
  const rec = writeCloseRecord(dir)
  const launches = path.join(dir, 'launches')
  const release = path.join(dir, 'release')
  const bin = writeFakeHelper(dir, 'fake-probe.mjs', `import { existsSync, readFileSync, writeFileSync } from 'node:fs'
const n = (existsSync(${JSON.stringify(launches)}) ? Number(readFileSync(${JSON.stringify(launches)}, 'utf8')) : 0) + 1
writeFileSync(${JSON.stringify(launches)}, String(n))
writeFileSync(${JSON.stringify(dir)} + '/args-' + n, JSON.stringify(process.argv.slice(2)))
if (n === 2) process.exit(1)
${fakeHelperHello()}
const rec = readFileSync(${JSON.stringify(rec)})
setInterval(() => { if (n !== 3 || existsSync(${JSON.stringify(release)})) process.stdout.write(rec) }, 50)
process.stdin.resume()
process.on('SIGTERM', () => process.exit(0))
`)
  return { bin, release, args: (n) => JSON.parse(readFileSync(path.join(dir, `args-${n}`), 'utf8')) as string[] }
}

type KindsLine = LogLine & { kinds: string[], anyType: boolean, typesNotProduced?: string[], applied?: string, code?: string }

t.test('syscall mode: a kinds change whose new helper fails to start is reported, and the restarted helper records the new set; a later one restarts the helper', { timeout: 180_000 }, async (t) => {
  const dir = t.testdir({ 'rules.yaml': RULES_A })
  const rules = path.join(dir, 'rules.yaml')
  const helper = fakeHelper(dir)
  const serve = startServeOverFakeHelper(t, dir, rules, helper.bin)
  const admin = `http://127.0.0.1:${await adminPortOf(serve)}`
  const logged = (msg: string): KindsLine | undefined => serve.logs.find((l): l is KindsLine => typeof l.msg === 'string' && l.msg.startsWith(msg))

  const first = await untilServing(serve, () => logged('probe event types'), 'the probe event types line')
  t.equal(first.msg, 'probe event types')
  t.equal(first.anyType, false)
  t.same(first.typesNotProduced, ['chroot'], 'the rule\'s type the probe cannot produce is named')
  t.notOk(first.kinds.includes('mkdir'))
  t.equal(await statusBecomes(`${admin}/readyz`, 200), 200, 'ready while records flow')

  // change 1: the helper does not answer, its replacement (launch 2) fails to start
  writeFileSync(rules, RULES_B)
  serve.child.kill('SIGHUP')
  const failed = await untilServing(serve, () => logged('probe event types could not be changed'), 'the failed change to be reported', 90_000)
  t.match(failed, { level: 50, code: 'ERR_SYSCALL_PROBE_FAILED', msg: 'probe event types could not be changed now: the helper with the new set failed to start and is restarted with it' })
  t.match(logged('probe problem'), { level: 50, code: 'ERR_SYSCALL_PROBE_FAILED' }, 'the failed start is a probe problem too')
  t.equal((await request(`${admin}/readyz`)).status, 503, 'not ready while the probe restarts')
  const restarts = await until(async () => {
    const m = /^lanner_probe_restarts_total (\d+)$/m.exec((await request(`${admin}/metrics`)).body)
    return m !== null && Number(m[1]) >= 1 && Number(m[1])
  }, 'the restart to be counted')
  t.ok(restarts >= 1, 'the restart is counted')
  t.equal(logged('probe event types changed'), undefined, 'no change is claimed')

  // launch 3 attaches; ready again once its records arrive
  await untilServing(serve, () => existsSync(path.join(dir, 'args-3')), 'the restarted helper')
  t.ok(helper.args(3).join(' ').includes('mkdir'), 'restarted with the new rules\' set (mkdir), as the log says')
  t.equal((await request(`${admin}/readyz`)).status, 503, 'attached, but no record yet')
  writeFileSync(helper.release, '')
  t.equal(await statusBecomes(`${admin}/readyz`, 200), 200, 'ready once the restarted helper delivers')

  // change 2: a rule for any type; the helper does not answer, its replacement (launch 4) starts
  writeFileSync(rules, RULES_C)
  serve.child.kill('SIGHUP')
  const changed = await untilServing(serve, () => logged('probe event types changed'), 'the second change', 90_000)
  t.match(changed, { level: 30, msg: 'probe event types changed for the new rules (a rule matches any event type: default set)', applied: 'restarted', anyType: true })
  t.equal(changed.typesNotProduced, undefined, 'no unproduced type named when there is none')
  await untilServing(serve, () => existsSync(path.join(dir, 'args-4')), 'the helper started with the new set')
  t.match(helper.args(4).join(' '), /--kinds \S*\bmkdir\b/, 'it records the default set (mkdir included)')
  t.equal(await statusBecomes(`${admin}/readyz`, 200), 200)

  serve.child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null }, 'stops cleanly')
})
