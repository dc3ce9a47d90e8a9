// The Dockerfile cannot be built here (no docker), so its structure is checked: stages, what each
// copies (every source exists and is not excluded by .dockerignore), the non-root runtime user,
// the probe build through scripts/build-probe.sh, and the ports the server listens on.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULTS } from '../../src/config/defaults.ts'
import { REPO } from './render.ts'

interface Instr { op: string, args: string, line: number }
interface Stage { base: string, name: string, instrs: Instr[] }

/** Instructions with continuation lines joined; comments and blank lines dropped. */
function parseDockerfile (text: string): { preamble: Instr[], stages: Stage[] } {
  const instrs: Instr[] = []
  let buf = ''
  let start = 0
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (buf === '' && (line === '' || line.startsWith('#'))) return
    if (buf === '') start = i + 1
    if (line.startsWith('#')) return
    if (line.endsWith('\\')) { buf += line.slice(0, -1) + ' '; return }
    buf += line
    const m = /^(\S+)\s*(.*)$/s.exec(buf)
    if (m !== null) instrs.push({ op: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: start })
    buf = ''
  })
  const preamble: Instr[] = []
  const stages: Stage[] = []
  for (const ins of instrs) {
    if (ins.op === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)
      stages.push({ base: m?.[1] ?? '', name: m?.[2] ?? String(stages.length), instrs: [] })
    } else if (stages.length === 0) preamble.push(ins)
    else (stages.at(-1) as Stage).instrs.push(ins)
  }
  return { preamble, stages }
}

/** COPY/ADD: flags, sources, destination (shell form and JSON form). */
function copyParts (args: string): { from?: string, sources: string[], dest: string } {
  const words = args.startsWith('[') ? JSON.parse(args) as string[] : args.split(/\s+/)
  let from: string | undefined
  const rest: string[] = []
  for (const w of words) {
    if (w.startsWith('--from=')) from = w.slice(7)
    else if (!w.startsWith('--')) rest.push(w)
  }
  return { from, sources: rest.slice(0, -1), dest: rest.at(-1) ?? '' }
}

/** Minimal .dockerignore matching: exact names, leading-dir prefixes and `*.ext`. */
function ignored (patterns: string[], path: string): boolean {
  const p = path.replace(/^\.\//, '').replace(/\/$/, '')
  return patterns.some((pat) => {
    if (pat.startsWith('*.')) return p.endsWith(pat.slice(1))
    return p === pat || p.startsWith(pat + '/')
  })
}

const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8')
const { preamble, stages } = parseDockerfile(text)
const dockerignore = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
const args = new Map(preamble.filter((i) => i.op === 'ARG').map((i) => i.args.split('=') as [string, string]))
const resolveBase = (b: string): string => b.replace(/^\$\{(\w+)\}$/, (_, n: string) => args.get(n) ?? b)

t.test('three stages: TypeScript build, eBPF probe build, runtime', async (t) => {
  t.same(stages.map((s) => s.name), ['build', 'probe', 'runtime'])
  const runtime = stages[2] as Stage
  t.match(resolveBase(runtime.base), /^node:\d+-bookworm-slim$/, 'a slim Node image at runtime')
  t.match(resolveBase((stages[1] as Stage).base), /^debian:bookworm/, 'probe built with Debian packages')
  t.equal(resolveBase(runtime.base), resolveBase((stages[0] as Stage).base), 'node_modules built on the runtime Node version')
})

t.test('the image runs a Node.js LTS in support, one package.json engines admits', async (t) => {
  const major = Number(/^node:(\d+)-/.exec(resolveBase((stages[2] as Stage).base))?.[1])
  // LTS lines with security support in 2026: 22 (maintenance until 2027-04), 24 (until 2028-04); 20 ended 2026-04
  t.ok([22, 24].includes(major), `node ${major} is an LTS in support`)
  const engines = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node
  const min = Number(/^>=(\d+)/.exec(engines)?.[1])
  t.ok(min >= 22 && major >= min, `engines.node ${engines} admits the image's ${major} and no end-of-life line`)
})

t.test('every COPY source exists in the build context, and --from names an earlier stage', async (t) => {
  let copies = 0
  stages.forEach((stage, si) => {
    for (const ins of stage.instrs.filter((i) => i.op === 'COPY' || i.op === 'ADD')) {
      copies++
      const { from, sources } = copyParts(ins.args)
      if (from !== undefined) {
        t.ok(stages.slice(0, si).some((s) => s.name === from), `line ${ins.line}: --from=${from} is an earlier stage`)
        continue
      }
      for (const src of sources) {
        t.ok(existsSync(join(REPO, src)), `line ${ins.line}: ${src} exists`)
        t.notOk(ignored(dockerignore, src), `line ${ins.line}: ${src} is not excluded by .dockerignore`)
      }
    }
  })
  t.ok(copies >= 8)
})

t.test('the build stage compiles TypeScript with the package scripts and keeps production deps only', async (t) => {
  const runs = (stages[0] as Stage).instrs.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n')
  t.match(runs, /npm ci\b/)
  t.match(runs, /npm run build\b/)
  t.match(runs, /npm prune --omit=dev/)
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'))
  t.ok(pkg.scripts.build, 'package.json has the build script')
  t.ok(existsSync(join(REPO, 'tsconfig.build.json')))
})

t.test('the probe stage builds with scripts/build-probe.sh from Debian packages', async (t) => {
  const probe = stages[1] as Stage
  const runs = probe.instrs.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n')
  for (const pkg of ['clang', 'libbpf-dev', 'bpftool', 'libelf-dev', 'make', 'pkg-config']) t.match(runs, new RegExp(`\\b${pkg}\\b`), `installs ${pkg}`)
  t.match(runs, /scripts\/build-probe\.sh/)
  t.ok(probe.instrs.some((i) => i.op === 'COPY' && i.args.includes('scripts/build-probe.sh')), 'copies the build script')
  // every tool the script checks for, from a package the stage installs (cc is gcc's)
  const script = readFileSync(join(REPO, 'scripts/build-probe.sh'), 'utf8')
  const tools = /for tool in ([^;]+);/.exec(script)?.[1]?.trim().split(/\s+/) ?? []
  t.ok(tools.length >= 4, `the script's tools: ${tools.join(' ')}`)
  for (const tool of tools) t.match(runs, new RegExp(`\\b${tool === 'cc' ? 'gcc' : tool}\\b`), `the stage has ${tool}`)
  // and the sources the Makefile builds from
  const copied = probe.instrs.filter((i) => i.op === 'COPY').flatMap((i) => copyParts(i.args).sources)
  for (const dir of ['src/syscall/bpf', 'src/syscall/helper']) t.ok(copied.some((c) => c.replace(/\/$/, '') === dir), `copies ${dir}`)
  const runtime = stages[2] as Stage
  const helperCopy = runtime.instrs.find((i) => i.op === 'COPY' && i.args.includes('--from=probe'))
  t.ok(helperCopy, 'the runtime takes the built helper')
  const env = runtime.instrs.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ')
  t.match(env, new RegExp(`LANNER_PROBE_HELPER=${copyParts(helperCopy?.args ?? '').dest.replace('./', '/app/')}`), 'and tells the loader where it is')
})

t.test('runtime: libbpf/libelf only, a non-root user, the server ports, the CLI entry point', async (t) => {
  const runtime = stages[2] as Stage
  const runs = runtime.instrs.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n')
  t.match(runs, /\blibbpf1\b/)
  t.match(runs, /\blibelf1\b/)
  t.notMatch(runs, /\b(clang|gcc|make|libbpf-dev)\b/, 'no build tools in the runtime image')
  const users = runtime.instrs.filter((i) => i.op === 'USER')
  t.equal(users.length, 1)
  const user = users[0]?.args ?? ''
  t.notMatch(user, /^(0|root)(:|$)/, 'not root')
  const lastRun = runtime.instrs.map((i) => i.op).lastIndexOf('RUN')
  t.ok(runtime.instrs.indexOf(users[0] as Instr) > lastRun, 'USER comes after every RUN')
  t.match(runs, new RegExp(`useradd[^\\n]*--uid ${user.split(':')[0]}`), 'the uid exists in the image')
  const exposed = runtime.instrs.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map(Number).sort()
  t.same(exposed, [DEFAULTS.adminPort, DEFAULTS.webhookPort].sort())
  const entry = JSON.parse(runtime.instrs.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]') as string[]
  t.same(entry.slice(0, 2), ['node', '/app/bin/lanner.js'])
  t.ok(runtime.instrs.some((i) => i.op === 'COPY' && /^bin\s/.test(i.args)), 'bin/ is copied')
  t.ok(runtime.instrs.some((i) => i.op === 'COPY' && /^rules\s/.test(i.args)), 'the default rules are in the image')
  t.same(JSON.parse(runtime.instrs.find((i) => i.op === 'CMD')?.args ?? '[]'), ['serve'])
})
