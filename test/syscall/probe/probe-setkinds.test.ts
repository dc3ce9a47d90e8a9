// ProbeHandle.setKinds against fake helpers (no privileges needed): a helper that answers the
// `kinds <seq> <exit> <enter>` control line keeps running with the new set; one that stays
// silent (an older prebuilt helper) or rejects the line is restarted with the new set as its
// arguments; switching procexit always restarts (it is fixed when the BPF programs load).
import t from 'tap'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// the frames as the C header lays them out (the helper's side of the ABI), not the TypeScript mirror
import { C_ABI_VERSION as ABI_VERSION, C_CONF as CONF, C_HELLO as HELLO } from '../../fixtures/syscall/c-abi.ts'
import { startProbe, type ProbeHandle } from '../../../src/syscall/loader.ts'

const tmp = mkdtempSync(join(tmpdir(), 'lanner-setkinds-'))
t.teardown(function cleanup () { rmSync(tmp, { recursive: true, force: true }) })

/** A helper that says HELLO, logs its argv and every stdin line, and answers per `mode`. */
function fakeHelper (name: string, mode: 'answer' | 'silent' | 'reject'): { bin: string, log: string } {
  const bin = join(tmp, `${name}.mjs`)
  const log = join(tmp, `${name}.log`)
  writeFileSync(bin, `#!/usr/bin/env node
import { appendFileSync } from 'node:fs'
const note = (o) => appendFileSync(${JSON.stringify(log)}, JSON.stringify({ pid: process.pid, ...o }) + '\\n')
note({ argv: process.argv.slice(2) })
const hello = Buffer.alloc(${HELLO.size})
hello.writeUInt16LE(${HELLO.size}, 0); hello.writeUInt16LE(${HELLO.type}, 2); hello.writeUInt32LE(${ABI_VERSION}, ${HELLO.abi})
hello.writeUInt32LE(process.pid, ${HELLO.helperPid}); hello.writeUInt32LE(1, ${HELLO.ncpu})
process.stdout.write(hello)
const count = (list) => list === 'none' ? 0 : list.split(',').length
let buf = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (d) => {
  buf += d
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1)
    note({ line })
    if (${JSON.stringify(mode)} === 'silent') continue
    const [, seq, ex, en] = line.split(' ')
    const c = Buffer.alloc(${CONF.size})
    c.writeUInt16LE(${CONF.size}, 0); c.writeUInt16LE(${CONF.type}, 2); c.writeUInt32LE(Number(seq), ${CONF.seq})
    c.writeUInt32LE(${JSON.stringify(mode)} === 'reject' ? 0xffffffff : count(ex), ${CONF.nExit}); c.writeUInt32LE(count(en), ${CONF.nEnter})
    process.stdout.write(c)
  }
})
process.stdin.on('end', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
`)
  chmodSync(bin, 0o755)
  return { bin, log }
}

function logOf (log: string): Array<{ pid: number, argv?: string[], line?: string }> {
  return readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
}

/**
 * confTimeoutMs: how long setKinds waits for the helper's answer. A helper that answers gets a
 * bound it never reaches even on a loaded machine (a short one made these tests flaky); only the
 * silent helper, which never answers, is given a short one.
 */
async function start (t: { teardown(fn: () => Promise<void>): void }, bin: string, kinds = ['openat', 'procexit'], confTimeoutMs = 30_000): Promise<ProbeHandle> {
  const p = await startProbe({ onRecords () {}, helperPath: bin, kinds, confTimeoutMs, restartMinMs: 10 })
  t.teardown(async function stop () { await p.stop() })
  return p
}

t.test('a helper that answers applies the new set in place', async t => {
  const { bin, log } = fakeHelper('answer', 'answer')
  const p = await start(t, bin)
  const pid = p.pid
  t.equal(await p.setKinds(['openat', 'procexit', 'mkdir'], ['ptrace']), 'live')
  t.equal(p.pid, pid, 'same helper')
  t.same(p.kinds, ['openat', 'procexit', 'mkdir'])
  t.same(p.enterKinds, ['ptrace'])
  t.same(logOf(log).map((e) => e.line ?? e.argv?.join(' ')), ['--kinds openat,procexit', 'kinds 1 openat,procexit,mkdir ptrace'])
  t.equal(await p.setKinds(['mkdir', 'openat', 'procexit'], ['ptrace']), 'unchanged', 'same set in another order')
  t.equal(await p.setKinds(['procexit'], []), 'live')
  t.equal(logOf(log).at(-1)?.line, 'kinds 2 procexit none', 'an empty list is sent as none')
})

t.test('changes are applied in call order', async t => {
  const { bin, log } = fakeHelper('order', 'answer')
  const p = await start(t, bin)
  const [a, b] = await Promise.all([p.setKinds(['openat', 'procexit', 'mkdir']), p.setKinds(['openat', 'procexit', 'rmdir'])])
  t.same([a, b], ['live', 'live'])
  t.same(p.kinds, ['openat', 'procexit', 'rmdir'])
  t.same(logOf(log).flatMap((e) => e.line ?? []), ['kinds 1 openat,procexit,mkdir none', 'kinds 2 openat,procexit,rmdir none'])
})

t.test('a helper that does not answer (older binary) is restarted with the new set', async t => {
  const { bin, log } = fakeHelper('silent', 'silent')
  const p = await start(t, bin, undefined, 300)
  const pid = p.pid
  t.equal(await p.setKinds(['openat', 'procexit', 'mkdir']), 'restarted')
  t.not(p.pid, pid, 'a new helper')
  const spawns = logOf(log).filter((e) => e.argv !== undefined)
  t.same(spawns.map((e) => e.argv), [['--kinds', 'openat,procexit'], ['--kinds', 'openat,procexit,mkdir']])
})

t.test('a helper that rejects the line is restarted too', async t => {
  const { bin, log } = fakeHelper('reject', 'reject')
  const p = await start(t, bin)
  t.equal(await p.setKinds(['openat', 'procexit', 'mkdir'], ['ptrace']), 'restarted')
  t.same(logOf(log).filter((e) => e.argv !== undefined).at(-1)?.argv, ['--kinds', 'openat,procexit,mkdir', '--enter', 'ptrace'])
})

t.test('switching procexit restarts without asking', async t => {
  const { bin, log } = fakeHelper('procexit', 'answer')
  const p = await start(t, bin)
  t.equal(await p.setKinds(['openat']), 'restarted')
  t.same(logOf(log).filter((e) => e.line !== undefined), [], 'no control line sent')
  t.same(logOf(log).at(-1)?.argv, ['--kinds', 'openat'])
})

t.test('unknown kinds are refused; after stop a change is only remembered', async t => {
  const { bin } = fakeHelper('stopped', 'answer')
  const p = await startProbe({ onRecords () {}, helperPath: bin, kinds: ['openat', 'procexit'] })
  await t.rejects(p.setKinds(['openat', 'nope']), { code: 'ERR_CONFIG_INVALID' })
  await t.rejects(p.setKinds(['openat'], ['nope']), { code: 'ERR_CONFIG_INVALID' })
  t.same(p.kinds, ['openat', 'procexit'], 'unchanged')
  await p.stop()
  t.equal(await p.setKinds(['openat', 'procexit', 'mkdir']), 'deferred')
})
