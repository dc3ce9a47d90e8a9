// The node's passwd/group go through the same guarded reader as a container's (read-in-root.ts):
// seen through <procRoot>/1/root, a symlink in them resolves against THAT root (the host's), not
// the root Lanner's own container has; a FIFO is not waited on; a huge file is not read. Real
// files in a tmp "proc" tree. Each lookup runs in its own process, killed after 30 s, so a read
// that blocks fails the case instead of hanging the suite.
import t, { type Test } from 'tap'
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const USERS = path.join(ROOT, 'src/syscall/state/users.ts')

interface Answer { user: string | null, group: string | null, refused: Array<{ file: string, reason: string }> }

/** loadUserDb(opts) in a child: uid/gid 1000's names and the refusals reported, or why there is no answer */
function lookup (opts: { procRoot?: string, etcDir?: string }): Promise<Answer | string> {
  const script = `
    import { loadUserDb } from ${JSON.stringify(USERS)}
    const refused = []
    const db = loadUserDb({ ...${JSON.stringify(opts)}, onUnreadable (info) { refused.push(info) } })
    const user = db.user(1000)?.name ?? null
    const group = db.group(1000)?.name ?? null
    process.stdout.write(JSON.stringify({ user, group, refused }) + '\\n')`
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, timeout: 30_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err !== null) { resolve(`lookup failed (${err.killed ? 'killed after 30 s' : `code ${String(err.code)}`}): ${stderr.slice(-1000)}`); return }
      try { resolve(JSON.parse(stdout) as Answer) } catch { resolve(`no JSON: ${stdout} ${stderr}`) }
    })
  })
}

function hostRoot (t: Test): { procRoot: string, etc: string } {
  const procRoot = mkdtempSync(path.join(tmpdir(), 'lanner-users-hostile-'))
  t.teardown(() => { rmSync(procRoot, { recursive: true, force: true }) })
  const etc = path.join(procRoot, '1', 'root', 'etc')
  mkdirSync(etc, { recursive: true })
  writeFileSync(path.join(etc, 'group'), 'root:x:0:\nnode-group:x:1000:\n')
  return { procRoot, etc }
}

t.test('the host\'s etc/passwd -> /etc/passwd.managed: resolved in the host\'s root (/proc/1/root), not in ours', async (t) => {
  const { procRoot, etc } = hostRoot(t)
  writeFileSync(path.join(etc, 'passwd.managed'), 'root:x:0:0::/root:/bin/sh\nnode-user:x:1000:1000::/home/n:/bin/sh\n')
  symlinkSync('/etc/passwd.managed', path.join(etc, 'passwd'))
  t.same(await lookup({ procRoot }), { user: 'node-user', group: 'node-group', refused: [] })
})

t.test('the host\'s etc/passwd is a FIFO: no hang, no users, reported once', async (t) => {
  const { procRoot, etc } = hostRoot(t)
  execFileSync('mkfifo', [path.join(etc, 'passwd')])
  const got = await lookup({ procRoot })
  if (typeof got === 'string') { t.fail(got); return }
  t.equal(got.user, null)
  t.equal(got.group, 'node-group', 'the group file is still read')
  t.equal(got.refused.length, 1)
  t.match(got.refused[0], { file: path.join(procRoot, '1', 'root', 'etc', 'passwd'), reason: /not a regular file/ })
})

t.test('a 5 MiB passwd (valid first line) is not read', async (t) => {
  const { etc } = hostRoot(t)
  writeFileSync(path.join(etc, 'passwd'), 'big-user:x:1000:1000::/:/bin/sh\n' + ('#' + 'x'.repeat(1023) + '\n').repeat(5 * 1024))
  const got = await lookup({ etcDir: etc })
  if (typeof got === 'string') { t.fail(got); return }
  t.equal(got.user, null)
  t.match(got.refused, [{ reason: /larger than 1048576 bytes/ }])
})
