// docs/falco-compatibility.md's generated section says what loading Falco's rules files of today
// (../shared/reference/falco-rules, read at test time) gives — and the facts it must contain are
// stated here independently of the generator.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { BEGIN, END, readUpstream, renderUpstreamGaps, spliceSection, upstreamGaps, upstreamSource } from '../../src/cli/upstream-gaps.ts'

const REPO = new URL('../../', import.meta.url).pathname
const UPSTREAM = resolve(REPO, '../shared/reference/falco-rules')
const DOC = resolve(REPO, 'docs/falco-compatibility.md')

t.test('the generated section of docs/falco-compatibility.md is current (regenerate with src/cli/upstream-gaps.ts)', async (t) => {
  const doc = readFileSync(DOC, 'utf8')
  const section = renderUpstreamGaps(readUpstream(UPSTREAM), upstreamSource(UPSTREAM))
  t.equal(doc.slice(doc.indexOf(BEGIN), doc.indexOf(END) + END.length), section)
  t.equal(spliceSection(doc, section), doc)
})

t.test('what the loader reports on the upstream files, stated independently', async (t) => {
  const gaps = upstreamGaps(readUpstream(UPSTREAM))
  // every field the upstream files use has data: the last ones were the executable's inode times
  // "Drop and execute new binary in container" prints (proc.exe_ino.ctime, .mtime,
  // .ctime_duration_proc_start), which the probe now reads at exec
  t.same(gaps.map((g) => [g.file, g.rule, g.field, g.effect]), [])
  t.notOk(gaps.some((g) => g.effect === 'never matches'), 'no upstream rule is dead')
  t.notOk(gaps.some((g) => g.rule === 'Contact K8S API Server From Container'), 'fd.sip.name has data (names resolved as Falco does)')
  const doc = readFileSync(DOC, 'utf8')
  t.match(doc, '**No upstream rule is left unable to fire.**')
  t.notMatch(doc, '| falco_rules.yaml | Drop and execute new binary in container | `proc.exe_ino.ctime` |')
  t.match(doc, 'None: every field these files use has data.')
})

t.test('a rule that cannot fire is named in the section', async (t) => {
  const dead = `- rule: Probe shell
  desc: d
  condition: evt.type = execve and proc.is_container_liveness_probe = true
  output: "%proc.name"
  priority: NOTICE
`
  const section = renderUpstreamGaps([{ name: 'x/custom.yaml', content: dead }], 'a test file')
  t.match(section, '**1 upstream rule cannot fire:** "Probe shell".')
  t.match(section, '| custom.yaml | Probe shell | `proc.is_container_liveness_probe` | **cannot fire**: every check on the field is false | Lanner does not collect it |')
})
