// Conformance with Falco: every case of ../shared/reference/cases/cases.json (real audit traces and
// the detections Falco gives on them) through the same path as `lanner replay`: rules files →
// loadRules → replayAudit. The cases are read in place and never copied into this repository.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join, resolve } from 'node:path'
import { loadRules, parsePriority, readRulesPaths } from '../../src/rules/index.ts'
import type { SourceDefinition } from '../../src/fields/index.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import { syscallSource } from '../../src/syscall/fields/index.ts'
import { replayAudit } from '../../src/app/replay/replay-audit.ts'
import type { Alert } from '../../src/events/index.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const REFERENCE = resolve(REPO, '../shared/reference')
const CASES_DIR = join(REFERENCE, 'cases')
const CASES_FILE = join(CASES_DIR, 'cases.json')

interface Case {
  name: string
  trace: string
  rules_files_in_dir: string[]
  expect: Record<string, number>
  expect_priority_nonzero: string[]
  expect_no_detection: boolean
  expect_stderr_regex: string | null
  expect_exit_code: number
  notes: string[]
}

/**
 * Cases whose rules files cannot load under plugin-era semantics, as in current Falco: the legacy
 * engine-v4 file uses `contains` on the list field ka.req.role.rules.resources, which only supports
 * exists/in/intersects. Falco's Go suite only checked the exit code there; we assert the exact
 * load error instead, so a change of behaviour shows up here.
 */
const LEGACY_LIST_CONTAINS = 'engine_v4_k8s_audit_rules.falco-legacy.yaml'

t.test('the reference cases are present', async (t) => {
  t.ok(existsSync(CASES_FILE), `cases.json must exist at ${CASES_FILE} (../shared/reference next to the repository)`)
})

if (existsSync(CASES_FILE)) {
  const cases = JSON.parse(readFileSync(CASES_FILE, 'utf8')) as Case[]
  // falco_rules.v1.0.1.yaml (syscall) is part of most cases: both sources are registered, as in Falco
  const sources: SourceDefinition<any>[] = [k8sAuditSource, syscallSource]

  t.test('upstream k8s_audit_rules.yaml loads with no errors', async (t) => {
    const res = loadRules(await readRulesPaths([join(REFERENCE, 'k8saudit/k8s_audit_rules.yaml')]), { sources })
    t.same(res.errors, [], 'no load errors')
    t.equal(res.ruleset?.activeCount('k8s_audit'), 48, 'all 48 rules active')
    t.same(res.warnings.map((w) => w.code), [], 'no warnings')
  })

  for (const c of cases) {
    t.test(`case ${c.name}`, async (t) => {
      const files = c.rules_files_in_dir.map((f) => join(CASES_DIR, f))
      const res = loadRules(await readRulesPaths(files), { sources })
      if (c.rules_files_in_dir.includes(LEGACY_LIST_CONTAINS)) {
        t.ok(c.expect_no_detection, 'only no-detection cases use the legacy file')
        t.same(res.errors.map((e) => [e.code, e.location?.file]), [['LOAD_ERR_COMPILE_CONDITION', join(CASES_DIR, LEGACY_LIST_CONTAINS)]],
          'the legacy file is rejected for contains on a list field (documented difference)')
        return
      }
      t.same(res.errors, [], 'rules load without errors')
      t.same(res.warnings.filter((w) => w.code === 'LOAD_UNKNOWN_SOURCE'), [], 'every rule has a registered source')
      if (res.ruleset === undefined) return
      const alerts: Alert[] = []
      const summary = await replayAudit({
        paths: [join(CASES_DIR, c.trace)],
        ruleset: res.ruleset,
        emit: function collect (a) { alerts.push(a) },
        maxEventBytes: 262144
      })
      if (c.expect_stderr_regex !== null) {
        const re = new RegExp(c.expect_stderr_regex)
        t.ok(summary.issues.some((i) => re.test(i.message)), `an issue matches /${c.expect_stderr_regex}/`)
        t.equal(summary.issues[0]?.code, 'ERR_AUDIT_NOT_RECOGNIZED')
      } else {
        t.same(summary.issues, [], 'every line of the trace decodes')
        t.ok(summary.events > 0, 'the trace has events')
      }
      if (c.expect_no_detection) {
        t.same(summary.rules, {}, 'no rule fires')
        return
      }
      for (const [rule, n] of Object.entries(c.expect)) t.equal(summary.rules[rule] ?? 0, n, `${rule} fires ${n} time(s)`)
      for (const p of c.expect_priority_nonzero) {
        const prio = parsePriority(p)
        t.ok(alerts.some((a) => a.priority === prio), `some alert has priority ${p}`)
      }
      t.equal(summary.alerts, alerts.length, 'the summary counts every alert')
    })
  }
}
