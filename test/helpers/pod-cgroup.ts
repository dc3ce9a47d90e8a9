// Throw-away container cgroups laid out as the kubelet and the runtime make them, and a child run
// inside one. Removed in teardown. Two layouts (kubelet's pkg/kubelet/cm cgroup naming):
// - cgroup v1, cgroupfs driver (docker/containerd with cgroupfs): in the cpu hierarchy,
//   kubepods/besteffort/pod<uid>/<64-hex container id>;
// - cgroup v2, systemd driver (most nodes today): in the unified hierarchy,
//   kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid with - as _>.slice/
//   cri-containerd-<id>.scope (containerd; CRI-O names it crio-<id>.scope, docker docker-<id>.scope).
//   systemd escapes '-' as its slice separator, which is why the pod uid's dashes become '_'.
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { skipUnlessRequired } from './probe-required.ts'

export const CPU_CGROUP_ROOT = '/sys/fs/cgroup/cpu'
/** where cgroup v2 is mounted: /sys/fs/cgroup on a v2-only node, .../unified on a hybrid one (this VM) */
export const UNIFIED_CGROUP_ROOT = existsSync('/sys/fs/cgroup/unified/cgroup.controllers') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup'

export type ScopeRuntime = 'containerd' | 'cri-o' | 'docker'

interface Teardown { teardown(fn: () => void | Promise<void>): void }

/** undefined when a cgroup v1 cpu hierarchy is mounted; otherwise the reason to skip (throws it in CI as root) */
export function podCgroupSkipReason (root = CPU_CGROUP_ROOT): string | undefined {
  return skipUnlessRequired(existsSync(join(root, 'cgroup.procs')) ? undefined : `no cgroup v1 cpu hierarchy at ${root}`)
}

/** undefined when a cgroup v2 hierarchy is mounted at `root`; otherwise the reason to skip (throws it in CI as root) */
export function podCgroupV2SkipReason (root = UNIFIED_CGROUP_ROOT): string | undefined {
  return skipUnlessRequired(existsSync(join(root, 'cgroup.controllers')) && existsSync(join(root, 'cgroup.procs')) ? undefined : `no cgroup v2 hierarchy at ${root}`)
}

function makeChain (t: Teardown, root: string, parts: readonly string[]): string {
  const created: string[] = []
  let dir = root
  for (const part of parts) {
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

/** Creates the pod's container cgroup, v1 cgroupfs layout (and any missing parents); returns its directory. */
export function createPodCgroup (t: Teardown, containerId: string, root = CPU_CGROUP_ROOT): string {
  return makeChain(t, root, ['kubepods', 'besteffort', `pod${randomUUID()}`, containerId])
}

/** The leaf a runtime's systemd scope is named by. */
export function scopeName (runtime: ScopeRuntime, containerId: string): string {
  const prefix = runtime === 'containerd' ? 'cri-containerd' : runtime === 'cri-o' ? 'crio' : 'docker'
  return `${prefix}-${containerId}.scope`
}

/**
 * Creates the container's cgroup in the v2 systemd layout (kubepods.slice/…/<scope>); returns its
 * directory. `podUid` defaults to a fresh UUID.
 */
export function createSystemdPodCgroup (t: Teardown, containerId: string, opts: { root?: string, runtime?: ScopeRuntime, podUid?: string } = {}): string {
  const pod = (opts.podUid ?? randomUUID()).replace(/-/g, '_')
  return makeChain(t, opts.root ?? UNIFIED_CGROUP_ROOT, [
    'kubepods.slice', 'kubepods-besteffort.slice', `kubepods-besteffort-pod${pod}.slice`, scopeName(opts.runtime ?? 'containerd', containerId)
  ])
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
