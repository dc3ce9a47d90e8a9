// watchRules on real directories: plain files, rules.d directories and the kubelet's ConfigMap
// volume layout (`..<timestamp>/` dirs, a `..data` symlink swapped by rename, files linking into it).
import t from 'tap'
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, renameSync, rmSync, readFileSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { watchRules } from '../../src/config/rules-watch.ts'

const DEBOUNCE = 40

/** Counts calls and lets a test await the next one. */
function recorder (onCall?: () => void): { cb: () => void, count: () => number, next: () => Promise<void> } {
  let n = 0
  let waiters: Array<() => void> = []
  return {
    cb () {
      n++
      onCall?.()
      const w = waiters
      waiters = []
      for (const f of w) f()
    },
    count: () => n,
    next: async () => await new Promise<void>((resolve) => { waiters.push(resolve) })
  }
}

let stamp = 0
/** Writes a ConfigMap payload the way the kubelet does and returns the timestamped dir name. */
function kubeletWrite (dir: string, files: Record<string, string>): string {
  stamp++
  const ts = `..2026_11_23_17_30_${String(stamp).padStart(2, '0')}.00000000${stamp}`
  mkdirSync(join(dir, ts))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, ts, name), text)
  return ts
}

/** A fresh ConfigMap volume: first payload, `..data` link and the per-key links. */
function makeConfigMapVolume (files: Record<string, string>): { dir: string, current: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-cmvol-'))
  const ts = kubeletWrite(dir, files)
  symlinkSync(ts, join(dir, '..data'))
  for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(dir, name))
  return { dir, current: ts }
}

/** The kubelet's atomic update: new dir, temp link, rename over `..data`, remove the old dir. */
function kubeletSwap (vol: { dir: string, current: string }, files: Record<string, string>): void {
  const ts = kubeletWrite(vol.dir, files)
  symlinkSync(ts, join(vol.dir, '..data_tmp'))
  renameSync(join(vol.dir, '..data_tmp'), join(vol.dir, '..data'))
  rmSync(join(vol.dir, vol.current), { recursive: true })
  vol.current = ts
}

t.test('a ConfigMap volume update (..data symlink swap) is seen exactly once, with the new content', async (t) => {
  const vol = makeConfigMapVolume({ 'custom.yaml': '- list: a\n  items: [1]\n' })
  let seen = ''
  const rec = recorder(() => { seen = readFileSync(join(vol.dir, 'custom.yaml'), 'utf8') })
  const w = watchRules([vol.dir], rec.cb, { debounceMs: DEBOUNCE })
  t.teardown(() => { w.close(); rmSync(vol.dir, { recursive: true, force: true }) })

  const first = rec.next()
  kubeletSwap(vol, { 'custom.yaml': '- list: a\n  items: [2]\n' })
  await first
  t.equal(seen, '- list: a\n  items: [2]\n', 'the callback reads the new payload')

  // A second real update is the sentinel: if the first swap had produced a stray extra call it
  // would have been counted before this one.
  const second = rec.next()
  kubeletSwap(vol, { 'custom.yaml': '- list: a\n  items: [3]\n' })
  await second
  t.equal(rec.count(), 2, 'one call per update')
})

t.test('a file path that links into ..data is watched through its directory, not its inode', async (t) => {
  const vol = makeConfigMapVolume({ 'k8s_audit_rules.yaml': 'v1', 'other.yaml': 'x' })
  const rec = recorder()
  const w = watchRules([join(vol.dir, 'k8s_audit_rules.yaml')], rec.cb, { debounceMs: DEBOUNCE })
  t.teardown(() => { w.close(); rmSync(vol.dir, { recursive: true, force: true }) })

  const p = rec.next()
  kubeletSwap(vol, { 'k8s_audit_rules.yaml': 'v2', 'other.yaml': 'x' })
  await p
  t.equal(rec.count(), 1)

  // Only the watched key changed content matters: a swap that changes another key is not a change.
  kubeletSwap(vol, { 'k8s_audit_rules.yaml': 'v2', 'other.yaml': 'y' })
  const p2 = rec.next()
  kubeletSwap(vol, { 'k8s_audit_rules.yaml': 'v3', 'other.yaml': 'y' })
  await p2
  t.equal(rec.count(), 2, 'the swap that left the watched file unchanged did not call back')
})

t.test('plain files: an edit calls back, a touch with the same content does not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-rw-'))
  const file = join(dir, 'rules.yaml')
  writeFileSync(file, 'a')
  writeFileSync(join(dir, 'unrelated.txt'), '0')
  const rec = recorder()
  const w = watchRules([file], rec.cb, { debounceMs: DEBOUNCE })
  t.teardown(() => { w.close(); rmSync(dir, { recursive: true, force: true }) })

  const p = rec.next()
  writeFileSync(file, 'b')
  await p
  t.equal(rec.count(), 1)

  utimesSync(file, new Date(), new Date(Date.now() + 5000))
  writeFileSync(join(dir, 'unrelated.txt'), '1')
  const p2 = rec.next()
  writeFileSync(file, 'c')
  await p2
  t.equal(rec.count(), 2, 'touch and an unrelated neighbour did not count')
})

t.test('rules.d directories: added files count, hidden files do not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-rulesd-'))
  writeFileSync(join(dir, '10-base.yaml'), 'a')
  const rec = recorder()
  const w = watchRules([dir], rec.cb, { debounceMs: DEBOUNCE })
  t.teardown(() => { w.close(); rmSync(dir, { recursive: true, force: true }) })

  writeFileSync(join(dir, '.20-extra.yaml.swp'), 'editor noise')
  const p = rec.next()
  writeFileSync(join(dir, '20-extra.yaml'), 'b')
  await p
  t.equal(rec.count(), 1)

  const p2 = rec.next()
  rmSync(join(dir, '20-extra.yaml'))
  await p2
  t.equal(rec.count(), 2, 'a removed file counts as a change')
})

t.test('a path that does not exist yet is noticed when it appears', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-rw-missing-'))
  const rulesD = join(dir, 'rules.d')
  const rec = recorder()
  const w = watchRules([rulesD], rec.cb, { debounceMs: DEBOUNCE })
  t.teardown(() => { w.close(); rmSync(dir, { recursive: true, force: true }) })

  const p = rec.next()
  mkdirSync(rulesD)
  writeFileSync(join(rulesD, 'mine.yaml'), 'x')
  await p
  t.ok(rec.count() >= 1, 'creation noticed')

  // The new directory is watched from now on.
  const before = rec.count()
  const p2 = rec.next()
  writeFileSync(join(rulesD, 'mine.yaml'), 'y')
  await p2
  t.equal(rec.count(), before + 1)
})

t.test('a throwing callback is reported and the watch goes on; close() stops calls', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-rw-err-'))
  const file = join(dir, 'r.yaml')
  writeFileSync(file, '1')
  const errors: unknown[] = []
  let calls = 0
  const rec = recorder()
  const w = watchRules([file], () => { calls++; rec.cb(); throw new Error('loader exploded') },
    { debounceMs: DEBOUNCE, onError: (e) => errors.push(e) })
  const closedRec = recorder()
  const closed = watchRules([file], closedRec.cb, { debounceMs: DEBOUNCE })
  closed.close()
  t.teardown(() => { w.close(); rmSync(dir, { recursive: true, force: true }) })

  const p = rec.next()
  writeFileSync(file, '2')
  await p
  const p2 = rec.next()
  writeFileSync(file, '3')
  await p2
  t.equal(calls, 2, 'still watching after the callback threw')
  t.equal(errors.length, 2)
  t.match((errors[0] as Error).message, /loader exploded/)
  t.equal(closedRec.count(), 0, 'the closed watcher never called back')
})

t.test('a watched directory that is removed and created again is watched again', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'lanner-rw-recreate-'))
  const dir = join(parent, 'rules.d')
  mkdirSync(dir)
  writeFileSync(join(dir, 'a.yaml'), '1')
  const rec = recorder()
  const w = watchRules([dir], rec.cb, { debounceMs: DEBOUNCE })
  t.teardown(() => { w.close(); rmSync(parent, { recursive: true, force: true }) })

  const gone = rec.next()
  rmSync(dir, { recursive: true })
  await gone
  const back = rec.next()
  mkdirSync(dir)
  writeFileSync(join(dir, 'a.yaml'), '2')
  await back
  // the new directory's own watch must see later edits
  const edited = rec.next()
  writeFileSync(join(dir, 'b.yaml'), '3')
  await edited
  t.equal(rec.count(), 3, 'removal, re-creation and a later edit each seen once')
})
