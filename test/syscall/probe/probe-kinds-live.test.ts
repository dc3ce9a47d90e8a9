// The probe records only the kinds the rules need, and a new set takes effect in the running
// helper (same pid, nothing lost): with rules about openat only, this process's mkdir is not
// delivered; after the set computed from rules that add a mkdir rule, it is. Skips (with the
// reason) without root, BTF or clang.
import t from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { probeSkipReason, recordProbe } from '../../fixtures/syscall/probe-harness.ts'
import { loadRules } from '../../../src/rules/index.ts'
import { syscallSource } from '../../../src/syscall/fields/index.ts'
import { probeKindsFor } from '../../../src/syscall/probe-kinds.ts'
import type { SyscallRecord } from '../../../src/syscall/record.ts'

function kindsFor (yaml: string) {
  const r = loadRules([{ name: 'rules.yaml', content: yaml }], { sources: [syscallSource] })
  if (!r.ok || r.ruleset === undefined) throw new Error(JSON.stringify(r.errors))
  return probeKindsFor(r.ruleset)
}
const OPENAT = '- rule: Opened\n  desc: d\n  condition: evt.type = openat and evt.dir = <\n  output: o\n  priority: WARNING\n'
const MKDIR = '- rule: Made\n  desc: d\n  condition: evt.type in (mkdir, mkdirat) and evt.dir = <\n  output: o\n  priority: WARNING\n'

const skip = probeSkipReason()
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lanner-kinds-')))
  t.teardown(function cleanup () { rmSync(dir, { recursive: true, force: true }) })
  const openatOnly = kindsFor(OPENAT)
  const rec = await recordProbe({ kinds: openatOnly.kinds, enterKinds: openatOnly.enterKinds })
  t.teardown(async function stopProbe () { await rec.probe.stop() })
  const pid = rec.probe.pid

  /** write a marker, mkdir, read the marker, from this process: the second open of the marker is
   *  the sync point (same thread, after the mkdir) */
  async function mkdirThenOpen (tag: string): Promise<{ made: SyscallRecord[], opened: SyscallRecord[] }> {
    const made = join(dir, `made-${tag}`)
    const marker = join(dir, `marker-${tag}`)
    writeFileSync(marker, 'x')
    mkdirSync(made)
    readFileSync(marker)
    const opened = await rec.waitFor(r => r.type === 'openat' && r.pid === process.pid && r.args.name === marker, m => m.length >= 2)
    const made2 = rec.records.filter(r => (r.type === 'mkdir' || r.type === 'mkdirat') && r.pid === process.pid && String(r.args.path).endsWith(`made-${tag}`))
    return { made: made2, opened }
  }

  t.test('rules about openat only: mkdir is not recorded', async t => {
    t.notOk(rec.probe.kinds.includes('mkdir'), 'not in the set')
    const { made, opened } = await mkdirThenOpen('before')
    t.equal(opened.length, 2, 'both opens of the marker arrived, the later one after the mkdir')
    t.equal(made.length, 0, 'no mkdir record for the earlier mkdir')
  })

  t.test('after a reload adding a mkdir rule: recorded, by the same helper', async t => {
    const both = kindsFor(OPENAT + MKDIR)
    t.ok(both.kinds.includes('mkdir') && both.kinds.includes('mkdirat'))
    t.equal(await rec.probe.setKinds(both.kinds, both.enterKinds), 'live', 'the helper applied it in place')
    t.equal(rec.probe.pid, pid, 'no restart')
    t.equal(await rec.probe.setKinds(both.kinds), 'unchanged')
    const made = join(dir, 'made-after')
    mkdirSync(made)
    const seen = await rec.waitFor(r => (r.type === 'mkdir' || r.type === 'mkdirat') && r.pid === process.pid && String(r.args.path).endsWith('made-after'), m => m.length > 0)
    t.equal(seen.length, 1, 'the mkdir record arrived')
    t.equal(seen[0]?.res, 0)
  })

  t.test('and back: removing the rule stops the records again', async t => {
    t.equal(await rec.probe.setKinds(openatOnly.kinds, openatOnly.enterKinds), 'live')
    const { made, opened } = await mkdirThenOpen('removed')
    t.equal(opened.length, 2)
    t.equal(made.length, 0)
  })

  t.test('an unknown kind is refused and changes nothing', async t => {
    await t.rejects(rec.probe.setKinds(['openat', 'no_such_call']), { code: 'ERR_CONFIG_INVALID' })
    t.same(rec.probe.kinds, openatOnly.kinds)
    t.equal(rec.errors.length, 0, 'no probe errors during the test')
  })
}
