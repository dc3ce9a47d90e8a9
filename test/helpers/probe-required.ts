// Whether this machine promises to run the eBPF probe and everything else the suite needs: CI runs
// it as root on a kernel with BTF (.ci/run after scripts/install-deps.sh), so there an unsupported
// probe or a missing tool is a failure, not a reason to skip. Anywhere else (a laptop, a container
// without CAP_BPF) tests skip with the reason.
// LANNER_REQUIRE_PROBE=1 asks for the CI behaviour explicitly, =0 turns it off.

interface Skippable { skip: (...args: any[]) => unknown, fail: (...args: any[]) => unknown }

export function probeRequired (env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.LANNER_REQUIRE_PROBE === '1') return true
  if (env.LANNER_REQUIRE_PROBE === '0') return false
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0'
  return ci && process.getuid?.() === 0
}

/**
 * What this machine lacks (the probe, a tool, a cgroup layout) as a tap skip reason; undefined when
 * nothing is missing. Where the probe is required (CI as root, where no test may skip) it throws
 * the reason instead: called at a test file's top level, before anything is started, the file then
 * fails naming what is missing rather than passing as skipped.
 */
export function skipUnlessRequired (reason: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (reason === undefined || !probeRequired(env)) return reason
  throw new Error(`required here (CI as root; LANNER_REQUIRE_PROBE=0 turns that off), but: ${reason}`)
}

/** The probe cannot run here (`reason`, e.g. ERR_SYSCALL_UNSUPPORTED: ...): skip, or fail where it is required. */
export function probeUnsupported (t: Skippable, reason: string): void {
  if (probeRequired()) t.fail(`the probe must run here (CI as root), but: ${reason}`)
  else t.skip(`probe unsupported here: ${reason}`)
}
