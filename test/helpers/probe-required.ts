// Whether this machine promises to run the eBPF probe: CI runs the suite as root on a kernel with
// BTF (.ci/run after scripts/install-deps.sh), so there an unsupported probe is a failure, not a
// reason to skip. Anywhere else (a laptop, a container without CAP_BPF) tests skip with the reason.
// LANNER_REQUIRE_PROBE=1 asks for the CI behaviour explicitly, =0 turns it off.

interface Skippable { skip: (...args: any[]) => unknown, fail: (...args: any[]) => unknown }

export function probeRequired (env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.LANNER_REQUIRE_PROBE === '1') return true
  if (env.LANNER_REQUIRE_PROBE === '0') return false
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0'
  return ci && process.getuid?.() === 0
}

/** The probe cannot run here (`reason`, e.g. ERR_SYSCALL_UNSUPPORTED: ...): skip, or fail where it is required. */
export function probeUnsupported (t: Skippable, reason: string): void {
  if (probeRequired()) t.fail(`the probe must run here (CI as root), but: ${reason}`)
  else t.skip(`probe unsupported here: ${reason}`)
}
