// A throw-away container cgroup in the cgroup v1 cpu hierarchy laid out like containerd's
// (kubepods/besteffort/pod<uid>/<containerId>), and a child run inside it. Removed in teardown.
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const CPU_CGROUP_ROOT = '/sys/fs/cgroup/cpu'

interface Teardown { teardown(fn: () => void | Promise<void>): void }

/** undefined when a cgroup v1 cpu hierarchy is mounted; otherwise the reason to skip */
export function podCgroupSkipReason (root = CPU_CGROUP_ROOT): string | undefined {
  return existsSync(join(root, 'cgroup.procs')) ? undefined : `no cgroup v1 cpu hierarchy at ${root}`
}

/** Creates the pod's container cgroup (and any missing parents); returns its directory. */
export function createPodCgroup (t: Teardown, containerId: string, root = CPU_CGROUP_ROOT): string {
  const created: string[] = []
  let dir = root
  for (const part of ['kubepods', 'besteffort', `pod${randomUUID()}`, containerId]) {
    dir = join(dir, part)
    if (!existsSync(dir)) { mkdirSync(dir); created.push(dir) }
  }
  t.teardown(async function removeCgroups () {
    // a cgroup can be removed only once its last task has gone, which the kernel settles shortly
    // after the exit: retry briefly
    for (const d of created.reverse()) {
      for (let i = 0; i < 20; i++) {
        try { rmdirSync(d); break } catch { await new Promise((resolve) => setTimeout(resolve, 50)) }
      }
    }
  })
  return dir
}

/**
 * Runs `sh -c <command>` inside `cgroup`: the shell waits on stdin until it has been moved there
 * (so none of its work, and never the test runner, is outside). SIGKILLed after `killAfterMs`.
 */
export async function runInCgroup (cgroup: string, command: string, killAfterMs = 15_000): Promise<{ pid: number, code: number | null }> {
  const child = spawn('sh', ['-c', `read go; ${command}`], { stdio: ['pipe', 'ignore', 'ignore'] })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  const guard = setTimeout(() => { child.kill('SIGKILL') }, killAfterMs)
  try {
    writeFileSync(join(cgroup, 'cgroup.procs'), String(child.pid))
  } catch (err) {
    // never let it go on to run outside the cgroup
    child.kill('SIGKILL')
    clearTimeout(guard)
    throw err
  }
  child.stdin.end('go\n')
  const code = await exited
  clearTimeout(guard)
  return { pid: child.pid ?? -1, code }
}
