// Compiled-condition throughput against equivalent hand-written JS, measured in the same run.
// Run: node --import tsx bench/rules-eval.bench.ts  (bounded: about 0.3 s per measurement)
import { createFieldTable, type FieldDef } from '../src/fields/index.ts'
import { parseCondition } from '../src/rules/lang/index.ts'
import { compileCondition } from '../src/rules/compile/index.ts'

interface Ev { type: string, name: string, pname: string, path: string, uid: number, args: string }

const defs: FieldDef<Ev>[] = [
  { name: 'evt.type', type: 'string', desc: '', bind: () => (ev) => ev.type },
  { name: 'proc.name', type: 'string', desc: '', bind: () => (ev) => ev.name },
  { name: 'proc.pname', type: 'string', desc: '', bind: () => (ev) => ev.pname },
  { name: 'fd.name', type: 'string', desc: '', bind: () => (ev) => ev.path },
  { name: 'user.uid', type: 'int', desc: '', bind: () => (ev) => ev.uid },
  { name: 'proc.args', type: 'string', desc: '', bind: () => (ev) => ev.args }
]
const table = createFieldTable('bench', defs)

const cases: Array<{ name: string, cond: string, hand: (ev: Ev) => boolean }> = [
  {
    name: 'shell spawned in sensitive dir',
    cond: 'evt.type in (execve, execveat) and proc.name in (bash, sh, zsh, dash, ksh) and not proc.pname in (sshd, login) and (fd.name startswith /etc/ or fd.name pmatch (/root, /var/lib/kubelet)) and user.uid != 0',
    hand: (ev) => (ev.type === 'execve' || ev.type === 'execveat') &&
      (ev.name === 'bash' || ev.name === 'sh' || ev.name === 'zsh' || ev.name === 'dash' || ev.name === 'ksh') &&
      !(ev.pname === 'sshd' || ev.pname === 'login') &&
      (ev.path.startsWith('/etc/') || ev.path === '/root' || ev.path.startsWith('/root/') || ev.path.startsWith('/var/lib/kubelet')) &&
      ev.uid !== 0
  },
  {
    name: 'icontains + glob + regex',
    cond: 'proc.args icontains "--PRIVILEGED" or fd.name glob "/proc/*/mem" or proc.name regex "nc(at)?"',
    hand: (ev) => ev.args.toLowerCase().includes('--privileged') || /^\/proc\/.*\/mem$/.test(ev.path) || /^nc(at)?$/.test(ev.name)
  }
]

const events: Ev[] = []
const names = ['bash', 'nginx', 'sh', 'python3', 'ncat', 'zsh']
for (let i = 0; i < 1024; i++) {
  events.push({
    type: i % 3 === 0 ? 'execve' : 'open',
    name: names[i % names.length] as string,
    pname: i % 5 === 0 ? 'sshd' : 'containerd-shim',
    path: i % 4 === 0 ? '/etc/shadow' : `/proc/${i}/mem`,
    uid: i % 2,
    args: i % 7 === 0 ? 'run --Privileged x' : 'serve --port 80'
  })
}

function measure (fn: (ev: Ev) => boolean): number {
  let hits = 0
  let n = 0
  const start = process.hrtime.bigint()
  const budget = 300_000_000n
  while (process.hrtime.bigint() - start < budget) {
    for (let i = 0; i < events.length; i++) if (fn(events[i] as Ev)) hits++
    n += events.length
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  if (hits < 0) console.log(hits) // keep the loop observable
  return n / secs
}

for (const c of cases) {
  const compiled = compileCondition(parseCondition(c.cond), table)
  for (const ev of events) {
    if (compiled(ev) !== c.hand(ev)) throw new Error(`${c.name}: compiled and hand-written disagree on ${JSON.stringify(ev)}`)
  }
  measure(compiled)
  measure(c.hand) // warm-up both
  const a = measure(compiled)
  const b = measure(c.hand)
  console.log(`${c.name}: compiled ${(a / 1e6).toFixed(2)} M ev/s, hand-written ${(b / 1e6).toFixed(2)} M ev/s (ratio ${(a / b).toFixed(2)})`)
}
