// Loader supervision and failure reporting: bad options, a helper that cannot load, the build
// script's ERR_SYSCALL_UNSUPPORTED, and (on a real kernel) a helper killed and restarted.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { helperPath } from '../../../src/syscall/build.ts'
import { startProbe } from '../../../src/syscall/loader.ts'
// the HELLO frame and record header as the C header lays them out (the helper's side of the ABI)
import { C_ABI_VERSION, C_HDR, C_HELLO } from '../../fixtures/syscall/c-abi.ts'
import { probeSkipReason, recordProbe } from '../../fixtures/syscall/probe-harness.ts'
import { skipUnlessRequired } from '../../helpers/probe-required.ts'

const tmp = mkdtempSync(join(tmpdir(), 'lanner-probe-sup-'))
t.teardown(function cleanup () { rmSync(tmp, { recursive: true, force: true }) })

function fakeHelper (name: string, script: string): string {
  const p = join(tmp, name)
  writeFileSync(p, `#!/bin/sh\n${script}\n`)
  chmodSync(p, 0o755)
  return p
}

t.test('bad options (unknown event type, out-of-range sizes) are config errors', async t => {
  await t.rejects(startProbe({ onRecords () {}, kinds: ['openat', 'opneat'], helperPath: '/bin/false' }), { code: 'ERR_CONFIG_INVALID' })
  await t.rejects(startProbe({ onRecords () {}, enterKinds: ['nope'], helperPath: '/bin/false' }), { code: 'ERR_CONFIG_INVALID' })
  await t.rejects(startProbe({ onRecords () {}, ringBytes: 100, helperPath: '/bin/false' }), { code: 'ERR_CONFIG_INVALID', message: /ringBytes/ })
  await t.rejects(startProbe({ onRecords () {}, statsIntervalMs: Number.NaN, helperPath: '/bin/false' }), { code: 'ERR_CONFIG_INVALID', message: /statsIntervalMs/ })
})

t.test('a helper that cannot load its programs (exit 3) rejects with ERR_SYSCALL_UNSUPPORTED', async t => {
  const bin = fakeHelper('no-bpf', 'echo "lanner-probe: load failed: Operation not permitted" >&2; exit 3')
  await t.rejects(startProbe({ onRecords () {}, helperPath: bin }), { code: 'ERR_SYSCALL_UNSUPPORTED', message: /Operation not permitted/ })
})

t.test('a helper that dies otherwise rejects with ERR_SYSCALL_PROBE_FAILED', async t => {
  const bin = fakeHelper('crash', 'kill -SEGV $$')
  await t.rejects(startProbe({ onRecords () {}, helperPath: bin }), { code: 'ERR_SYSCALL_PROBE_FAILED', message: /SIGSEGV/ })
})

t.test('a helper speaking another record ABI is refused', async t => {
  // a HELLO frame announcing ABI 99, then silence
  const hello = Buffer.alloc(C_HELLO.size)
  hello.writeUInt16LE(C_HELLO.size, 0); hello.writeUInt16LE(C_HELLO.type, 2); hello.writeUInt32LE(99, C_HELLO.abi); hello.writeUInt32LE(1, C_HELLO.ncpu)
  const frames = join(tmp, 'old-abi.bin')
  writeFileSync(frames, hello)
  const bin = fakeHelper('old-abi', `cat '${frames}'; exec sleep 30`)
  await t.rejects(startProbe({ onRecords () {}, helperPath: bin }), { code: 'ERR_SYSCALL_PROBE_FAILED', message: /ABI 99/ })
})

t.test('records the decoder cannot use reach onError with their code (not only a log line)', async t => {
  // HELLO (this ABI), then a 64-byte record of an unknown kind, then silence
  const bytes = Buffer.alloc(C_HELLO.size + 64)
  bytes.writeUInt16LE(C_HELLO.size, 0); bytes.writeUInt16LE(C_HELLO.type, 2); bytes.writeUInt32LE(C_ABI_VERSION, C_HELLO.abi); bytes.writeUInt32LE(1, C_HELLO.ncpu)
  bytes.writeUInt16LE(64, C_HELLO.size + C_HDR.len); bytes.writeUInt16LE(999, C_HELLO.size + C_HDR.kind)
  const frames = join(tmp, 'bad-record.bin')
  writeFileSync(frames, bytes)
  const bin = fakeHelper('bad-record', `cat '${frames}'; exec sleep 30`)
  const errors: { code: string, message: string }[] = []
  let reported: () => void = () => {}
  const seen = new Promise<void>(function wait (done) { reported = done })
  const logged: string[] = []
  const logger = { info () {}, warn () {}, error (m: string) { logged.push(m) } }
  const probe = await startProbe({ onRecords () {}, helperPath: bin, logger, onError (err) { errors.push(err); reported() } })
  t.teardown(function stop () { return probe.stop() })
  await seen
  t.equal(errors[0]?.code, 'ERR_SYSCALL_UNKNOWN_OP')
  t.match(errors[0]?.message, /1 probe record\(s\) not decoded/)
  t.same(logged, [], 'reported once: through onError, not also through logger.error')
})

t.test('the build script names what is missing', async t => {
  const root = resolve(import.meta.dirname, '../../..')
  const out = await new Promise<{ code: number | null, stderr: string }>(function run (done) {
    execFile('sh', [join(root, 'scripts/build-probe.sh')], { env: { ...process.env, LANNER_BTF: '/nonexistent/vmlinux', LANNER_PROBE_OUT: join(tmp, 'out') } }, function finished (err, _o, stderr) {
      done({ code: err === null ? 0 : (err.code as number), stderr })
    })
  })
  t.equal(out.code, 3)
  t.match(out.stderr, /^ERR_SYSCALL_UNSUPPORTED: kernel BTF not found at \/nonexistent\/vmlinux/)
})

const skip = probeSkipReason()
const DROP = '--inh-caps=-bpf,-perfmon,-sys_admin --bounding-set=-bpf,-perfmon,-sys_admin'
const noSetpriv = skip ?? skipUnlessRequired(existsSync('/usr/bin/setpriv') ? undefined : 'setpriv (util-linux) not installed')

t.test('without CAP_BPF/CAP_PERFMON: the preflight check names the missing capabilities', { skip: noSetpriv ?? false }, async t => {
  const script = join(tmp, 'unsup.mts')
  writeFileSync(script, `import { startProbe } from ${JSON.stringify(resolve(import.meta.dirname, '../../../src/syscall/loader.ts'))}
try { await startProbe({ onRecords () {} }); console.log('{}') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }
`)
  const out = await new Promise<string>(function run (done) {
    execFile('sh', ['-c', `setpriv ${DROP} node --import tsx ${script}`], function finished (_e, stdout) { done(stdout) })
  })
  t.match(JSON.parse(out), { code: 'ERR_SYSCALL_UNSUPPORTED', message: /CAP_BPF and CAP_PERFMON/ })
})

t.test('without capabilities the real helper fails to load: ERR_SYSCALL_UNSUPPORTED', { skip: noSetpriv ?? false }, async t => {
  const bin = fakeHelper('unprivileged', `exec setpriv ${DROP} ${helperPath()} "$@"`)
  await t.rejects(startProbe({ onRecords () {}, helperPath: bin }), { code: 'ERR_SYSCALL_UNSUPPORTED', message: /load failed/ })
})
t.test('a killed helper is reported and restarted; records keep flowing', { skip: skip ?? false }, async t => {
  const rec = await recordProbe({ restartMinMs: 50 })
  t.teardown(async function stop () { await rec.probe.stop() })
  const first = rec.probe.pid
  process.kill(first, 'SIGKILL')
  const until = Date.now() + 60_000
  while ((rec.probe.pid === 0 || rec.probe.pid === first) && Date.now() < until) await new Promise(r => setTimeout(r, 50))
  t.not(rec.probe.pid, first, 'a new helper runs')
  t.not(rec.probe.pid, 0)
  t.match(rec.errors[0], { code: 'ERR_SYSCALL_PROBE_FAILED', message: /SIGKILL/ })
  // the new helper has attached once it reports stats
  while (!rec.stats.some(s => s.helperPid === rec.probe.pid) && Date.now() < until) await new Promise(r => setTimeout(r, 50))
  const child = spawn('sh', ['-c', 'exit 7'], { stdio: 'ignore' })
  const pid = child.pid!
  await new Promise(r => child.on('exit', r))
  const ex = await rec.waitFor(r => r.type === 'procexit' && r.pid === pid, m => m.length > 0)
  t.match(ex[0], { args: { ret: 7 } }, 'events from after the restart arrive')
  const stats = await rec.waitStats(rec.stats.length + 1)
  t.equal(stats[stats.length - 1]?.restarts, 1)
})

t.test('kinds limits what is recorded; enterKinds adds enter records', { skip: skip ?? false }, async t => {
  const rec = await recordProbe({ kinds: ['unlink'], enterKinds: ['unlink'] })
  t.teardown(async function stop () { await rec.probe.stop() })
  const file = join(tmp, 'gone')
  writeFileSync(file, '')
  const { unlinkSync } = await import('node:fs')
  unlinkSync(file)
  const both = await rec.waitFor(r => r.pid === process.pid && r.args.path === file, m => m.length >= 2)
  t.same(both.map(r => r.dir), ['>', '<'], 'enter then exit')
  t.equal(both[0]?.res, undefined)
  t.equal(both[1]?.res, 0)
  t.ok(rec.records.every(r => r.type === 'unlink'), 'nothing but unlink (not even procexit)')
})

t.test('records lost to a full ring buffer show up as per-CPU drops', { skip: skip ?? false }, async t => {
  const warnings: string[] = []
  const logger = { info () {}, error () {}, warn (m: string) { warnings.push(m) } }
  // one page of ring and a burst of ~4000 records between two 10 ms drains
  const rec = await recordProbe({ ringBytes: 4096, kinds: ['openat', 'close'], logger })
  t.teardown(async function stop () { await rec.probe.stop() })
  const burst = spawn('sh', ['-c', 'i=0; while [ $i -lt 2000 ]; do : < /etc/hostname; i=$((i+1)); done'], { stdio: 'ignore' })
  await new Promise(r => burst.on('exit', r))
  const until = Date.now() + 60_000
  while (!rec.stats.some(s => s.drops > 0) && Date.now() < until) await new Promise(r => setTimeout(r, 50))
  const lossy = rec.stats.find(s => s.dropsDelta > 0)
  t.ok(lossy, 'a stats report carries the new drops')
  t.equal(lossy?.drops, lossy?.dropsPerCpu.reduce((a, b) => a + b, 0), 'total = sum over CPUs')
  t.ok(warnings.some(w => /dropped \d+ records/.test(w)), 'and the loader logs it')
})

t.test('stop() ends the helper and is idempotent', { skip: skip ?? false }, async t => {
  const rec = await recordProbe()
  const pid = rec.probe.pid
  await rec.probe.stop()
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'helper is gone')
  await rec.probe.stop()
  t.same(rec.errors, [], 'a requested stop is not an error')
})
