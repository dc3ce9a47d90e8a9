// `lanner serve --source syscall` on the real probe: a container whose first process has exited
// still has user.name. The emulated container (a kubepods cgroup leaf named by its id) has its own
// /etc/passwd (bind-mounted in a private mount namespace before its processes join the cgroup, as
// an image's file is all a container's processes ever see) in which uid 0 is "ctr-root". Only
// these test rules are loaded, so the container's users are first asked for after its first
// process has gone: they must come from a later live process, never stay <NA> and never be the
// node's ("root").
// Skips (with the reason) without root, BTF, clang, a cgroup v1 cpu hierarchy or unshare.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { probeSkipReason } from '../fixtures/syscall/probe-harness.ts'
import { createPodCgroup, podCgroupSkipReason } from '../helpers/pod-cgroup.ts'
import { spawnInCgroup } from '../helpers/cgroup-child.ts'
import { serveRulesOnProbe } from '../helpers/serve-syscall.ts'
import { skipUnlessRequired } from '../helpers/probe-required.ts'

function unshareMissing (): string | undefined {
  try { execFileSync('unshare', ['--version'], { stdio: 'ignore' }); return undefined } catch { return 'unshare (util-linux) missing' }
}

// every reason goes through skipUnlessRequired: in CI as root a missing tool fails instead of skipping
const skip = probeSkipReason() ?? podCgroupSkipReason() ?? skipUnlessRequired(unshareMissing())
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'lanner-serve-users-')))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const id = randomBytes(32).toString('hex')
  const started = await serveRulesOnProbe(t, dir, `
- rule: e2e first process exited
  desc: the container's first process ends; its user is looked up only now
  condition: evt.type = procexit and container.id = "${id.slice(0, 12)}" and proc.name = "lanner-first"
  output: "first exited (user=%user.name pid=%proc.pid)"
  priority: NOTICE
- rule: e2e later process started
  desc: a later process of the same container
  condition: evt.type in (execve, execveat) and container.id = "${id.slice(0, 12)}" and proc.name = "lanner-later"
  output: "later started (user=%user.name uid=%user.uid group=%group.name pid=%proc.pid)"
  priority: NOTICE
`)
  if (started !== undefined) {
    const { serve, alertWhere } = started

    t.test('a container whose first process has exited still has user.name', async (t) => {
      writeFileSync(path.join(dir, 'ctr-passwd'), 'ctr-root:x:0:0:container root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n')
      writeFileSync(path.join(dir, 'ctr-group'), 'ctr-wheel:x:0:\n')
      const sleep = realpathSync(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim())
      symlinkSync(sleep, path.join(dir, 'lanner-first'))
      symlinkSync(sleep, path.join(dir, 'lanner-later'))
      const cg = createPodCgroup(t, id)
      const container = {
        wrapper: ['unshare', '-m', '--propagation', 'private'],
        setup: `mount --bind ${path.join(dir, 'ctr-passwd')} /etc/passwd && mount --bind ${path.join(dir, 'ctr-group')} /etc/group`
      }

      // the container's first process: it ends before anything asks for its users
      const first = spawnInCgroup(t, cg, [path.join(dir, 'lanner-first'), '0'], container)
      t.equal(await first.exited, 0, `the first process ran and exited ${first.stderr()}`)
      t.ok(await alertWhere((a) => a.rule === 'e2e first process exited'), 'its exit was seen (and its user looked up once it was gone)')

      const later = spawnInCgroup(t, cg, [path.join(dir, 'lanner-later'), '30'], container)
      const hit = await alertWhere((a) => a.rule === 'e2e later process started')
      later.child.kill('SIGKILL')
      t.ok(hit, 'a later process of the container')
      t.match(hit?.output, /: Notice later started \(user=ctr-root uid=0 group=ctr-wheel pid=\d+\)$/, 'user.name and group.name from the container\'s own files')
      t.equal(hit?.output_fields['user.name'], 'ctr-root')
    })

    t.test('SIGTERM exits 0', async (t) => {
      serve.child.kill('SIGTERM')
      t.equal((await serve.exited).code, 0)
    })
  }
}
