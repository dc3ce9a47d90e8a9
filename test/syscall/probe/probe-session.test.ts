// setsid and setpgid from the real kernel, through the process table: processes that change
// session or process group without exec (a daemon's fork + setsid, a shell putting jobs in their
// own groups) show the new proc.sid / proc.vpgid / proc.is_sid_leader / proc.is_vpgid_leader on
// the files they open afterwards. The probe runs with the kinds computed for a ruleset that names
// neither call (STATE_KINDS bring them). Skips (with the reason) without root, BTF, clang or python3.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { kindsForOneOpenatRule, probeSkipReason, recordProbe, type Recorder } from '../../fixtures/syscall/probe-harness.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import type { SyscallRecord } from '../../../src/syscall/record.ts'
import { skipUnlessRequired } from '../../helpers/probe-required.ts'

// A (this process) leads a new group, then moves two children that have not exec'd: c1 into a
// group of its own, c2 into c1's. A third child starts a session. A's own setsid then fails (a
// group leader may not: EPERM). Every change is followed by an open, so each is checked through
// the fields of a later event. Each child opens a file and says so before A moves it (so the
// kernel's view at its fork, carried by its clone record, is the old group), then waits on a pipe
// until A has moved them.
const CHILD = `
import os, sys, json
base = sys.argv[1]
os.setpgid(0, 0)
open(base + '/a-own-group', 'w').close()
r, w = os.pipe()
ready_r, ready_w = os.pipe()
def child(name, act=None):
    pid = os.fork()
    if pid == 0:
        os.close(w)
        open(base + '/' + name + '-before', 'w').close()
        os.write(ready_w, b'x')
        os.read(r, 1)
        if act is not None:
            act()
        open(base + '/' + name, 'w').close()
        os._exit(0)
    return pid
c1 = child('c1')
c2 = child('c2')
d = child('d-setsid', os.setsid)
got = b''
while len(got) < 3:
    got += os.read(ready_r, 3 - len(got))
os.setpgid(c1, c1)
os.setpgid(c2, c1)
try:
    os.setsid()
except OSError:
    pass
os.close(r)
os.write(w, b'xxx')
for p in (c1, c2, d):
    os.waitpid(p, 0)
open(base + '/a-done', 'w').close()
print(json.dumps({'c1': c1, 'c2': c2, 'd': d}), flush=True)
sys.stdin.read()
`

const skip = probeSkipReason() ?? skipUnlessRequired(existsSync('/usr/bin/python3') ? undefined : 'python3 not installed')
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const kinds = kindsForOneOpenatRule()
  const rec: Recorder = await recordProbe({ kinds: kinds.kinds, enterKinds: kinds.enterKinds })
  t.teardown(async function stopProbe () { await rec.probe.stop() })

  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lanner-session-')))
  t.teardown(function cleanup () { rmSync(dir, { recursive: true, force: true }) })

  t.test('a ruleset naming neither call still records both', async (t) => {
    t.ok(kinds.kinds.includes('setsid'), 'setsid')
    t.ok(kinds.kinds.includes('setpgid'), 'setpgid')
    t.same(kinds.unproduced, [])
  })

  t.test('setpgid on itself and on children, setsid in a child and a refused one: records and the process table', async (t) => {
    const py = spawn('python3', ['-c', CHILD, dir], { stdio: ['pipe', 'pipe', 'inherit'] })
    t.teardown(function stopChild () { py.stdin?.end() })
    const line = await new Promise<string>(function ready (resolve, reject) {
      let out = ''
      py.once('exit', function early (code) { reject(new Error(`python3 exited (${String(code)}) before reporting`)) })
      py.stdout?.on('data', function onOut (b: Buffer) { out += b.toString(); if (out.includes('\n')) resolve(out) })
    })
    const kids = JSON.parse(line) as { c1: number, c2: number, d: number }
    const a = py.pid as number
    const family = new Set([a, kids.c1, kids.c2, kids.d])
    const exits = (m: SyscallRecord[], type: string, pid?: number): SyscallRecord[] =>
      m.filter((r) => r.type === type && r.dir === '<' && (pid === undefined || r.pid === pid))
    const opened = (m: SyscallRecord[], name: string): boolean => exits(m, 'openat').some((r) => r.args.name === `${dir}/${name}`)
    const mine = await rec.waitFor(
      function ofFamily (r) { return family.has(r.pid) },
      function complete (m) {
        return exits(m, 'execve', a).some((r) => r.res === 0) && exits(m, 'setpgid').length >= 3 && exits(m, 'setsid').length >= 2 &&
          ['a-own-group', 'c1', 'c2', 'd-setsid', 'a-done', 'c1-before', 'c2-before', 'd-setsid-before'].every((n) => opened(m, n))
      },
      60_000
    )

    // the records, with Falco's arguments and the kernel's view of the caller
    const setpgids = exits(mine, 'setpgid', a)
    t.same(setpgids.map((r) => [r.args.pid, r.args.pgid, r.res]), [[0, 0, 0], [kids.c1, kids.c1, 0], [kids.c2, kids.c1, 0]],
      'setpgid: pid and pgid as given (0: the caller / its own pid), each succeeded')
    t.match(setpgids[0]?.session, { pgid: a, vpgid: a, vpid: a }, 'setpgid(0, 0): the caller leads its own group now')
    t.match(setpgids[1]?.session, { pgid: a, vpgid: a }, 'setpgid on a child: the caller\'s own group is unchanged')
    const refused = exits(mine, 'setsid', a)
    t.same(refused.map((r) => r.res), [-1], 'a group leader\'s setsid: EPERM')
    t.equal(refused[0]?.session, undefined, 'a failed call carries no session')
    const started = exits(mine, 'setsid', kids.d)
    t.same(started.map((r) => r.res), [kids.d], 'setsid\'s result: the new session id')
    t.match(started[0]?.session, { sid: kids.d, pgid: kids.d, vpgid: kids.d, vpid: kids.d }, 'the new session and group, as the kernel has them')
    t.same(started[0]?.args, {}, 'setsid has no argument but its result')

    // through the process table, in the order the calls were made (rings are per CPU)
    const ordered = [...mine].sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0))
    const en = createEnricher({ procRoot: '/proc', scan: false, users: userDbFrom([], []) })
    const names = ['proc.pid', 'proc.sid', 'proc.vpgid', 'proc.is_sid_leader', 'proc.is_vpgid_leader', 'evt.args']
    const seen = ordered.map((r) => {
      const ev = en.enrich(r)
      return { r, f: Object.fromEntries(names.map((n) => [n, syscallFields.bind(n, undefined)(ev)])) as Record<string, unknown> }
    })
    const at = (name: string): Record<string, unknown> | undefined =>
      seen.find((s) => s.r.type === 'openat' && s.r.dir === '<' && s.r.args.name === `${dir}/${name}`)?.f
    const startSid = seen.find((s) => s.r.pid === a && s.r.type === 'execve' && s.r.dir === '<' && s.r.res === 0)?.f['proc.sid']
    t.type(startSid, 'number', 'A\'s session from its exec')
    t.not(startSid, a, 'A does not lead its session')
    t.match(at('a-own-group'), { 'proc.pid': a, 'proc.sid': startSid, 'proc.vpgid': a, 'proc.is_vpgid_leader': true, 'proc.is_sid_leader': false },
      'after setpgid(0, 0): A leads its group, same session')
    for (const [name, pid] of [['c1', kids.c1], ['c2', kids.c2], ['d-setsid', kids.d]] as const) {
      t.match(at(`${name}-before`), { 'proc.pid': pid, 'proc.sid': startSid, 'proc.vpgid': a, 'proc.is_vpgid_leader': false, 'proc.is_sid_leader': false },
        `${name} before it moved: in A's group and session, as forked`)
    }
    t.match(at('c1'), { 'proc.pid': kids.c1, 'proc.sid': startSid, 'proc.vpgid': kids.c1, 'proc.is_vpgid_leader': true, 'proc.is_sid_leader': false },
      'c1, moved by its parent into a group of its own, leads it')
    t.match(at('c2'), { 'proc.pid': kids.c2, 'proc.sid': startSid, 'proc.vpgid': kids.c1, 'proc.is_vpgid_leader': false },
      'c2, moved into c1\'s group, is in it and does not lead it')
    t.match(at('d-setsid'), { 'proc.pid': kids.d, 'proc.sid': kids.d, 'proc.vpgid': kids.d, 'proc.is_sid_leader': true, 'proc.is_vpgid_leader': true },
      'd, after setsid, leads its session and its group')
    t.match(at('a-done'), { 'proc.pid': a, 'proc.sid': startSid, 'proc.vpgid': a, 'proc.is_sid_leader': false },
      'A after its refused setsid: unchanged')
    const rendered = seen.filter((s) => s.r.dir === '<' && (s.r.type === 'setsid' || s.r.type === 'setpgid')).map((s) => `${s.r.type} ${String(s.f['evt.args'])}`)
    t.same(rendered.filter((x) => x.startsWith('setpgid')), [
      'setpgid res=0 pid=0 pgid=0', `setpgid res=0 pid=${kids.c1} pgid=${kids.c1}`, `setpgid res=0 pid=${kids.c2} pgid=${kids.c1}`
    ], 'evt.args: Falco\'s setpgid arguments')
    t.same(rendered.filter((x) => x.startsWith('setsid')).sort(), [`setsid res=${kids.d}`, 'setsid res=-1(EPERM)'].sort(), 'evt.args: setsid shows its result only')
    t.equal(en.procs.peek(kids.c2)?.pgid, kids.c1, 'the table keeps c2 in c1\'s group (host pgid)')
    t.same(rec.errors, [], 'no probe errors')
  })
}
