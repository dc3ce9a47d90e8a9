// Fuzzing the rules loader (not part of npm test): ≥ 10,000 rules files mutated from Falco's
// upstream rules (../shared/reference/falco-rules, read at run time) and Lanner's own rules/,
// loaded with both sources. Held: loadRules never throws (problems are issues with a code and the
// file), a ruleset that loads evaluates hostile events without throwing, and no load takes
// pathological time. Prints the figures docs/reliability.md records.
// Run: npm run bench fuzz-rules [files, default 10000] [seed]
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { AuditEvent } from '../src/audit/index.ts'
import { k8sAuditSource } from '../src/audit/fields/index.ts'
import { syscallSource } from '../src/syscall/fields/index.ts'
import { loadRules } from '../src/rules/index.ts'
import { mutateLines, seededRandom, type SeededRandom } from '../test/helpers/fuzz.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const UPSTREAM = path.join(ROOT, '..', 'shared', 'reference', 'falco-rules')
const COUNT = Number(process.argv[2] ?? 10_000)
const SEED = Number(process.argv[3] ?? 15)

function seeds (): Array<{ name: string, text: string }> {
  const files = [
    ...readdirSync(UPSTREAM).filter((f) => f.endsWith('.yaml')).map((f) => path.join(UPSTREAM, f)),
    ...readdirSync(path.join(ROOT, 'rules')).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ROOT, 'rules', f))
  ].sort()
  if (files.length < 3) throw new Error(`expected the upstream rules under ${UPSTREAM}`)
  return files.map((f) => ({ name: path.basename(f), text: readFileSync(f, 'utf8') }))
}

/** A file's top-level items (`- rule:`, `- macro:`, `- list:`, `- required_engine_version:` …) as text blocks. */
function itemsOf (text: string): string[] {
  const blocks: string[] = []
  let cur: string[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith('- ') && cur.length > 0) { blocks.push(cur.join('\n')); cur = [] }
    cur.push(line)
  }
  if (cur.length > 0) blocks.push(cur.join('\n'))
  return blocks
}

const SNIPPETS = [
  '&a ', '*a', '<<: *a', '!!binary aGk=', '!!str ', '!tag ', '? [k]\n  : v', '123', '-1e309', '.inf', 'null', '~', 'yes',
  '[', ']', '{', '}', '- ', ': ', '\t', '\n', '#', '|', '>', '---\n', '...\n', '\ufeff', '\u0000', '\ud800',
  '(', ')', '"', "'", '\\', '\\x4', ',', '=', '!=', ' and ', ' or ', 'not ', 'not(', ' in (', ' pmatch (', ' exists',
  ' regex "(', ' regex "(a+)+b"', ' glob "[', ' bcontains 4', 'val(', 'tolower(', 'len(', '[0]', '[-1]', '[99999999999999999999]',
  '%', '%5', '%proc.name', '%(', '%%', 'oneof (', '((((((((((', '))))))))))', 'evt.type=open', 'ka.verb', 'override:', 'append: true',
  'enabled: false', 'priority: EMERGENCY', 'source: k8s_audit', 'source: nosuch', 'exceptions:', 'tags: [', 'items: [', 'condition: ', 'output: '
]
const VALUES = ['[]', '[[]]', '[[], []]', '{}', '~', '""', "' '", '123', '1.5', 'true', '*a', '&a x', '[*a]', '!!binary aGk=', '[a, [b, [c]]]', '{a: 1}', '"%"', '"(("', 'replace', 'append']

function mutate (r: SeededRandom, text: string, edits: number): string {
  return mutateLines(r, text, edits, { snippets: SNIPPETS, values: VALUES, reindent: true })
}

const hostileEvents = [
  {}, { verb: 5, user: null, objectRef: 'x', requestObject: [1, { spec: null }] },
  { verb: 'create', objectRef: { resource: 'pods', namespace: {} }, requestObject: { spec: { containers: 'nginx' } } },
  { verb: 'create', objectRef: { resource: 'pods' }, requestObject: { spec: { containers: [null, 5, { image: 7, securityContext: 'x' }], volumes: {} } } },
  { user: { username: ['a'], groups: 'g' }, sourceIPs: 'x', responseStatus: { code: 'no' }, requestURI: 42, annotations: [] }
].map((o) => new AuditEvent(o, 1n))

function main (): void {
  const r = seededRandom(SEED)
  const all = seeds()
  const perSeed = all.map((s) => {
    const items = itemsOf(s.text)
    // lists and macros the window's rules refer to, kept whole (unmutated) half of the time
    const defs = items.filter((b) => /^- (list|macro|required_engine_version):/.test(b)).join('\n')
    return { name: s.name, items, text: s.text, defs }
  })
  let loaded = 0
  let refused = 0
  let thrown = 0
  let evalThrown = 0
  let whole = 0
  let worstMs = 0
  let worstName = ''
  const codes = new Map<string, number>()
  const started = performance.now()
  for (let i = 0; i < COUNT; i++) {
    const seed = r.pick(perSeed)
    // 1 in 50 is a whole file; the others a window of 1–24 consecutive items, half of them
    // after the seed's lists and macros, so the window's references mostly resolve
    let text: string
    if (i % 50 === 0) { text = seed.text; whole++ } else {
      const from = r.int(seed.items.length)
      text = mutate(r, seed.items.slice(from, from + 1 + r.int(24)).join('\n'), 1 + r.int(4))
      if (r.next() < 0.5) text = seed.defs + '\n' + text
    }
    if (i % 50 === 0) text = mutate(r, text, 1 + r.int(4))
    const name = `fuzz-${i}-${seed.name}`
    const t0 = performance.now()
    let res
    try {
      res = loadRules([{ name, content: text }], { sources: [k8sAuditSource, syscallSource] })
    } catch (err) {
      thrown++
      process.stdout.write(`loadRules THREW on ${name}: ${(err as Error).stack ?? String(err)}\n`)
      continue
    }
    const ms = performance.now() - t0
    if (ms > worstMs) { worstMs = ms; worstName = `${name} (${text.length} bytes)` }
    if (res.ok) {
      loaded++
      for (const ev of hostileEvents) {
        try { res.ruleset?.evaluate('k8s_audit', ev, () => {}) } catch (err) { evalThrown++; process.stdout.write(`evaluate THREW on ${name}: ${String(err)}\n`) }
      }
    } else {
      refused++
      for (const e of res.errors) {
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1)
        if (typeof e.code !== 'string' || e.location?.file !== name) { thrown++; process.stdout.write(`error without code/file on ${name}: ${JSON.stringify(e).slice(0, 300)}\n`) }
      }
    }
  }
  const seconds = (performance.now() - started) / 1000
  const top = [...codes].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([c, n]) => `${c} ${n}`).join(', ')
  process.stdout.write([
    `rules files: ${COUNT} (seed ${SEED}, ${whole} whole files, seeds: ${all.map((s) => s.name).join(', ')}) in ${seconds.toFixed(1)} s`,
    `loaded: ${loaded}, refused with located errors: ${refused}`,
    `exceptions out of loadRules: ${thrown}, out of evaluate: ${evalThrown}`,
    `slowest load: ${worstMs.toFixed(0)} ms (${worstName})`,
    `most frequent error codes: ${top}`
  ].join('\n') + '\n')
  process.exitCode = thrown + evalThrown === 0 ? 0 : 1
}

main()
