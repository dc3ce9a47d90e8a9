// `npm run coverage`: the tap suite with V8's own coverage (NODE_V8_COVERAGE, inherited by every
// child: `lanner serve` processes, eval workers, CLI runs), then c8 maps it back to the .ts
// sources through the source maps tsx registered, and reports per-file line and branch figures
// (text table, coverage/coverage-summary.json, coverage/lcov.info) plus one line per area.
//
// Why not tap's own coverage: it is disabled in package.json (the ts-node plugin is off and tsx
// runs the TypeScript); and a source map whose sourcesContent is null makes c8 measure the
// generated (whitespace-minified, ~3 lines per file) JS instead of the source. Maps are repaired
// here from the files on disk before the report, so every figure is per source line.
//
// Usage: npm run coverage [-- test/some/dir/*.test.ts ...]  (default: every test)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
// tsx's own transpiler: what a .ts file becomes when it runs
import { transformSync } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
process.chdir(root)
const work = mkdtempSync(join(tmpdir(), 'lanner-coverage-'))
const raw = join(work, 'raw')
const tests = process.argv.slice(2)

if (!existsSync('node_modules/.lanner-tap-built')) {
  spawnSync('npx', ['tap', 'build'], { stdio: 'ignore' })
  writeFileSync('node_modules/.lanner-tap-built', '')
}
const run = spawnSync('npx', ['tap', ...(tests.length > 0 ? tests : ['test/**/*.test.ts'])], {
  stdio: 'inherit',
  env: { ...process.env, NODE_V8_COVERAGE: raw }
})

const repaired = repairSourceMaps(raw)
const c8 = spawnSync(process.execPath, [
  'node_modules/c8/bin/c8.js', 'report',
  '--temp-directory', raw,
  '--reports-dir', 'coverage',
  '--reporter', 'text', '--reporter', 'json-summary', '--reporter', 'lcovonly',
  '--include', 'src/**', '--exclude', 'src/**/*.d.ts',
  // types-only modules (record.ts…) compile to nothing and never load: no line or branch to count
  ...typeOnlySources('src').flatMap((f) => ['--exclude', f]),
  '--extension', '.ts',
  // files no test loaded count as 0 %, not as absent
  '--all', '--src', 'src'
], { stdio: 'inherit' })

if (c8.status === 0) printAreas(JSON.parse(readFileSync('coverage/coverage-summary.json', 'utf8')), repaired)
rmSync(work, { recursive: true, force: true })
process.exit(run.status ?? 1)

/** .ts files under `dir` whose transpiled JavaScript is empty (types and interfaces only). */
function typeOnlySources (dir) {
  const out = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...typeOnlySources(p))
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') &&
      transformSync(readFileSync(p, 'utf8'), { loader: 'ts', format: 'esm' }).code.trim() === '') out.push(relative(root, p))
  }
  return out
}

/** Fills null sourcesContent of our sources' maps from disk; returns how many were repaired. */
function repairSourceMaps (dir) {
  let n = 0
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    if (!f.endsWith('.json')) continue
    const path = join(dir, f)
    const data = JSON.parse(readFileSync(path, 'utf8'))
    let changed = false
    for (const [url, entry] of Object.entries(data['source-map-cache'] ?? {})) {
      const map = entry?.data
      if (!url.startsWith('file://') || !url.includes('/src/') || map == null || !Array.isArray(map.sources)) continue
      const contents = map.sources.map((s, i) => map.sourcesContent?.[i] ?? readSource(s, url))
      if (contents.some((c, i) => c !== map.sourcesContent?.[i])) {
        map.sourcesContent = contents
        changed = true
        n++
      }
    }
    if (changed) writeFileSync(path, JSON.stringify(data))
  }
  return n
}

function readSource (source, generatedUrl) {
  try {
    const p = source.startsWith('file://') ? fileURLToPath(source) : join(dirname(fileURLToPath(generatedUrl)), source)
    return readFileSync(p, 'utf8')
  } catch { return null }
}

/** Lines and branches per top-level directory of src/, the areas the issue targets first. */
function printAreas (summary, repaired) {
  const areas = new Map()
  for (const [file, s] of Object.entries(summary)) {
    if (file === 'total') continue
    const m = /\/src\/([^/]+)\//.exec(file)
    const area = m === null ? '(top)' : m[1]
    const a = areas.get(area) ?? { lines: { covered: 0, total: 0 }, branches: { covered: 0, total: 0 } }
    for (const k of ['lines', 'branches']) { a[k].covered += s[k].covered; a[k].total += s[k].total }
    areas.set(area, a)
  }
  const pct = (x) => x.total === 0 ? '100.00' : (100 * x.covered / x.total).toFixed(2)
  console.log('\nper area (src/<area>/**):  lines %   branches %')
  for (const [area, a] of [...areas].sort()) console.log(`  ${area.padEnd(22)} ${pct(a.lines).padStart(8)} ${pct(a.branches).padStart(11)}`)
  console.log(`  ${'total'.padEnd(22)} ${pct(summary.total.lines).padStart(8)} ${pct(summary.total.branches).padStart(11)}`)
  if (repaired > 0) console.log(`(${repaired} source maps had no sourcesContent and were filled from disk)`)
}
