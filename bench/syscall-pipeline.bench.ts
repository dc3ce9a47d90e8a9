// The whole syscall-mode pipeline under a syscall storm, measured in one run: probe → helper →
// decode → createEnricher → the default syscall rules (what src/app/syscall-mode/syscall-mode.ts runs), live at
// offered rates and flat out against the storm through decode alone (the floor), then the same
// captured helper bytes through decode alone and through the pipeline on one core (the ceiling).
// A process spawning short children with stdio pipes runs alongside, as on a real node. The
// one-core passes also compare the record path before the event pump (the loop syscall-mode.ts
// ran: try { evaluate(enrich(record)) } per record, counts per batch) with syscall mode's record
// handler now (src/app/syscall-mode/syscall-records.ts over src/app/event-pump.ts), alternated on the same bytes.
// Needs root and the probe's build tools; about 25 s.
// Run: node --import tsx bench/syscall-pipeline.bench.ts [seconds per phase, default 2.5]
import { spawn, type ChildProcess } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { Alert } from '../src/events/index.ts'
import { syscallSource } from '../src/syscall/fields/index.ts'
import { createMetrics } from '../src/app/metrics/metrics.ts'
import { SyscallReadiness } from '../src/app/syscall-mode/syscall-readiness.ts'
import { createSyscallRecordHandler } from '../src/app/syscall-mode/syscall-records.ts'
import { loadRules, readRulesPaths, type Ruleset } from '../src/rules/index.ts'
import { helperPath, probeUnsupportedReason } from '../src/syscall/build.ts'
import { compileC } from './compile-c.ts'
import { StreamDecoder } from '../src/syscall/decode.ts'
import { createEnricher, type Enricher } from '../src/syscall/enrich.ts'
import { startProbe } from '../src/syscall/loader.ts'
import { probeKindsFor } from '../src/syscall/probe-kinds.ts'
import type { ProbeStats, SyscallRecord } from '../src/syscall/record.ts'

const SECONDS = Number(process.argv[2] ?? 2.5)
const RULES = fileURLToPath(new URL('../rules/syscall_rules.yaml', import.meta.url))
/** raw helper output kept for the one-core passes (the rest of a flat-out capture is read and dropped) */
const CAPTURE_MAX_BYTES = 96 << 20
/** offered storm rates (ops/s, an op being about two recorded syscalls); 0 = flat out */
const RATES = [25_000, 50_000, 100_000, 0]

// One op is openat+close of /etc/hostname; every 16th op is instead a TCP connect to a loopback
// listener of the storm itself (socket, connect, accept, close, close); every 1024th also reads
// /etc/shadow (the "Read of a credentials file" rule fires); every 8192nd forks and execs /bin/true.
const STORM_C = `
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  double secs = atof(argv[1]), rate = atof(argv[2]), start = now(), end = start + secs;
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t alen = sizeof a;
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 64) || getsockname(lfd, (struct sockaddr *)&a, &alen)) { perror("listener"); return 1; }
  unsigned long n = 0, execs = 0;
  for (;;) {
    for (int i = 0; i < 256; i++, n++) {
      if (n % 16 == 15) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof a) == 0) { int s = accept(lfd, NULL, NULL); if (s >= 0) close(s); }
        if (c >= 0) close(c);
        continue;
      }
      int fd = open("/etc/hostname", O_RDONLY); if (fd >= 0) close(fd);
      if (n % 1024 == 1) { fd = open("/etc/shadow", O_RDONLY); if (fd >= 0) close(fd); }
      if (n % 8192 == 2) { pid_t p = fork(); if (p == 0) { execl("/bin/true", "true", (char *)0); _exit(127); } if (p > 0) { waitpid(p, NULL, 0); execs++; } }
    }
    double t = now();
    if (t >= end) break;
    if (rate > 0) {
      double due = start + n / rate;
      if (due > t) { struct timespec d = { (time_t)(due - t), (long)(((due - t) - (time_t)(due - t)) * 1e9) }; nanosleep(&d, NULL); }
    }
  }
  printf("%lu %lu %.6f\\n", n, execs, now() - start);
  return 0;
}
`

// Alongside the storm, a process that keeps spawning short children with stdio pipes, as kubelet
// and container runtimes do: its pipes and socketpairs are fds the tables never saw created (the
// probe does not record pipe/socketpair), the case where the enricher once read /proc per close.
const CHURN_JS = `
const { spawn } = require('node:child_process')
const end = Date.now() + Number(process.env.CHURN_SECONDS) * 1000
function one () {
  if (Date.now() > end) return
  spawn('/bin/true', [], { stdio: 'pipe' }).on('close', function next () { setTimeout(one, 20) })
}
one(); one()
`

function startChurn (seconds: number): ChildProcess {
  return spawn(process.execPath, ['-e', CHURN_JS], { stdio: 'ignore', env: { ...process.env, CHURN_SECONDS: String(seconds) } })
}


interface StormResult { pid: number, ops: number, execs: number, seconds: number }

function runStorm (bin: string, rate: number, started: (pid: number) => void): Promise<StormResult> {
  return new Promise(function run (ok, fail) {
    const child = spawn(bin, [String(SECONDS), String(rate)], { stdio: ['ignore', 'pipe', 'inherit'] })
    started(child.pid ?? -1)
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', function collect (s: string) { out += s })
    child.on('error', fail)
    child.on('close', function done () {
      const [ops, execs, secs] = out.trim().split(' ').map(Number)
      ok({ pid: child.pid!, ops: ops ?? 0, execs: execs ?? 0, seconds: secs ?? SECONDS })
    })
  })
}

async function loadDefaultRules (): Promise<Ruleset> {
  const res = loadRules(await readRulesPaths([RULES]), { sources: [syscallSource] })
  if (res.ruleset === undefined) throw new Error(`${RULES}: ${JSON.stringify(res.errors)}`)
  return res.ruleset
}

/**
 * The helper's raw output for one flat-out storm, collected untouched (no decoding) so that the
 * same bytes can then go through decode alone and through the whole pipeline on one core.
 */
function captureStream (storm: string, args: string[]): Promise<Buffer[]> {
  return new Promise(function capture (ok, fail) {
    const helper = spawn(helperPath(), args, { stdio: ['pipe', 'pipe', 'pipe'] })
    const chunks: Buffer[] = []
    let bytes = 0
    let stderr = ''
    let stormStarted = false
    helper.stderr.setEncoding('utf8')
    helper.stderr.on('data', function keep (t: string) { stderr = (stderr + t).slice(-2000) })
    helper.on('error', fail)
    helper.on('close', function closed (code, signal) {
      if (!stormStarted) fail(new Error(`probe helper exited (${signal ?? code}) before attaching: ${stderr.trim()}`))
      else ok(chunks)
    })
    helper.stdout.on('data', function collect (chunk: Buffer) {
      if (bytes < CAPTURE_MAX_BYTES) { chunks.push(chunk); bytes += chunk.length }
      if (stormStarted) return
      stormStarted = true // the HELLO frame: the probe is attached
      runStorm(storm, 0, function started () {}).then(async function stop () {
        await sleep(300)
        helper.kill('SIGTERM')
      }, function stormFailed (err: unknown) {
        helper.kill('SIGTERM')
        fail(err)
      })
    })
  })
}

interface OneCore { records: number, seconds: number, alerts: number }

function decodeAlone (chunks: Buffer[]): OneCore {
  const d = new StreamDecoder()
  let records = 0
  const start = process.hrtime.bigint()
  for (const c of chunks) records += d.push(c).records.length
  return { records, seconds: Number(process.hrtime.bigint() - start) / 1e9, alerts: 0 }
}

function wholePipeline (chunks: Buffer[], enricher: Enricher, rules: Ruleset): OneCore {
  const d = new StreamDecoder()
  let records = 0
  let alerts = 0
  function count (): void { alerts++ }
  const start = process.hrtime.bigint()
  for (const c of chunks) {
    const out = d.push(c)
    records += out.records.length
    for (const rec of out.records) rules.evaluate('syscall', enricher.enrich(rec), count)
  }
  return { records, seconds: Number(process.hrtime.bigint() - start) / 1e9, alerts }
}

/**
 * The record path as syscall-mode.ts ran it before the event pump (its time: process CPU): counts per batch, the ruleset
 * taken once, try { evaluate(enrich(record)) } per record.
 */
function recordLoopBefore (chunks: Buffer[], rules: Ruleset): OneCore {
  const d = new StreamDecoder()
  const enricher = createEnricher()
  const metrics = createMetrics({ defaultMetrics: false })
  let records = 0
  let alerts = 0
  function count (): void { alerts++ }
  const start = process.cpuUsage()
  for (const c of chunks) {
    const batch = d.push(c).records
    records += batch.length
    const started = process.hrtime.bigint()
    metrics.eventsReceived('syscall', batch.length)
    let done = 0
    for (const rec of batch) {
      try {
        rules.evaluate('syscall', enricher.enrich(rec), count)
        done++
      } catch {
        metrics.eventsDropped('syscall', 'enrich_error', 1)
      }
    }
    metrics.eventsEvaluated('syscall', done)
    metrics.batchEvaluated('syscall', Number(process.hrtime.bigint() - started) / 1e9)
  }
  const cpu = process.cpuUsage(start)
  return { records, seconds: (cpu.user + cpu.system) / 1e6, alerts }
}

/** The same bytes through syscall mode's record handler (readiness, counts, the event pump). */
function recordHandlerAfter (chunks: Buffer[], rules: Ruleset): OneCore {
  const d = new StreamDecoder()
  const silent = { info () {}, warn () {}, error () {} }
  let records = 0
  let alerts = 0
  const onRecords = createSyscallRecordHandler({
    rules: { current: () => rules },
    emit: function count () { alerts++ },
    metrics: createMetrics({ defaultMetrics: false }),
    enricher: createEnricher(),
    readiness: new SyscallReadiness({ staleAfterMs: 60_000, log: silent }),
    log: silent
  })
  const start = process.cpuUsage()
  for (const c of chunks) {
    const batch = d.push(c).records
    records += batch.length
    onRecords(batch)
  }
  const cpu = process.cpuUsage(start)
  return { records, seconds: (cpu.user + cpu.system) / 1e6, alerts }
}

const sleep = (ms: number): Promise<void> => new Promise(function wait (r) { setTimeout(r, ms) })

interface Phase { label: string, offered: string, ops: number, records: number, seconds: number, drops: number, alerts: number, cpuUs: number }

async function main (): Promise<void> {
  const reason = process.getuid?.() !== 0 ? 'needs root' : probeUnsupportedReason()
  if (reason !== undefined) {
    console.log(`syscall-pipeline: skipped (${reason})`)
    return
  }
  const storm = compileC('bench-pipeline-storm', STORM_C)
  const churn = startChurn(60)
  try {
    await measure(storm)
  } finally {
    churn.kill('SIGTERM')
  }
}

async function measure (storm: string): Promise<void> {
  const rules = await loadDefaultRules()
  const kinds = probeKindsFor(rules, 'syscall')
  // as syscall-mode.ts without a cluster: no Kubernetes metadata, /proc scanned once here
  const enricher = createEnricher()
  let alerts = 0
  function countAlert (_a: Alert): void { alerts++ }

  let records = 0
  let stormPid = -1
  /** when Node last finished a batch holding a record of the storm (the phase ends there) */
  let stormSeenAt = 0n
  let pipeline = false
  let evalErrors = 0
  function onRecords (batch: SyscallRecord[]): void {
    records += batch.length
    let storm = false
    for (const rec of batch) {
      if (rec.pid === stormPid) storm = true
      if (!pipeline) continue
      try {
        rules.evaluate('syscall', enricher.enrich(rec), countAlert)
      } catch {
        evalErrors++
      }
    }
    if (storm) stormSeenAt = process.hrtime.bigint()
  }
  let stats: ProbeStats | undefined
  const probe = await startProbe({
    kinds: kinds.kinds,
    enterKinds: kinds.enterKinds,
    statsIntervalMs: 100,
    onRecords,
    onStats (s) { stats = s },
    onError (e) { console.error(`probe error: ${e.code}: ${e.message}`) }
  })

  async function phase (label: string, withPipeline: boolean, rate: number): Promise<Phase> {
    pipeline = withPipeline
    await sleep(300) // let the previous phase's stats frame arrive
    const drops0 = stats?.drops ?? 0
    const rec0 = records
    const alerts0 = alerts
    const cpu0 = process.cpuUsage()
    const start = process.hrtime.bigint()
    const r = await runStorm(storm, rate, function started (pid) { stormPid = pid })
    // drain: the pipeline may run behind the storm; it is done once the storm's records stop coming
    const deadline = Date.now() + 5000
    while (Date.now() < deadline && process.hrtime.bigint() - stormSeenAt < 300_000_000n) await sleep(50)
    const end = stormSeenAt > start ? stormSeenAt : process.hrtime.bigint()
    await sleep(250) // one more stats frame covering the whole phase
    const cpu = process.cpuUsage(cpu0)
    return {
      label,
      offered: rate === 0 ? 'flat out' : `${(rate / 1000).toFixed(0)}k ops/s`,
      ops: r.ops,
      records: records - rec0,
      seconds: Math.max(r.seconds, Number(end - start) / 1e9),
      drops: (stats?.drops ?? 0) - drops0,
      alerts: alerts - alerts0,
      cpuUs: cpu.user + cpu.system
    }
  }

  const phases: Phase[] = []
  try {
    phases.push(await phase('decode only (floor)', false, 0))
    for (const rate of RATES) phases.push(await phase('decode + enrich + rules', true, rate))
  } finally {
    await probe.stop()
  }

  // the same bytes twice on one core: decode alone, then decode + enrich + rules (a fresh enricher
  // that scanned /proc before the capture, as the live one did before its storms)
  const captureArgs = ['--kinds', kinds.kinds.join(','), ...(kinds.enterKinds.length > 0 ? ['--enter', kinds.enterKinds.join(',')] : []), '--stats-ms', '100']
  const fresh = [createEnricher(), createEnricher()]
  const chunks = await captureStream(storm, captureArgs)
  // two rounds, alternating, keeping each pass's faster one: other work on the shared CPUs
  // otherwise decides which of the two passes looks slow
  const faster = (a: OneCore, b: OneCore): OneCore => a.seconds <= b.seconds ? a : b
  let oneCoreFloor = decodeAlone(chunks)
  let oneCorePipeline = wholePipeline(chunks, fresh[0]!, rules)
  oneCoreFloor = faster(oneCoreFloor, decodeAlone(chunks))
  oneCorePipeline = faster(oneCorePipeline, wholePipeline(chunks, fresh[1]!, rules))
  const capturedBytes = chunks.reduce(function sum (n, c) { return n + c.length }, 0)
  // before/after the event pump, on the same bytes, alternated, fastest of seven rounds each, in
  // CPU time: on a shared machine wall time mostly measures who else was running
  let loopBefore = recordLoopBefore(chunks, rules)
  let pumpAfter = recordHandlerAfter(chunks, rules)
  for (let round = 1; round < 7; round++) {
    loopBefore = faster(loopBefore, recordLoopBefore(chunks, rules))
    pumpAfter = faster(pumpAfter, recordHandlerAfter(chunks, rules))
  }

  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
  const floor = phases[0]!
  const floorRate = floor.records / floor.seconds
  console.log(`\nsyscall pipeline bench (${SECONDS}s storm per phase, ${cpus().length} CPUs shared by the storm, the helper, Node and a process spawning /bin/true with stdio pipes, two at a time)`)
  console.log(`probe kinds for the default rules: ${kinds.kinds.length} exit, ${kinds.enterKinds.length} enter; ${rules.activeCount('syscall')} active rules\n`)
  console.log('| phase | storm offered | storm ops/s | records/s through Node | kernel drops | alerts | Node CPU µs/record | ratio to floor |')
  console.log('|---|---|---|---|---|---|---|---|')
  for (const p of phases) {
    const rate = p.records / p.seconds
    console.log(`| ${p.label} | ${p.offered} | ${fmt(p.ops / p.seconds)} | ${fmt(rate)} | ${fmt(p.drops)} | ${fmt(p.alerts)} | ${(p.cpuUs / Math.max(1, p.records)).toFixed(2)} | ${(rate / floorRate).toFixed(2)} |`)
  }
  console.log(`\nThe same captured helper output (${fmt(oneCoreFloor.records)} records, ${(capturedBytes / (1 << 20)).toFixed(1)} MiB, ${chunks.length} pipe reads) on one core, no storm running (faster of two rounds):\n`)
  console.log('| pass | records/s | alerts | µs/record | ratio to floor |')
  console.log('|---|---|---|---|---|')
  for (const [label, r] of [['decode alone (floor)', oneCoreFloor], ['decode + enrich + rules', oneCorePipeline]] as const) {
    const rate = r.records / r.seconds
    console.log(`| ${label} | ${fmt(rate)} | ${fmt(r.alerts)} | ${(1e6 * r.seconds / r.records).toFixed(2)} | ${(rate / (oneCoreFloor.records / oneCoreFloor.seconds)).toFixed(2)} |`)
  }
  console.log('\nThe record path before and after the event pump, same bytes, one core, in process CPU time (on a shared machine, wall time mostly measures who else ran; fastest of seven alternated rounds; each with a fresh enricher and metrics):\n')
  console.log('| pass | records/s | alerts | µs/record | ratio after/before |')
  console.log('|---|---|---|---|---|')
  const beforeRate = loopBefore.records / loopBefore.seconds
  for (const [label, r] of [['decode + the loop syscall-mode.ts ran (before)', loopBefore], ['decode + createSyscallRecordHandler (event pump, after)', pumpAfter]] as const) {
    const rate = r.records / r.seconds
    console.log(`| ${label} | ${fmt(rate)} | ${fmt(r.alerts)} | ${(1e6 * r.seconds / r.records).toFixed(2)} | ${(rate / beforeRate).toFixed(3)} |`)
  }
  console.log(`\nevaluation exceptions: ${evalErrors}, enrichment state errors: ${enricher.stateErrors}, rule eval errors: ${rules.evalErrors}, decode errors: ${stats?.decodeErrors ?? 0}`)
  console.log('Node CPU µs/record is the whole Node process (decode, enrichment, rules, GC) per record it received.')
}

await main()
