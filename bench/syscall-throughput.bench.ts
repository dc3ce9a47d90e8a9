// eBPF probe throughput and overhead, measured in one run: a C syscall storm (openat+close, which
// the probe records, and getppid, which it ignores) without the probe, then with it, counting the
// records that reach Node and the kernel-side drops. Needs root and the probe's build tools.
// Run: node --import tsx bench/syscall-throughput.bench.ts [seconds per phase, default 2]
import { spawn } from 'node:child_process'
import { cpus } from 'node:os'
import { probeUnsupportedReason } from '../src/syscall/build.ts'
import { compileC } from './compile-c.ts'
import { startProbe } from '../src/syscall/loader.ts'
import type { ProbeStats } from '../src/syscall/record.ts'

const SECONDS = Number(process.argv[2] ?? 2)

const STORM_C = `
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  int open_mode = strcmp(argv[1], "open") == 0;
  double secs = atof(argv[2]), start = now(), end = start + secs;
  unsigned long n = 0;
  for (;;) {
    for (int i = 0; i < 256; i++) {
      if (open_mode) { int fd = open("/etc/hostname", O_RDONLY); if (fd >= 0) close(fd); }
      else syscall(SYS_getppid);
    }
    n += 256;
    if (now() >= end) break;
  }
  printf("%lu %.6f\\n", n, now() - start);
  return 0;
}
`


interface StormResult { pid: number, ops: number, seconds: number }

function runStorm (bin: string, mode: 'open' | 'getppid'): Promise<StormResult> {
  return new Promise(function run (ok, fail) {
    const child = spawn(bin, [mode, String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', function collect (s: string) { out += s })
    child.on('error', fail)
    child.on('close', function done () {
      const [ops, secs] = out.trim().split(' ').map(Number)
      ok({ pid: child.pid!, ops: ops ?? 0, seconds: secs ?? SECONDS })
    })
  })
}

function perSec (n: number, s: number): string {
  return Math.round(n / s).toLocaleString('en-US')
}

async function main (): Promise<void> {
  const reason = process.getuid?.() !== 0 ? 'needs root' : probeUnsupportedReason()
  if (reason !== undefined) {
    console.log(`syscall-throughput: skipped (${reason})`)
    return
  }
  const storm = compileC('bench-storm', STORM_C)
  const baseOpen = await runStorm(storm, 'open')
  const baseIgnored = await runStorm(storm, 'getppid')

  const perPid = new Map<number, number>()
  let total = 0
  let last: ProbeStats | undefined
  const probe = await startProbe({
    statsIntervalMs: 250,
    onRecords (batch) {
      total += batch.length
      for (const r of batch) perPid.set(r.pid, (perPid.get(r.pid) ?? 0) + 1)
    },
    onStats (s) { last = s },
    onError (e) { console.error(`probe error: ${e.code}: ${e.message}`) }
  })
  const dropsBefore = last?.drops ?? 0
  const totalBefore = total
  let probedOpen: StormResult
  let probedIgnored: StormResult
  try {
    probedOpen = await runStorm(storm, 'open')
    await new Promise(r => setTimeout(r, 600))
    probedIgnored = await runStorm(storm, 'getppid')
    await new Promise(r => setTimeout(r, 600))
  } finally {
    await probe.stop()
  }
  const records = total - totalBefore
  const drops = (last?.drops ?? 0) - dropsBefore
  const expected = probedOpen.ops * 2
  const openNsBase = 1e9 * baseOpen.seconds / baseOpen.ops
  const openNsProbe = 1e9 * probedOpen.seconds / probedOpen.ops
  const ignNsBase = 1e9 * baseIgnored.seconds / baseIgnored.ops
  const ignNsProbe = 1e9 * probedIgnored.seconds / probedIgnored.ops

  console.log(`\nsyscall probe bench (${SECONDS}s per phase, ${process.arch})\n`)
  console.log('| workload | no probe ops/s | with probe ops/s | ns/op without | ns/op with | overhead/op |')
  console.log('|---|---|---|---|---|---|')
  console.log(`| openat+close (recorded) | ${perSec(baseOpen.ops, baseOpen.seconds)} | ${perSec(probedOpen.ops, probedOpen.seconds)} | ${openNsBase.toFixed(0)} | ${openNsProbe.toFixed(0)} | +${(openNsProbe - openNsBase).toFixed(0)} ns |`)
  console.log(`| getppid (ignored) | ${perSec(baseIgnored.ops, baseIgnored.seconds)} | ${perSec(probedIgnored.ops, probedIgnored.seconds)} | ${ignNsBase.toFixed(0)} | ${ignNsProbe.toFixed(0)} | +${(ignNsProbe - ignNsBase).toFixed(0)} ns |`)
  console.log('')
  console.log('| probe delivery | value |')
  console.log('|---|---|')
  console.log(`| storm records expected (openat+close exits) | ${expected.toLocaleString('en-US')} |`)
  console.log(`| storm records received | ${(perPid.get(probedOpen.pid) ?? 0).toLocaleString('en-US')} |`)
  console.log(`| records received from all processes | ${records.toLocaleString('en-US')} |`)
  console.log(`| events/s sustained into Node | ${perSec(records, probedOpen.seconds)} |`)
  console.log(`| kernel drops (ring full) | ${drops} |`)
  console.log(`| decode errors | ${last?.decodeErrors ?? 0} |`)
  console.log(`\nWith the probe, the storm shares ${cpus().length} CPUs with the helper and Node decoding its records;`)
  console.log('the recorded-syscall overhead includes that competition, not only the in-kernel cost.')
}

await main()
