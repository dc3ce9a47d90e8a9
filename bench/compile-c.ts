// Benchmarks drive the kernel with small C workloads: compile one next to the probe's build
// output (gitignored), once per run.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { helperPath } from '../src/syscall/build.ts'

/** Write `source` as build/syscall/<name>.c, compile it with cc -O2, return the binary's path. */
export function compileC (name: string, source: string): string {
  const dir = dirname(helperPath())
  mkdirSync(dir, { recursive: true })
  const src = join(dir, `${name}.c`)
  const bin = join(dir, name)
  writeFileSync(src, source)
  execFileSync('cc', ['-O2', '-o', bin, src])
  return bin
}
