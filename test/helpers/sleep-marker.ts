// Finding a test's own child processes in /proc: the test runs `sleep <marker>` with a duration no
// other test (or concurrent run) uses, then lists the pids whose command line holds it, to check
// that a program output's children were killed, process group included.
import { readdirSync, readFileSync } from 'node:fs'

/** a `sleep` duration unique to this run, so concurrent test runs never see each other's children */
export function sleepMarker (): string {
  return String(100_000 + Math.floor(Math.random() * 800_000))
}

/** pids of processes running `sleep <secs>` */
export function sleepers (secs: string): number[] {
  const out: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')
      if (argv.some((a) => a.endsWith('sleep')) && argv.includes(secs)) out.push(Number(d))
    } catch { /* exited meanwhile */ }
  }
  return out
}
