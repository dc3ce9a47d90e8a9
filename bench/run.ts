// `npm run bench [name...]`: runs the benchmarks in bench/ one after another, each in its own
// process so one cannot warm or starve the next. Each prints its own table of figures and
// ratios against a floor measured in the same run; bench/README.md records them.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const all = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort()
const wanted = process.argv.slice(2)
const chosen = wanted.length === 0 ? all : all.filter((f) => wanted.some((w) => f.startsWith(w)))
if (chosen.length === 0) {
  process.stderr.write(`no benchmark matches ${wanted.join(', ')}; have: ${all.join(', ')}\n`)
  process.exit(2)
}
let failed = 0
for (const f of chosen) {
  process.stdout.write(`\n### ${f}\n`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${f}`], { stdio: 'inherit' })
  if (r.status !== 0) failed++
}
process.exitCode = failed === 0 ? 0 : 1
