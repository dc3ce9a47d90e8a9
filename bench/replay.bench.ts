// Audit replay throughput on one core: Falco's sample traces repeated in memory to ~50k events,
// through (a) plain JSON.parse, (b) decodeAuditPayload, (c) decode + Lanner's default rules,
// (d) decode + upstream k8s_audit_rules.yaml, (e) replayAudit from a file (default rules), all
// measured in the same run; then the per-event path of the webhook handler before and after the
// event pump (src/app/event-pump.ts), alternated over the same decoded events.
// Run: node --import tsx bench/replay.bench.ts
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeAuditPayload, evaluateAuditEvent, newTally, type AuditEvent, type TruncationTally } from '../src/audit/index.ts'
import { createAuditPump } from '../src/app/audit-mode/audit-handler.ts'
import type { PumpBatch } from '../src/app/event-pump.ts'
import { replayAudit } from '../src/app/replay/replay-audit.ts'
import { k8sAuditSource } from '../src/audit/fields/index.ts'
import { loadRules, readRulesPaths, type Ruleset } from '../src/rules/index.ts'

const REPO = fileURLToPath(new URL('../', import.meta.url))
const REFERENCE = resolve(REPO, '../shared/reference')
const CASES = join(REFERENCE, 'cases')
const TARGET_EVENTS = 50_000
const OPTS = { maxEventBytes: 262144 }

function sampleLines (): string[] {
  const lines: string[] = []
  for (const f of readdirSync(CASES).filter((n) => n.endsWith('.json') && n !== 'cases.json').sort()) {
    for (const line of readFileSync(join(CASES, f), 'utf8').split('\n')) {
      if (decodeAuditPayload(line, OPTS).events.length === 1) lines.push(line)
    }
  }
  if (lines.length === 0) throw new Error(`no sample events under ${CASES}`)
  const out: string[] = []
  while (out.length < TARGET_EVENTS) out.push(...lines)
  return out.slice(0, TARGET_EVENTS)
}

async function ruleset (path: string): Promise<Ruleset> {
  const res = loadRules(await readRulesPaths([path]), { sources: [k8sAuditSource] })
  if (res.ruleset === undefined) throw new Error(`${path}: ${JSON.stringify(res.errors)}`)
  return res.ruleset
}

function time (fn: () => number): { secs: number, alerts: number } {
  const start = process.hrtime.bigint()
  const alerts = fn()
  return { secs: Number(process.hrtime.bigint() - start) / 1e9, alerts }
}

function noop (): void {}

const lines = sampleLines()
const lanner = await ruleset(join(REPO, 'rules/k8s_audit_rules.yaml'))
const upstream = await ruleset(join(REFERENCE, 'k8saudit/k8s_audit_rules.yaml'))

function evaluateAll (rs: Ruleset): number {
  let alerts = 0
  for (const line of lines) {
    for (const ev of decodeAuditPayload(line, OPTS).events) alerts += rs.evaluate('k8s_audit', ev, noop)
  }
  return alerts
}

// one warm-up pass each so that every measurement runs optimised code
evaluateAll(lanner)
evaluateAll(upstream)

const rows: Array<[string, { secs: number, alerts: number }]> = [
  ['JSON.parse only', time(() => { let n = 0; for (const l of lines) n += (JSON.parse(l) as object) === null ? 1 : 0; return n })],
  ['decodeAuditPayload', time(() => { let n = 0; for (const l of lines) n += decodeAuditPayload(l, OPTS).events.length; return n - lines.length })],
  ['decode + Lanner default rules', time(() => evaluateAll(lanner))],
  ['decode + upstream k8s_audit_rules', time(() => evaluateAll(upstream))]
]

const dir = mkdtempSync(join(tmpdir(), 'lanner-replay-bench-'))
try {
  const file = join(dir, 'audit.log')
  writeFileSync(file, lines.join('\n') + '\n')
  const start = process.hrtime.bigint()
  const summary = await replayAudit({ paths: [file], ruleset: lanner, emit: noop, maxEventBytes: OPTS.maxEventBytes })
  rows.push(['replayAudit(file) + Lanner default', { secs: Number(process.hrtime.bigint() - start) / 1e9, alerts: summary.alerts }])
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const base = lines.length / (rows[0]?.[1].secs ?? 1)
console.log(`events: ${lines.length} (Falco sample traces repeated), one core`)
console.log('case'.padEnd(38) + 'events/s'.padStart(12) + '  vs JSON.parse' + '  alerts'.padStart(10))
for (const [name, r] of rows) {
  const rate = lines.length / r.secs
  console.log(name.padEnd(38) + Math.round(rate).toLocaleString('en').padStart(12) + `  ${(rate / base).toFixed(2)}x`.padStart(14) + String(r.alerts).padStart(10))
}

// The per-event path alone (decoding done once, beforehand), as the webhook handler ran it before
// the pump (evaluateAuditEvent in its own loop) and through the pump (begin once, feed per event).
// Alternated, nine rounds each, the fastest of each kept: other work on the shared CPUs otherwise
// decides which one looks slow.
const decoded: AuditEvent[] = []
for (const line of lines) decoded.push(...decodeAuditPayload(line, OPTS).events)
function inlineLoop (): number {
  const tally = newTally()
  let alerts = 0
  for (let i = 0; i < decoded.length; i++) alerts += evaluateAuditEvent(lanner, decoded[i] as AuditEvent, noop, tally)
  return alerts
}
const pump = createAuditPump({ rules: { current: () => lanner }, emit: noop })
function throughPump (): number {
  const batch = pump.begin() as PumpBatch<TruncationTally>
  for (let i = 0; i < decoded.length; i++) pump.feed(batch, decoded[i] as AuditEvent)
  pump.end(batch)
  return batch.alerts
}
/** process CPU seconds of fn: on a shared machine wall time mostly measures who else was running */
function cpuTime (fn: () => number): { secs: number, alerts: number } {
  const start = process.cpuUsage()
  const alerts = fn()
  const used = process.cpuUsage(start)
  return { secs: (used.user + used.system) / 1e6, alerts }
}
let before = Infinity
let after = Infinity
let alertsBefore = 0
let alertsAfter = 0
for (let round = 0; round < 9; round++) {
  const a = cpuTime(inlineLoop)
  const b = cpuTime(throughPump)
  before = Math.min(before, a.secs)
  after = Math.min(after, b.secs)
  alertsBefore = a.alerts
  alertsAfter = b.alerts
}
console.log(`\nper-event path over ${decoded.length} decoded events, Lanner default rules, per CPU second (fastest of 9 alternated rounds):`)
console.log('evaluateAuditEvent loop (before the pump)'.padEnd(44) + Math.round(decoded.length / before).toLocaleString('en').padStart(12) + ' events/s' + String(alertsBefore).padStart(8) + ' alerts')
console.log('EventPump.feed (after)'.padEnd(44) + Math.round(decoded.length / after).toLocaleString('en').padStart(12) + ' events/s' + String(alertsAfter).padStart(8) + ' alerts' + `  ratio ${(before / after).toFixed(3)}`)
