// A program run inside a container cgroup with its output captured (pod-cgroup.ts's runInCgroup
// discards it): it waits on stdin until it has been moved into the cgroup, so none of its work,
// and never the test runner, happens outside. SIGKILLed after `killAfterMs` and in teardown.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

interface Teardown { teardown(fn: () => void | Promise<void>): void }

export interface CgroupChild {
  child: ChildProcessWithoutNullStreams
  stdout(): string
  stderr(): string
  exited: Promise<number | null>
}

export interface SpawnInCgroupOptions {
  killAfterMs?: number
  /** a program that execs the waiting sh in place (e.g. unshare -m): it joins the cgroup with it */
  wrapper?: string[]
  /** shell commands the waiting sh runs before it waits (inside the wrapper, outside the cgroup) */
  setup?: string
}

/** Runs `argv` (execvp'd by a waiting sh) inside `cgroup`. */
export function spawnInCgroup (t: Teardown, cgroup: string, argv: string[], opts: SpawnInCgroupOptions = {}): CgroupChild {
  const killAfterMs = opts.killAfterMs ?? 30_000
  const sh = ['sh', '-c', `${opts.setup === undefined ? '' : `${opts.setup} || exit 97; `}read go; exec "$@"`, 'sh', ...argv]
  const full = [...(opts.wrapper ?? []), ...sh]
  const child = spawn(full[0] as string, full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (b: Buffer) => { out += b.toString() })
  let err = ''
  child.stderr.on('data', (b: Buffer) => { err += b.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  const guard = setTimeout(() => { child.kill('SIGKILL') }, killAfterMs)
  void exited.then(() => { clearTimeout(guard) })
  t.teardown(function killChild () { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  try {
    writeFileSync(join(cgroup, 'cgroup.procs'), String(child.pid))
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  child.stdin.end('go\n')
  return { child, stdout: () => out, stderr: () => err, exited }
}
