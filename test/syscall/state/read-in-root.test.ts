// readInRoot, the guarded reader behind user.*/group.* (container and node passwd/group files):
// how a path resolves inside a root it does not trust. Real files, FIFOs and symlinks in a tmp dir
// standing for a container's root; a host file outside it that nothing may reach.
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { MAX_SYMLINK_HOPS, openRoot, readInRoot, type RootRead } from '../../../src/syscall/state/read-in-root.ts'

function tree (t: Test): { root: string, outside: string, read (rel: string, max?: number): RootRead } {
  const base = mkdtempSync(path.join(tmpdir(), 'lanner-read-in-root-'))
  t.teardown(() => { rmSync(base, { recursive: true, force: true }) })
  const root = path.join(base, 'root')
  mkdirSync(path.join(root, 'etc'), { recursive: true })
  const outside = path.join(base, 'host-secret')
  writeFileSync(outside, 'host-secret:x:0:0::/:/bin/sh\n')
  return {
    root,
    outside,
    read (rel, max) {
      const fd = openRoot(root)
      if (fd === undefined) throw new Error('root not reachable')
      try { return readInRoot(fd, rel, max) } finally { closeSync(fd) }
    }
  }
}

t.test('a regular file is read; a missing one, or one under a non-directory, is absent', async (t) => {
  const r = tree(t)
  writeFileSync(path.join(r.root, 'etc', 'passwd'), 'a:x:1:1::/:/bin/sh\n')
  t.same(r.read('etc/passwd'), { kind: 'text', text: 'a:x:1:1::/:/bin/sh\n' })
  t.same(r.read('/etc/./passwd'), { kind: 'text', text: 'a:x:1:1::/:/bin/sh\n' }, 'leading / and . are inside the root too')
  t.same(r.read('etc/group'), { kind: 'absent' })
  t.same(r.read('etc/passwd/x'), { kind: 'absent' }, 'a file as a directory')
  t.same(openRoot(path.join(r.root, 'nope')), undefined, 'an unreachable root')
})

t.test('relative symlinks and .. never climb above the root', async (t) => {
  const r = tree(t)
  // ../../<outside> from etc/ would reach the host file from a plain path walk
  const rel = path.relative(path.join(r.root, 'etc'), r.outside)
  symlinkSync(rel, path.join(r.root, 'etc', 'passwd'))
  t.ok(rel.startsWith('..'), `the link climbs: ${rel}`)
  t.same(r.read('etc/passwd'), { kind: 'absent' }, '.. stops at the root: the host file is not there')
  writeFileSync(path.join(r.root, 'host-secret'), 'in-root:x:0:0::/:/bin/sh\n')
  t.same(r.read('etc/passwd'), { kind: 'text', text: 'in-root:x:0:0::/:/bin/sh\n' }, 'the same name inside the root is what it reaches')
  t.same(r.read('../../etc/../host-secret'), { kind: 'text', text: 'in-root:x:0:0::/:/bin/sh\n' }, '.. in the path itself too')
})

t.test('a symlinked directory on the way: an absolute one resolves in the root', async (t) => {
  const r = tree(t)
  mkdirSync(path.join(r.root, 'data', 'etc'), { recursive: true })
  writeFileSync(path.join(r.root, 'data', 'etc', 'passwd'), 'vol:x:1:1::/:/bin/sh\n')
  rmSync(path.join(r.root, 'etc'), { recursive: true })
  symlinkSync('/data/etc', path.join(r.root, 'etc'))
  t.same(r.read('etc/passwd'), { kind: 'text', text: 'vol:x:1:1::/:/bin/sh\n' })
  rmSync(path.join(r.root, 'etc'))
  symlinkSync(path.dirname(r.outside), path.join(r.root, 'etc'))
  t.same(r.read('etc/host-secret'), { kind: 'absent' }, 'an absolute link to a host directory: not followed out of the root')
})

t.test('symlink loops and long chains are refused after MAX_SYMLINK_HOPS', async (t) => {
  const r = tree(t)
  symlinkSync('/etc/b', path.join(r.root, 'etc', 'a'))
  symlinkSync('a', path.join(r.root, 'etc', 'b'))
  t.same(r.read('etc/a'), { kind: 'refused', reason: `more than ${MAX_SYMLINK_HOPS} symlinks` })
  // a chain exactly MAX_SYMLINK_HOPS long is followed
  writeFileSync(path.join(r.root, 'etc', 'end'), 'end\n')
  for (let i = 0; i < MAX_SYMLINK_HOPS; i++) symlinkSync(i === MAX_SYMLINK_HOPS - 1 ? 'end' : `c${i + 1}`, path.join(r.root, 'etc', `c${i}`))
  t.same(r.read('etc/c0'), { kind: 'text', text: 'end\n' })
})

t.test('not a regular file: refused without being opened for reading', async (t) => {
  const r = tree(t)
  execFileSync('mkfifo', [path.join(r.root, 'etc', 'fifo')])
  t.same(r.read('etc/fifo'), { kind: 'refused', reason: 'not a regular file' }, 'a FIFO without a writer: no wait')
  t.same(r.read('etc'), { kind: 'refused', reason: 'not a regular file' }, 'a directory')
  t.same(r.read('/'), { kind: 'refused', reason: 'the path names the root itself' })
  if (process.getuid?.() === 0) {
    execFileSync('mknod', [path.join(r.root, 'etc', 'zero'), 'c', '1', '5'])
    t.same(r.read('etc/zero'), { kind: 'refused', reason: 'not a regular file' }, 'a character device')
  }
})

t.test('the size cap: at the cap read, one byte over refused', async (t) => {
  const r = tree(t)
  writeFileSync(path.join(r.root, 'etc', 'at'), 'x'.repeat(100))
  writeFileSync(path.join(r.root, 'etc', 'over'), 'x'.repeat(101))
  t.same(r.read('etc/at', 100), { kind: 'text', text: 'x'.repeat(100) })
  t.same(r.read('etc/over', 100), { kind: 'refused', reason: 'larger than 100 bytes' })
})

t.test('no descriptor is left open, whatever the outcome', async (t) => {
  const r = tree(t)
  writeFileSync(path.join(r.root, 'etc', 'passwd'), 'a:x:1:1::/:/bin/sh\n')
  execFileSync('mkfifo', [path.join(r.root, 'etc', 'fifo')])
  symlinkSync('loop', path.join(r.root, 'etc', 'loop'))
  mkdirSync(path.join(r.root, 'd1', 'd2'), { recursive: true })
  const before = readdirSync('/proc/self/fd').length
  for (let i = 0; i < 50; i++) {
    for (const p of ['etc/passwd', 'etc/fifo', 'etc/loop', 'etc/none', 'd1/d2/../d2/x', 'd1/d2']) r.read(p)
  }
  t.equal(readdirSync('/proc/self/fd').length, before)
})
