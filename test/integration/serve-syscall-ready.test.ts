// `lanner serve --source syscall` is ready only while its probe shows it works: over a fake probe
// helper (LANNER_PROBE_HELPER, no privileges needed) that attaches (HELLO) and sends STATS frames
// whose self-check stays 0 (its programs do not run) and records only when the test says so,
// /readyz answers 503 with the rules loaded and the probe attached, 200 once a record has been
// decoded, and 503 again from a helper crash until the restarted helper's records arrive. A helper
// whose self-check rises is ready without any record: a quiet node.
import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { adminPort as adminPortOf, request, untilServing } from '../helpers/serve-child.ts'
import { fakeHelperHello, fakeHelperStats, NEVER_FIRING_RULE, startServeOverFakeHelper, statusBecomes, writeCloseRecord, writeFakeHelper } from '../helpers/serve-syscall.ts'

/**
 * Run N (1, 2…) says HELLO, then sends one record once `go<N>` exists; run 1 exits 1 once `crash`
 * exists. Each run notes itself in `run<N>`.
 */
function fakeHelper (dir: string): string {
  writeCloseRecord(dir)
  const at = (name: string): string => JSON.stringify(path.join(dir, name))
  return writeFakeHelper(dir, 'fake-probe.mjs', `import { existsSync, readFileSync, writeFileSync } from 'node:fs'
let run = 1
while (existsSync(${at('run')} + run)) run++
writeFileSync(${at('run')} + run, String(process.pid))
${fakeHelperHello()}
${fakeHelperStats()}
let sent = false
sendStats(0, 0)
setInterval(() => {
  sendStats(sent ? 1 : 0, 0)
  if (!sent && existsSync(${at('go')} + run)) { sent = true; process.stdout.write(readFileSync(${at('record.bin')})) }
  if (run === 1 && existsSync(${at('crash')})) process.exit(1)
}, 20)
process.stdin.resume()
process.on('SIGTERM', () => process.exit(0))
`)
}

t.test('syscall mode: /readyz follows the records, not only the helper being attached', async (t) => {
  const dir = t.testdir({ 'rules.yaml': NEVER_FIRING_RULE })
  const serve = startServeOverFakeHelper(t, dir, path.join(dir, 'rules.yaml'), fakeHelper(dir))
  const readyz = `http://127.0.0.1:${await adminPortOf(serve)}/readyz`
  const readyzBecomes = async (want: number): Promise<number> => await statusBecomes(readyz, want)

  await untilServing(serve, () => serve.stderr().includes('syscall probe running'), 'the probe to start')
  t.equal((await request(readyz)).status, 503, 'rules loaded and the probe attached, but no record yet: not ready')
  t.equal((await request(readyz.replace('/readyz', '/healthz'))).status, 200, 'alive all the same')

  writeFileSync(path.join(dir, 'go1'), '')
  t.equal(await readyzBecomes(200), 200, 'ready once a record was decoded')
  t.ok(serve.logs.some((l) => l.msg === 'syscall source producing events: ready'), 'logged once')

  writeFileSync(path.join(dir, 'crash'), '')
  await untilServing(serve, () => existsSync(path.join(dir, 'run2')), 'the helper to be restarted')
  t.equal(await readyzBecomes(503), 503, 'a crashed helper: not ready while its successor sends nothing')
  writeFileSync(path.join(dir, 'go2'), '')
  t.equal(await readyzBecomes(200), 200, 'ready again with the restarted helper\'s records')

  serve.child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null }, 'SIGTERM exits 0')
})

t.test('a quiet node: no record ever, but the helper\'s self-check rises in its STATS frames: ready', async (t) => {
  const dir = t.testdir({ 'rules.yaml': NEVER_FIRING_RULE })
  const helper = writeFakeHelper(dir, 'quiet-probe.mjs', `${fakeHelperHello()}
${fakeHelperStats()}
let n = 1
sendStats(0, n)
setInterval(() => { sendStats(0, ++n) }, 50)
process.stdin.resume()
process.on('SIGTERM', () => process.exit(0))
`)
  const serve = startServeOverFakeHelper(t, dir, path.join(dir, 'rules.yaml'), helper, {}, ['-o', 'lanner.syscall_stale_after_s=2'])
  const readyz = `http://127.0.0.1:${await adminPortOf(serve)}/readyz`
  t.equal(await statusBecomes(readyz, 200), 200, 'ready, with no record at all')
  t.ok(serve.logs.some((l) => l.msg === 'syscall probe programs running (self-check seen): ready'), 'the sign is named in the log')
  // (a loaded machine may take longer than the 2 s limit to start the helper: that first wait may
  // be reported; what matters is that nothing is reported once the probe has shown it runs)
  const readyAt = serve.logs.length
  // three times the stale limit, the self-check still rising: still ready, nothing warned
  const until = Date.now() + 6000
  while (Date.now() < until) {
    const status = (await request(readyz)).status
    if (status !== 200) { t.fail(`/readyz ${status} on a quiet node`); break }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.notOk(serve.logs.slice(readyAt).some((l) => l.code === 'ERR_SYSCALL_PROBE_FAILED'), 'no probe problem logged once ready')
  serve.child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null })
})
