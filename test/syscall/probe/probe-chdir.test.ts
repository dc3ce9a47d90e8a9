// chdir and fchdir from the real kernel, through the process table: a process that changes
// directory without exec shows its new proc.cwd, and the relative paths it opens afterwards
// resolve against it. The probe runs with the kinds computed for a ruleset that names neither
// call (STATE_KINDS bring them). Skips (with the reason) without root, BTF, clang or python3.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { kindsForOneOpenatRule, probeSkipReason, recordProbe, type Recorder } from '../../fixtures/syscall/probe-harness.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import type { SyscallRecord } from '../../../src/syscall/record.ts'
import { skipUnlessRequired } from '../../helpers/probe-required.ts'

// every directory change is followed by a relative open, so each cwd is checked through a path
const CHILD = `
import os, sys
base = sys.argv[1]
os.chdir(base + '/a')
open('one').close()
try:
    os.chdir('missing')
except OSError:
    pass
open('one').close()
fd = os.open('b', os.O_RDONLY | os.O_DIRECTORY)
os.fchdir(fd)
open('two').close()
os.chdir('..')
open('one').close()
print(fd, flush=True)
sys.stdin.read()
`

const skip = probeSkipReason() ?? skipUnlessRequired(existsSync('/usr/bin/python3') ? undefined : 'python3 not installed')
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const kinds = kindsForOneOpenatRule()
  const rec: Recorder = await recordProbe({ kinds: kinds.kinds, enterKinds: kinds.enterKinds })
  t.teardown(async function stopProbe () { await rec.probe.stop() })

  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lanner-chdir-')))
  t.teardown(function cleanup () { rmSync(dir, { recursive: true, force: true }) })
  mkdirSync(join(dir, 'a', 'b'), { recursive: true })
  writeFileSync(join(dir, 'a', 'one'), '1')
  writeFileSync(join(dir, 'a', 'b', 'two'), '2')

  t.test('a ruleset naming neither call still records both', async (t) => {
    t.ok(kinds.kinds.includes('chdir'), 'chdir')
    t.ok(kinds.kinds.includes('fchdir'), 'fchdir')
    t.same(kinds.unproduced, [])
  })

  t.test('chdir, a failed chdir, fchdir and a relative chdir: records, proc.cwd and relative opens', async (t) => {
    const py = spawn('python3', ['-c', CHILD, dir], { stdio: ['pipe', 'pipe', 'inherit'] })
    t.teardown(function stopChild () { py.stdin?.end() })
    const line = await new Promise<string>(function ready (resolve, reject) {
      let out = ''
      py.once('exit', function early (code) { reject(new Error(`python3 exited (${String(code)}) before reporting`)) })
      py.stdout?.on('data', function onOut (b: Buffer) { out += b.toString(); if (out.includes('\n')) resolve(out) })
    })
    const dirFd = Number(line.trim())
    const pid = py.pid as number
    const exits = (m: SyscallRecord[], type: string): SyscallRecord[] => m.filter((r) => r.type === type && r.dir === '<')
    const mine = await rec.waitFor(
      function ofChild (r) { return r.pid === pid },
      function complete (m) {
        return exits(m, 'execve').some((r) => r.res === 0) && exits(m, 'chdir').length >= 3 && exits(m, 'fchdir').length >= 1 &&
          exits(m, 'openat').filter((r) => r.args.name === 'one').length >= 3 && exits(m, 'openat').some((r) => r.args.name === 'two')
      },
      60_000
    )

    const chdirs = exits(mine, 'chdir')
    t.same(chdirs.map((r) => [r.args.path, r.res]), [[`${dir}/a`, 0], ['missing', -2], ['..', 0]], 'each chdir with the path as given and its result (ENOENT)')
    const fchdirs = exits(mine, 'fchdir')
    t.same(fchdirs.map((r) => [r.args.fd, r.res]), [[dirFd, 0]], 'fchdir with its fd')

    // through the process table, in the order the thread made the calls (rings are per CPU)
    const ordered = [...mine].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0))
    const en = createEnricher({ procRoot: '/proc', scan: false, users: userDbFrom([], []) })
    const names = ['proc.cwd', 'fd.name', 'evt.arg.path', 'evt.arg.fd']
    const seen = ordered.map((r) => {
      const ev = en.enrich(r)
      return { r, f: Object.fromEntries(names.map((n) => [n, syscallFields.bind(n, undefined)(ev)])) as Record<string, unknown> }
    })
    const after = seen.slice(seen.findIndex((s) => s.r.type === 'execve' && s.r.dir === '<' && s.r.res === 0))
    const steps = after
      .filter((s) => s.r.dir === '<' && (s.r.type === 'chdir' || s.r.type === 'fchdir' || (s.r.type === 'openat' && (s.r.args.name === 'one' || s.r.args.name === 'two' || s.r.args.name === 'b'))))
      .map((s) => s.r.type === 'chdir' ? ['chdir', s.f['proc.cwd']] : [s.r.type, s.f['fd.name'], s.f['proc.cwd']])
    t.same(steps, [
      ['chdir', `${dir}/a/`],
      ['openat', `${dir}/a/one`, `${dir}/a/`],
      ['chdir', `${dir}/a/`],
      ['openat', `${dir}/a/one`, `${dir}/a/`],
      ['openat', `${dir}/a/b`, `${dir}/a/`],
      ['fchdir', `${dir}/a/b`, `${dir}/a/b/`],
      ['openat', `${dir}/a/b/two`, `${dir}/a/b/`],
      ['chdir', `${dir}/a/`],
      ['openat', `${dir}/a/one`, `${dir}/a/`]
    ], 'the cwd after each change (a failed one changes nothing), each relative open resolved against it, fchdir\'s fd its directory')
    t.equal(after.find((s) => s.r.type === 'chdir')?.f['evt.arg.path'], `${dir}/a`, 'evt.arg.path: the path as given')
    t.equal(after.find((s) => s.r.type === 'fchdir')?.f['evt.arg.fd'], `${dirFd}(<d>${dir}/a/b)`, 'evt.arg.fd: the fd with its directory, as Falco prints it')
    t.equal(en.procs.peek(pid)?.cwd, `${dir}/a`, 'the table keeps the last cwd')
    t.same(rec.errors, [], 'no probe errors')
  })
}
