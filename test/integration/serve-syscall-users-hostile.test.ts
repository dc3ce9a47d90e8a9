// `lanner serve --source syscall` on the real probe, facing a container whose /etc/passwd is a
// FIFO (no writer ever comes): a blocking read there froze the whole event loop (no more alerts,
// /healthz dead). The emulated container is a real process chrooted into its own root (the host's
// /usr bind-mounted in a private mount namespace) inside a kubepods cgroup named by its id; a rule
// on its execve asks for %user.name. The alert must come (user <NA>), the refusal be logged once
// with its code, and /healthz keep answering.
// Skips (with the reason) without root, BTF, clang, a cgroup v1 cpu hierarchy, unshare or chroot.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { probeSkipReason } from '../fixtures/syscall/probe-harness.ts'
import { createPodCgroup, podCgroupSkipReason } from '../helpers/pod-cgroup.ts'
import { spawnInCgroup } from '../helpers/cgroup-child.ts'
import { request, until, type HttpResult } from '../helpers/serve-child.ts'
import { serveRulesOnProbe } from '../helpers/serve-syscall.ts'
import { skipUnlessRequired } from '../helpers/probe-required.ts'

function toolMissing (): string | undefined {
  for (const tool of ['unshare', 'chroot', 'mkfifo']) {
    try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }) } catch { return `${tool} missing` }
  }
  return undefined
}

/** the answer, or 'no answer' after 30 s: a server whose event loop is blocked never answers */
async function answerWithin30s (url: string): Promise<HttpResult | 'no answer'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'no answer'>((resolve) => { timer = setTimeout(() => { resolve('no answer') }, 30_000) })
  try {
    return await Promise.race([request(url), timeout])
  } finally {
    clearTimeout(timer)
  }
}

// every reason goes through skipUnlessRequired: in CI as root a missing tool fails instead of skipping
const skip = probeSkipReason() ?? podCgroupSkipReason() ?? skipUnlessRequired(toolMissing())
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'lanner-serve-hostile-users-')))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const id = randomBytes(32).toString('hex')
  const started = await serveRulesOnProbe(t, dir, `
- rule: e2e hostile passwd container process
  desc: a process of the container whose /etc/passwd is a FIFO; the output asks for its user
  condition: evt.type in (execve, execveat) and container.id = "${id.slice(0, 12)}" and proc.name = "lanner-hostile"
  output: "hostile started (user=%user.name uid=%user.uid pid=%proc.pid)"
  priority: NOTICE
`)
  if (started !== undefined) {
    const { serve, admin, alertWhere } = started

    t.test('a container whose /etc/passwd is a FIFO: its event is evaluated, user <NA>, /healthz answers', async (t) => {
      const root = path.join(dir, 'ctr-root')
      for (const d of ['usr', 'etc']) mkdirSync(path.join(root, d), { recursive: true })
      for (const l of ['bin', 'lib', 'lib64', 'sbin']) if (existsSync(`/${l}`)) symlinkSync(`usr/${l}`, path.join(root, l))
      execFileSync('mkfifo', [path.join(root, 'etc', 'passwd')])
      writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\n')
      const sleep = realpathSync(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim())
      // an absolute link inside the root: exec'd from within the chroot
      symlinkSync(sleep, path.join(root, 'lanner-hostile'))
      const cg = createPodCgroup(t, id)
      const proc = spawnInCgroup(t, cg, ['chroot', root, '/lanner-hostile', '60'], {
        wrapper: ['unshare', '-m', '--propagation', 'private'],
        setup: `mount --bind /usr ${root}/usr`
      })

      const hit = await alertWhere((a) => a.rule === 'e2e hostile passwd container process')
      t.ok(hit, `the container's execve was evaluated and its alert written ${proc.stderr()}`)
      t.match(hit?.output, /: Notice hostile started \(user=<NA> uid=0 pid=\d+\)$/, 'no user name: the FIFO was not read (and not the node\'s "root")')
      const health = await answerWithin30s(`${admin}/healthz`)
      t.equal(typeof health === 'string' ? health : health.status, 200, '/healthz answers after the lookup')
      // stderr and the alerts file are separate streams: the log line is awaited on its own
      const line = await until(() => serve.logs.find((l) => l.code === 'ERR_SYSCALL_USERS_FILE_REFUSED'), 'the refusal log line', 30_000).catch(() => undefined)
      t.match(line, { level: 40, containerId: id, file: '/etc/passwd', reason: /not a regular file/ }, 'the refusal is logged, with its code')
      // a second process of the container: its lookup is the cached answer, no second line
      const again = spawnInCgroup(t, cg, ['chroot', root, '/lanner-hostile', '60'], {
        wrapper: ['unshare', '-m', '--propagation', 'private'],
        setup: `mount --bind /usr ${root}/usr`
      })
      const second = await alertWhere((a) => a.rule === 'e2e hostile passwd container process' && a.output.endsWith(`pid=${again.child.pid ?? -1})`))
      t.ok(second, 'the second process\'s alert')
      t.equal(serve.logs.filter((l) => l.code === 'ERR_SYSCALL_USERS_FILE_REFUSED').length, 1, 'logged once per container')
      proc.child.kill('SIGKILL')
      again.child.kill('SIGKILL')
    })

    t.test('SIGTERM exits 0', async (t) => {
      serve.child.kill('SIGTERM')
      t.equal((await serve.exited).code, 0)
    })
  }
}
