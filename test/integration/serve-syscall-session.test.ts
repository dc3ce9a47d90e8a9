// `lanner serve --source syscall` on the real probe: processes that change session or process group
// without exec (a daemon's fork + setsid, a job put in its own group with setpgid) show their new
// proc.sid / proc.vpgid / proc.is_sid_leader / proc.is_vpgid_leader in the alerts of what they do
// next. The rule names neither call: serve records them whatever the rules ask for.
// Skips (with the reason) without root, BTF, clang or python3.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { probeSkipReason } from '../fixtures/syscall/probe-harness.ts'
import { serveRulesOnProbe, type JsonAlert } from '../helpers/serve-syscall.ts'
import { skipUnlessRequired } from '../helpers/probe-required.ts'

function python3Missing (): string | undefined {
  try { execFileSync('python3', ['-c', 'pass'], { stdio: 'ignore' }); return undefined } catch { return 'python3 missing' }
}

// two children of one python process, neither of which execs: one starts a session (a daemon),
// the other leads a new group (a job); each opens a marker before and after the change
const SCRIPT = `
import os, sys, json
base = sys.argv[1]
def child(name, change):
    pid = os.fork()
    if pid == 0:
        open(base + '/m-' + name + '-before', 'w').close()
        change()
        open(base + '/m-' + name + '-after', 'w').close()
        os._exit(0)
    return pid
daemon = child('daemon', os.setsid)
job = child('job', lambda: os.setpgid(0, 0))
for p in (daemon, job):
    os.waitpid(p, 0)
print(json.dumps({'parent': os.getpid(), 'daemon': daemon, 'job': job}))
`

const skip = probeSkipReason() ?? skipUnlessRequired(python3Missing())
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'lanner-serve-session-')))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const started = await serveRulesOnProbe(t, dir, `
- rule: e2e marker opened
  desc: a test process opened one of this run's marker files
  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name startswith "${dir}/m-"
  output: "marker opened (file=%fd.name pid=%proc.pid sid=%proc.sid vpgid=%proc.vpgid sid_leader=%proc.is_sid_leader vpgid_leader=%proc.is_vpgid_leader)"
  priority: NOTICE
`)
  if (started !== undefined) {
    const { serve, alertWhere } = started

    t.test('a daemon\'s setsid and a job\'s setpgid, without exec, show in the next alerts', async (t) => {
      const out = execFileSync('python3', ['-c', SCRIPT, dir], { encoding: 'utf8', timeout: 15_000 })
      const pids = JSON.parse(out) as { parent: number, daemon: number, job: number }
      const fieldsOf = async (name: string): Promise<JsonAlert['output_fields'] | undefined> =>
        (await alertWhere((a) => a.rule === 'e2e marker opened' && a.output_fields['fd.name'] === `${dir}/m-${name}`))?.output_fields
      const daemonBefore = await fieldsOf('daemon-before')
      const daemonAfter = await fieldsOf('daemon-after')
      const jobBefore = await fieldsOf('job-before')
      const jobAfter = await fieldsOf('job-after')
      t.ok(daemonBefore !== undefined && daemonAfter !== undefined && jobBefore !== undefined && jobAfter !== undefined, 'an alert for every marker')
      t.match(daemonBefore, { 'proc.pid': pids.daemon, 'proc.is_sid_leader': false, 'proc.is_vpgid_leader': false }, 'the daemon before setsid: its parent\'s session and group')
      t.not(daemonBefore?.['proc.sid'], pids.daemon, 'nor leads it')
      t.match(daemonAfter, { 'proc.pid': pids.daemon, 'proc.sid': pids.daemon, 'proc.vpgid': pids.daemon, 'proc.is_sid_leader': true, 'proc.is_vpgid_leader': true },
        'after setsid: it leads its own session and group')
      t.match(jobBefore, { 'proc.pid': pids.job, 'proc.is_vpgid_leader': false }, 'the job before setpgid: its parent\'s group')
      t.match(jobAfter, { 'proc.pid': pids.job, 'proc.sid': daemonBefore?.['proc.sid'], 'proc.vpgid': pids.job, 'proc.is_vpgid_leader': true, 'proc.is_sid_leader': false },
        'after setpgid(0, 0): it leads a group of its own in the same session')
    })

    t.test('SIGTERM exits 0', async (t) => {
      serve.child.kill('SIGTERM')
      t.equal((await serve.exited).code, 0)
    })
  }
}
