// Syscall mode: a helper that stays attached but stops sending records is a broken source, so
// /readyz turns 503 once no record has arrived for lanner.syscall_stale_after_s, and 200 again
// when records resume. Over a fake probe helper (LANNER_PROBE_HELPER, no privileges needed) that
// says HELLO and streams records until the test tells it to fall silent.
import t from 'tap'
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { adminPort as adminPortOf, request, untilServing } from '../helpers/serve-child.ts'
import { fakeHelperHello, fakeHelperStats, NEVER_FIRING_RULE, startServeOverFakeHelper, statusBecomes, writeCloseRecord, writeFakeHelper } from '../helpers/serve-syscall.ts'

/** Sends a record every 50 ms except while `quiet` exists, and STATS frames whose self-check stays
 *  0 (the real helper's when its programs do not run: records are the only sign here) */
function fakeHelper (dir: string): string {
  const rec = writeCloseRecord(dir)
  return writeFakeHelper(dir, 'fake-probe.mjs', `import { existsSync, readFileSync } from 'node:fs'
${fakeHelperHello()}
${fakeHelperStats()}
const rec = readFileSync(${JSON.stringify(rec)})
let sent = 0
sendStats(0, 0)
setInterval(() => { if (!existsSync(${JSON.stringify(path.join(dir, 'quiet'))})) { process.stdout.write(rec); sent++ }; sendStats(sent, 0) }, 50)
process.stdin.resume()
process.on('SIGTERM', () => process.exit(0))
`)
}

t.test('syscall mode: /readyz is 503 while an attached helper sends nothing, 200 when records resume', async (t) => {
  const dir = t.testdir({ 'rules.yaml': NEVER_FIRING_RULE })
  const serve = startServeOverFakeHelper(t, dir, path.join(dir, 'rules.yaml'), fakeHelper(dir), {}, ['-o', 'lanner.syscall_stale_after_s=1'])
  const readyz = `http://127.0.0.1:${await adminPortOf(serve)}/readyz`
  const readyzBecomes = async (want: number): Promise<number> => await statusBecomes(readyz, want)

  t.equal(await readyzBecomes(200), 200, 'ready while records flow')
  await untilServing(serve, () => serve.logs.some((l) => l.msg === 'syscall source producing events: ready'), 'the ready log line')

  // a loaded machine can stall the helper's 50 ms timer past the 1 s window before this point:
  // the spell this test makes is the one from here on
  const spellStart = serve.logs.length
  writeFileSync(path.join(dir, 'quiet'), '')
  t.equal(await readyzBecomes(503), 503, 'not ready once the attached helper has been silent for the window')
  const warn = serve.logs.slice(spellStart).find((l) => typeof l.msg === 'string' && l.msg.startsWith('syscall source attached but silent'))
  t.match(warn, { level: 40, code: 'ERR_SYSCALL_PROBE_FAILED', staleAfterSeconds: 1 }, 'says why, once')
  t.equal((await request(readyz.replace('/readyz', '/healthz'))).status, 200, 'alive all the same: readiness, not a restart')

  rmSync(path.join(dir, 'quiet'))
  t.equal(await readyzBecomes(200), 200, 'ready again once records arrive')
  await untilServing(serve, () => serve.logs.some((l) => l.msg === 'syscall source producing events again: ready'), 'the recovery log line')
  t.equal(serve.logs.slice(spellStart).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('syscall source attached but silent')).length, 1, 'one warning for the one silent spell')
})
