// A container owns its /etc/passwd: whatever it puts there, reading it must neither block Lanner,
// nor exhaust its memory, nor read a HOST file. Real container processes: each is `chroot`ed into
// its own root (a directory with the host's /usr bind-mounted in a private mount namespace, so
// the real `sleep` runs there) inside a kubepods cgroup named by its container id, as the kubelet
// lays them out. Its etc/passwd is (a) a FIFO, (b) a symlink to /dev/zero (the root's own dev/zero
// is a real /dev/zero device node), (c) an absolute symlink to a host file that does not exist in
// the container's root, (d) a 5 MiB file whose first line is a valid user, (e) a normal file,
// (f) an absolute symlink to another file of the container's own root. The lookups run in a child
// process (container-users-lookup.ts) killed after 30 s and, where the memory cgroup v1 hierarchy
// is mounted, capped at 512 MiB: a read that blocks or never ends fails the case, never hangs the
// suite or the machine.
// Skips (with the reason; fails in CI as root) without a cgroup v1 cpu hierarchy, unshare or chroot.
import t, { type Test } from 'tap'
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createPodCgroup, podCgroupSkipReason } from '../../helpers/pod-cgroup.ts'
import { spawnInCgroup } from '../../helpers/cgroup-child.ts'
import { skipUnlessRequired } from '../../helpers/probe-required.ts'
import { until } from '../../helpers/serve-child.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const LOOKUP = path.join(import.meta.dirname, 'container-users-lookup.ts')
const MEMORY_CGROUP = '/sys/fs/cgroup/memory'

function toolMissing (): string | undefined {
  for (const tool of ['unshare', 'chroot', 'mkfifo', 'mknod']) {
    try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }) } catch { return `${tool} missing` }
  }
  return process.getuid?.() === 0 ? undefined : 'needs root (chroot, mount, mknod)'
}

interface Lookup { user: string | null, group: string | null, again: string | null, refused: Array<{ containerId: string, file: string, reason: string }> }

/** A memory cgroup (v1) the lookup child runs in, so a read without bound is OOM-killed there; undefined without one. */
function memoryCap (t: Test): string | undefined {
  if (!existsSync(path.join(MEMORY_CGROUP, 'cgroup.procs'))) return undefined
  const dir = path.join(MEMORY_CGROUP, `lanner-users-test-${randomBytes(6).toString('hex')}`)
  mkdirSync(dir)
  writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(512 * 1024 * 1024))
  t.teardown(async function removeMemoryCgroup () {
    for (let i = 0; i < 40; i++) {
      try { rmdirSync(dir); return } catch { await new Promise((resolve) => setTimeout(resolve, 50)) }
    }
  })
  return dir
}

/** The child's answer, or why there is none (killed after 30 s, OOM, crashed). */
function lookup (id: string, pid: number, cap: string | undefined): Promise<Lookup | string> {
  const node = `"${process.execPath}" --import tsx "${LOOKUP}" ${id} ${pid}`
  const script = cap === undefined ? `exec ${node}` : `echo $$ > ${cap}/cgroup.procs && exec ${node}`
  return new Promise((resolve) => {
    execFile('sh', ['-c', script], { cwd: ROOT, timeout: 30_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err !== null) { resolve(`lookup failed (${err.killed ? 'killed after 30 s' : `code ${String(err.code)} signal ${String(err.signal)}`}): ${stderr.slice(-1000)}`); return }
      try { resolve(JSON.parse(stdout) as Lookup) } catch { resolve(`no JSON: ${stdout} ${stderr}`) }
    })
  })
}

const skip = podCgroupSkipReason() ?? skipUnlessRequired(toolMissing())
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'lanner-hostile-users-')))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const cap = memoryCap(t)
  // a host file no container root holds: its names must never show up as a container's
  const hostFile = path.join(dir, 'host-only-passwd')
  writeFileSync(hostFile, 'host-secret:x:1000:1000::/root:/bin/sh\n')
  const sleep = realpathSync(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim())

  /** A container root whose etc/passwd `makePasswd` creates, and a process of it (pid) in its own cgroup. */
  async function container (t: Test, name: string, makePasswd: (passwd: string, root: string) => void): Promise<{ id: string, pid: number }> {
    const root = path.join(dir, name)
    for (const d of ['usr', 'etc', 'dev']) mkdirSync(path.join(root, d), { recursive: true })
    for (const l of ['bin', 'lib', 'lib64', 'sbin']) if (existsSync(`/${l}`)) symlinkSync(`usr/${l}`, path.join(root, l))
    execFileSync('mknod', [path.join(root, 'dev', 'zero'), 'c', '1', '5'])
    writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\nctr-group:x:1000:\n')
    makePasswd(path.join(root, 'etc', 'passwd'), root)
    const id = randomBytes(32).toString('hex')
    const cg = createPodCgroup(t, id)
    const child = spawnInCgroup(t, cg, ['chroot', root, sleep, '60'], {
      wrapper: ['unshare', '-m', '--propagation', 'private'],
      setup: `mount --bind /usr ${root}/usr`
    })
    const pid = child.child.pid ?? -1
    // chrooted once `sleep` runs (chroot execs it from inside the new root)
    await until(() => {
      if (child.child.exitCode !== null) throw new Error(`the container process exited: ${child.stderr()}`)
      try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep' ? true : undefined } catch { return undefined }
    }, 'the container process chrooted', 30_000, 20)
    t.equal(realpathSync(`/proc/${pid}/root`), root, 'the process runs in its own root')
    return { id, pid }
  }

  async function expectNoNames (t: Test, name: string, makePasswd: (passwd: string, root: string) => void, refusal: RegExp | undefined): Promise<void> {
    const c = await container(t, name, makePasswd)
    const got = await lookup(c.id, c.pid, cap)
    if (typeof got === 'string') { t.fail(got); return }
    t.equal(got.user, null, 'user.name of uid 1000 is absent (<NA>)')
    t.equal(got.again, null, 'and stays so')
    t.equal(got.group, 'ctr-group', 'the container\'s group file (a normal one) is still read')
    if (refusal === undefined) {
      t.same(got.refused, [], 'nothing refused: the file is not there as the container sees it')
    } else {
      t.equal(got.refused.length, 1, 'refused, reported once')
      t.match(got.refused[0], { containerId: c.id, file: '/etc/passwd', reason: refusal })
    }
  }

  t.test('(a) etc/passwd is a FIFO: no hang, no user', async (t) => {
    await expectNoNames(t, 'fifo', (p) => { execFileSync('mkfifo', [p]) }, /not a regular file/)
  })

  t.test('(b) etc/passwd -> /dev/zero: never read, no user', async (t) => {
    await expectNoNames(t, 'zero', (p) => { symlinkSync('/dev/zero', p) }, /not a regular file/)
  })

  t.test('(c) etc/passwd -> an absolute host path: resolved in the container\'s root (absent there), never the host file', async (t) => {
    await expectNoNames(t, 'host-link', (p) => { symlinkSync(hostFile, p) }, undefined)
  })

  t.test('(d) a 5 MiB etc/passwd (valid first line): over the 1 MiB cap, no user', async (t) => {
    await expectNoNames(t, 'huge', (p) => {
      const pad = ('#' + 'x'.repeat(1023) + '\n').repeat(5 * 1024)
      writeFileSync(p, 'big-user:x:1000:1000::/:/bin/sh\n' + pad)
    }, /larger than 1048576 bytes/)
  })

  t.test('(e) a normal etc/passwd: its names', async (t) => {
    const c = await container(t, 'normal', (p) => { writeFileSync(p, 'root:x:0:0::/root:/bin/sh\nctr-user:x:1000:1000::/home/u:/bin/sh\n') })
    const got = await lookup(c.id, c.pid, cap)
    if (typeof got === 'string') { t.fail(got); return }
    t.same(got, { user: 'ctr-user', group: 'ctr-group', again: 'ctr-user', refused: [] })
  })

  t.test('(f) etc/passwd -> /etc/passwd.image, an absolute symlink within the image: followed inside the container\'s root', async (t) => {
    const c = await container(t, 'image-link', (p, root) => {
      writeFileSync(path.join(root, 'etc', 'passwd.image'), 'img-user:x:1000:1000::/:/bin/sh\n')
      symlinkSync('/etc/passwd.image', p)
    })
    const got = await lookup(c.id, c.pid, cap)
    if (typeof got === 'string') { t.fail(got); return }
    t.equal(got.user, 'img-user', 'the name the container\'s own getpwuid gives')
  })
}
