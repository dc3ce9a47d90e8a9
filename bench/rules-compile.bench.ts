// Load time of a large generated rules file (read + collect + compile lists/macros/rules +
// outputs) against plain YAML parsing of the same text, measured in the same run.
// Run: node --import tsx bench/rules-compile.bench.ts  (bounded: a few iterations, ~1-2 s)
import { LineCounter, parseAllDocuments } from 'yaml'
import { createFieldTable, type FieldDef } from '../src/fields/index.ts'
import { loadRules } from '../src/rules/index.ts'

interface Ev { [k: string]: string }
const FIELDS = ['evt.type', 'proc.name', 'proc.pname', 'proc.cmdline', 'fd.name', 'user.name', 'container.id', 'k8s.ns.name']
const defs: FieldDef<Ev>[] = FIELDS.map((name) => ({ name, type: 'string', desc: name, bind: () => (ev: Ev) => ev[name] }))
const source = { name: 'syscall', fields: createFieldTable('syscall', defs, { eventTypes: new Set(['open', 'openat', 'execve', 'connect']) }), time: () => 0n, eventType: (ev: Ev) => ev['evt.type'] ?? '' }

function generate (lists: number, macros: number, rules: number): string {
  const out: string[] = []
  for (let i = 0; i < lists; i++) out.push(`- list: list_${i}\n  items: [${Array.from({ length: 12 }, (_, j) => `item_${i}_${j}`).join(', ')}]\n`)
  for (let i = 0; i < macros; i++) {
    const ref = i > 0 ? ` or macro_${i - 1}` : ''
    out.push(`- macro: macro_${i}\n  condition: >\n    (proc.name in (list_${i % lists}, extra) and\n     fd.name startswith /etc/${i})${ref}\n`)
  }
  for (let i = 0; i < rules; i++) {
    out.push(`- rule: Rule ${i}\n  desc: generated rule ${i}\n  condition: >\n    evt.type in (open, openat) and macro_${i % macros} and\n    not proc.pname in (list_${(i + 1) % lists}) and user.name != root\n` +
      `  output: "rule ${i} (user=%user.name cmd=%proc.cmdline file=%fd.name container=%container.id ns=%k8s.ns.name)"\n  priority: WARNING\n` +
      `  tags: [t${i % 7}, generated]\n  exceptions:\n    - name: known\n      fields: [proc.name, fd.name]\n      comps: [=, startswith]\n      values: [[cron, /var/log], [apt, /var/lib/apt]]\n`)
  }
  return out.join('')
}

function time (fn: () => void, iterations: number): number {
  fn() // warm-up
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) fn()
  return Number(process.hrtime.bigint() - start) / 1e6 / iterations
}

const text = generate(60, 40, 400)
const iterations = 5
const yamlMs = time(() => { parseAllDocuments(text, { lineCounter: new LineCounter() }) }, iterations)
let ok = true
const loadMs = time(() => { ok = loadRules([{ name: 'gen.yaml', content: text }], { sources: [source] }).ok }, iterations)
if (!ok) throw new Error('generated rules failed to load')
console.log(`rules file: ${(text.length / 1024).toFixed(0)} KiB, 60 lists, 40 macros, 400 rules`)
console.log(`yaml parse only   ${yamlMs.toFixed(1)} ms`)
console.log(`loadRules (full)  ${loadMs.toFixed(1)} ms  (${(loadMs / yamlMs).toFixed(2)}x yaml parse)`)
