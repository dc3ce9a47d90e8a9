// `lanner serve --source syscall` over a fake probe helper (LANNER_PROBE_HELPER, no privileges
// needed): a helper crash is counted in lanner_probe_restarts_total and the helper restarted, and
// from SIGTERM on /readyz answers 503 while the helper is still winding down. (/readyz waiting for
// records, not only the helper's HELLO: serve-syscall-ready.test.ts.)
import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { adminPort as adminPortOf, request, until, untilServing } from '../helpers/serve-child.ts'
import { fakeHelperHello, NEVER_FIRING_RULE, startServeOverFakeHelper, statusBecomes, writeCloseRecord, writeFakeHelper } from '../helpers/serve-syscall.ts'

/**
 * Says HELLO; its first run crashes (exit 1) right after, later runs send one record and stay up. On SIGTERM it
 * notes `sigterm` and exits only once `release` exists, so the test can look at a stopping instance.
 */
function fakeHelper (dir: string): { bin: string, crashed: string, sigterm: string, release: string } {
  const recordFile = writeCloseRecord(dir)
  const crashed = path.join(dir, 'crashed')
  const sigterm = path.join(dir, 'sigterm')
  const release = path.join(dir, 'release')
  const bin = writeFakeHelper(dir, 'fake-probe.mjs', `import { existsSync, readFileSync, writeFileSync } from 'node:fs'
${fakeHelperHello()}
if (!existsSync(${JSON.stringify(crashed)})) {
  writeFileSync(${JSON.stringify(crashed)}, String(process.pid))
  setTimeout(() => process.exit(1), 50)
} else {
  process.stdout.write(readFileSync(${JSON.stringify(recordFile)}))
  setInterval(() => {}, 1000)
}
process.stdin.resume()
process.on('SIGTERM', () => {
  writeFileSync(${JSON.stringify(sigterm)}, '')
  setInterval(() => { if (existsSync(${JSON.stringify(release)})) process.exit(0) }, 20)
})
`)
  return { bin, crashed, sigterm, release }
}

t.test('syscall mode: a helper crash is counted; readiness drops at SIGTERM', async (t) => {
  const dir = t.testdir({ 'rules.yaml': NEVER_FIRING_RULE })
  const helper = fakeHelper(dir)
  const serve = startServeOverFakeHelper(t, dir, path.join(dir, 'rules.yaml'), helper.bin)
  const admin = `http://127.0.0.1:${await adminPortOf(serve)}`
  await untilServing(serve, () => serve.stderr().includes('syscall probe running'), 'the probe to start')

  const restarts = async (): Promise<number | undefined> => {
    const m = /^lanner_probe_restarts_total (\d+)$/m.exec((await request(`${admin}/metrics`)).body)
    return m === null ? undefined : Number(m[1])
  }
  // polled one request at a time (bounded), until the crashed helper has been restarted
  const seen = await until(async () => { const n = await restarts(); return n !== undefined && n >= 1 && n }, 'the restart to be counted')
  t.equal(seen, 1, 'one crash, one restart counted')
  t.ok(serve.logs.some((l) => l.code === 'ERR_SYSCALL_PROBE_FAILED'), 'the crash is still logged with its code')
  const attached = (): number => serve.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('eBPF probe attached')).length
  await untilServing(serve, () => attached() === 2, 'the restarted helper to attach')
  // ready once the restarted helper's record has been decoded (polled, bounded)
  t.equal(await statusBecomes(`${admin}/readyz`, 200), 200, 'ready while serving')

  serve.child.kill('SIGTERM')
  await untilServing(serve, () => existsSync(helper.sigterm), 'the helper to be asked to stop')
  t.equal((await request(`${admin}/readyz`)).status, 503, 'not ready while stopping')
  writeFileSync(helper.release, '')
  t.same(await serve.exited, { code: 0, signal: null }, 'SIGTERM exits 0')
})
