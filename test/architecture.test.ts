// Dependencies flow one way, as the house style's "Import directions" table says
// (../shared/reference/house-style.md, read at test time: the table is the house style's, not
// this test's). Every import in src/ (static, dynamic, `import type`) is parsed; violations are
// compared with the deviations listed below, each with its reason: a new violation fails, and so
// does a listed deviation that no longer occurs (the list only shrinks). A fixture tree with
// violations made on purpose shows that the check finds them.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { cycles, parseHouseTable, scanImports, violations } from './architecture/import-graph.ts'

const SRC = fileURLToPath(new URL('../src', import.meta.url))
const FIXTURE = fileURLToPath(new URL('./fixtures/architecture/bad-src', import.meta.url))
const CYCLES_FIXTURE = fileURLToPath(new URL('./fixtures/architecture/cycles-src', import.meta.url))
const HOUSE = readFileSync(new URL('../../shared/reference/house-style.md', import.meta.url), 'utf8')
const table = parseHouseTable(HOUSE)

/** Where src/ departs from the house style today, and why. Remove a line when the code is fixed. */
const KNOWN_DEVIATIONS: Record<string, string> = {
  'audit: module not in the house-style table': 'the k8s_audit source, whole (decode, its field table in audit/fields/, file/stdin reading) predates the table, which names webhook for the audit side; it is a source like syscall',
  'setup: module not in the house-style table': 'lanner setup (apiserver webhook config, TLS bundle) is a CLI-side module the table does not name',
  'app → audit': 'app composes the audit source (the table lists no audit row)',
  'cli → setup': 'the setup command lives in setup/ (not named by the table)',
  'cli → fields': 'rules validate/list add static_fields to the source tables (withStaticFieldsAll)',
  'cli → audit': 'rules validate/list load each source bundle from its module, not through app/ whose index loads fastify and pino (cli/rules.ts SOURCE_MODULES)',
  'cli → rules': 'validate loads rules files and prints Falco-style results',
  'cli → syscall': 'rules validate/list (cli/rules.ts) and the upstream-gaps doc generator load the syscall source bundle from its module, not through app/ (see cli → audit)',
  'syscall → fields': 'the syscall source owns its field table (syscall/fields/), which implements the fields/ contract: sources are bundles {name, fields, decode} (house style, Falco\'s falco_source); the table has no row letting a source import fields',
  'app → config: deep import (not through config/index.ts)': 'app/version.ts alone, for `lanner --version` (see KNOWN_DEEP_IMPORTS)',
  'cli → app: deep import (not through app/index.ts)': 'cli/index.ts alone, for `lanner --version` (see KNOWN_DEEP_IMPORTS)'
}

/**
 * The deep imports left, file by file, so that the two deviation lines above cover nothing else.
 * `lanner --version` loads app/version.ts and config/defaults.ts alone: through app/index.ts and
 * config/index.ts it would load fastify, pino and zod (about 2 s instead of 50 ms under tsx).
 */
const KNOWN_DEEP_IMPORTS: Record<string, string> = {
  'cli/index.ts → app/version.ts': 'lanner --version prints the version without loading the app',
  'app/version.ts → config/defaults.ts': 'the version is read from PACKAGE_ROOT without loading the config schema'
}

/** Import cycles in src/ today, and why. The house style wants none; remove a line when it is broken. */
const KNOWN_CYCLES: Record<string, string> = {}

t.test('the house style\'s table is read as written', async (t) => {
  t.same([...table.value.get('rules') ?? []].sort(), ['errors', 'events', 'fields', 'util'])
  t.same([...table.value.get('errors') ?? []], ['util'], '"nothing (errors may import util)"')
  t.same([...table.typeOnly.get('outputs') ?? []], ['config'], '"`import type` from config"')
  t.equal(table.value.get('app')?.size, 10, '"everything above"')
  t.same([...table.value.get('cli') ?? []].sort(), ['app', 'config', 'errors'])
})

t.test('src/ imports only what the house style allows, apart from the listed deviations', async (t) => {
  const edges = scanImports(SRC)
  t.ok(edges.filter((e) => e.relative && e.from !== e.to && e.from !== '').length > 100, 'the scan saw the cross-module imports')
  const found = violations(edges, table)
  t.same(found.filter((v) => !(v in KNOWN_DEVIATIONS)), [], 'no violation outside the list')
  t.same(Object.keys(KNOWN_DEVIATIONS).filter((v) => !found.includes(v)), [], 'every listed deviation still occurs (remove fixed ones)')
})

t.test('cross-module imports go through index.ts, apart from the listed files', async (t) => {
  const deep = scanImports(SRC).filter((e) => e.relative && e.deep && e.from !== '' && e.to !== '').map((e) => `${e.file} → ${e.target}`)
  t.same([...new Set(deep)].sort(), Object.keys(KNOWN_DEEP_IMPORTS).sort())
})

/**
 * audit/ and setup/ are not in the table, so the table check skips their imports; they are held
 * here to the rows they play. audit/ is a source: a source's row plus fields/ (it owns its field
 * table, as syscall/ does). setup/ is CLI-side: config, errors, events, util.
 */
const UNNAMED_MODULE_ROWS: Record<string, readonly string[]> = {
  audit: [...(table.value.get('syscall') ?? []), 'fields'],
  setup: ['config', 'errors', 'events', 'util']
}
/** Their imports beyond those rows, and why. */
const UNNAMED_MODULE_EXTRAS: Record<string, string> = {
  'audit → rules (import type)': 'truncated-events.ts evaluates an event with a Ruleset to notice rules that looked inside a truncated object'
}

t.test('audit/ and setup/, which the table does not name, import only what their role allows', async (t) => {
  const extra = new Set<string>()
  for (const e of scanImports(SRC)) {
    const row = UNNAMED_MODULE_ROWS[e.from]
    if (row === undefined || !e.relative || e.to === e.from || e.to === '' || row.includes(e.to)) continue
    extra.add(`${e.from} → ${e.to}${e.typeOnly ? ' (import type)' : ''}`)
  }
  t.same([...extra].sort(), Object.keys(UNNAMED_MODULE_EXTRAS).sort())
  t.ok(scanImports(SRC).some((e) => e.from === 'audit' && e.to === 'fields'), 'the scan does see audit/ imports')
})

t.test('the engine knows no HTTP and no eBPF: rules/ imports no source, output, app or config, and no edge package', async (t) => {
  const fromRules = scanImports(SRC).filter((e) => e.from === 'rules' && e.to !== 'rules')
  t.same(fromRules.filter((e) => ['webhook', 'syscall', 'outputs', 'app', 'k8s', 'config', 'audit', 'fastify', 'pino', '@kubernetes/client-node'].includes(e.to)).map((e) => `${e.file}: ${e.spec}`), [])
  t.ok(fromRules.some((e) => e.to === 'fields'), 'the scan does see rules/ imports')
})

t.test('a tree with violations made on purpose fails the check, each named', async (t) => {
  t.same(violations(scanImports(FIXTURE), table), [
    'outputs → config (value import; only import type allowed)',
    'outputs → util: deep import (not through util/index.ts)',
    'rules → webhook'
  ])
})

t.test('the scanner: import type, export from, dynamic import(); comments and strings are not imports', async (t) => {
  const edges = scanImports(FIXTURE)
  const k8s = edges.filter((e) => e.from === 'k8s')
  t.same(k8s.map((e) => [e.to, e.typeOnly]), [['config', true], ['@kubernetes/client-node', false]])
  const webhook = edges.filter((e) => e.from === 'webhook')
  t.same(webhook.map((e) => [e.to, e.typeOnly]), [['fastify', false], ['config', true]])
  t.ok(scanImports(SRC).some((e) => e.spec === '@kubernetes/client-node' && e.file.startsWith('k8s/')), 'dynamic import() of client-node in k8s/ is seen')
})

t.test('src/ has no import cycle, file or module, apart from the listed ones', async (t) => {
  const found = cycles(scanImports(SRC))
  t.same(found.filter((c) => !(c in KNOWN_CYCLES)), [], 'no cycle outside the list')
  t.same(Object.keys(KNOWN_CYCLES).filter((c) => !found.includes(c)), [], 'every listed cycle still occurs (remove broken ones)')
})

t.test('a tree with cycles made on purpose fails the cycle check, each named', async (t) => {
  t.same(cycles(scanImports(CYCLES_FIXTURE)), [
    'file cycle: alpha/one.ts ↔ alpha/two.ts',
    'module cycle: alpha ↔ beta'
  ])
  t.same(cycles(scanImports(FIXTURE)), [], 'a tree that breaks the table without a loop has no cycle')
})
