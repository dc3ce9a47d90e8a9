// The probe on the real kernel: a shell started on a pseudo-terminal (a real pty, made the session's
// controlling terminal the way runc/sshd do it) carries its terminal, login uid, session and
// process group in its execve record and in its children's clone records, read in-kernel (no
// /proc read that could race the exit). Skips (with the reason) without root, BTF, clang or python3.
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { probeSkipReason, recordProbe, type Recorder } from '../../fixtures/syscall/probe-harness.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { PTY_SHELL } from '../../helpers/pty-shell.ts'
import { skipUnlessRequired } from '../../helpers/probe-required.ts'

function python3Missing (): string | undefined {
  try { execFileSync('python3', ['-c', 'import os; os.login_tty'], { stdio: 'ignore' }); return undefined } catch { return 'python3 (3.11+, os.login_tty) missing' }
}

const skip = probeSkipReason() ?? skipUnlessRequired(python3Missing())
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const rec: Recorder = await recordProbe({ kinds: ['execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork', 'procexit'] })
  t.teardown(async function stopProbe () { await rec.probe.stop() })

  t.test('a shell on a pty: tty, loginuid, sid and pgid in its exec and its children\'s clone records', async t => {
    // the loginuid differs from ours: the value cannot come from a default or from the parent
    const wantLogin = 4000 + Math.floor(Math.random() * 1000)
    const py = spawn('python3', ['-c', PTY_SHELL, String(wantLogin), '/bin/true; exit 0'], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    py.stdout.on('data', (b: Buffer) => { out += b.toString() })
    await new Promise((resolve) => py.on('exit', resolve))
    const facts = JSON.parse(out) as { pid: number, tty: number, loginuid: number }
    t.ok(facts.tty > 0, `the pty's device number (${facts.tty})`)
    const mine = await rec.waitFor(
      (r) => r.pid === facts.pid || r.ppid === facts.pid,
      (m) => m.some((r) => r.type === 'execve' && r.pid === facts.pid && r.comm === 'bash') && m.some((r) => r.type === 'procexit' && r.ppid === facts.pid)
    )
    const exec = mine.find((r) => r.type === 'execve' && r.pid === facts.pid && r.comm === 'bash')
    t.ok(exec, 'bash exec seen')
    t.match(exec?.args, { tty: facts.tty, sid: facts.pid, host_pgid: facts.pid, pgid: facts.pid, vpid: facts.pid }, 'its own session and process group on the pty')
    if (facts.loginuid >= 0) t.equal(exec?.args.loginuid, wantLogin, 'the loginuid it was given')
    else t.comment('this kernel refused to set a loginuid: only its presence is checked')
    t.type(exec?.args.loginuid, 'number')

    const child = mine.find((r) => ['clone', 'clone3', 'fork', 'vfork'].includes(r.type) && r.res === 0 && r.ppid === facts.pid)
    t.ok(child, 'bash forked a child for /bin/true')
    t.match(child?.args, { tty: facts.tty, sid: facts.pid, host_pgid: facts.pid }, 'the child shares the terminal and session')
    if (facts.loginuid >= 0) t.equal(child?.args.loginuid, wantLogin)

    // through the enricher, without a /proc scan: the process table holds what the records said
    const enricher = createEnricher({ scan: false, procRoot: '/nonexistent' })
    let shell
    for (const r of mine.sort((a, b) => (a.ts < b.ts ? -1 : 1))) {
      const ev = enricher.enrich(r)
      if (r === exec) shell = ev.proc
    }
    t.match(shell, { tty: facts.tty, sid: facts.pid, pgid: facts.pid }, 'proc.tty, proc.sid from the record')
    if (facts.loginuid >= 0) t.equal(shell?.loginuid, wantLogin, 'user.loginuid from the record')
  })

  t.test('a process without a terminal has tty 0', async t => {
    const sh = spawn('/bin/true', ['no-tty-marker'], { stdio: 'ignore', detached: true })
    const pid = sh.pid!
    await new Promise((resolve) => sh.on('exit', resolve))
    const ex = await rec.waitFor((r) => r.type === 'execve' && r.pid === pid && r.res === 0, (m) => m.length > 0)
    t.equal(ex[0]?.args.tty, 0)
    t.equal(ex[0]?.args.sid, pid, 'detached: a session of its own')
  })
}
