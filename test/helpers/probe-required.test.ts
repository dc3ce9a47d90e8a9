// probeRequired: CI as root must run the probe (a skip there would hide a broken probe).
import t from 'tap'
import { probeRequired, probeUnsupported, skipUnlessRequired } from './probe-required.ts'

t.test('required in CI as root, or when asked; never when turned off', async (t) => {
  const root = process.getuid?.() === 0
  t.equal(probeRequired({ CI: 'true' }), root, 'CI=true: required exactly when root')
  t.equal(probeRequired({ CI: 'false' }), false)
  t.equal(probeRequired({}), false, 'a developer machine skips')
  t.equal(probeRequired({ LANNER_REQUIRE_PROBE: '1' }), true)
  t.equal(probeRequired({ CI: 'true', LANNER_REQUIRE_PROBE: '0' }), false)
})

t.test('probeUnsupported skips with the reason, or fails where required', async (t) => {
  const calls: string[] = []
  const fake = { skip: (m: string) => calls.push(`skip ${m}`), fail: (m: string) => calls.push(`fail ${m}`) }
  const saved = process.env.LANNER_REQUIRE_PROBE
  t.teardown(() => { if (saved === undefined) delete process.env.LANNER_REQUIRE_PROBE; else process.env.LANNER_REQUIRE_PROBE = saved })
  process.env.LANNER_REQUIRE_PROBE = '0'
  probeUnsupported(fake, 'ERR_SYSCALL_UNSUPPORTED: no BTF')
  process.env.LANNER_REQUIRE_PROBE = '1'
  probeUnsupported(fake, 'ERR_SYSCALL_UNSUPPORTED: no BTF')
  t.same(calls, ['skip probe unsupported here: ERR_SYSCALL_UNSUPPORTED: no BTF', 'fail the probe must run here (CI as root), but: ERR_SYSCALL_UNSUPPORTED: no BTF'])
})

t.test('skipUnlessRequired: the reason to skip, thrown instead where nothing may skip', async (t) => {
  t.equal(skipUnlessRequired(undefined, { LANNER_REQUIRE_PROBE: '1' }), undefined, 'nothing missing: nothing to skip or throw')
  t.equal(skipUnlessRequired('python3 not installed', { LANNER_REQUIRE_PROBE: '0' }), 'python3 not installed', 'optional here: a skip with the reason')
  t.throws(() => skipUnlessRequired('python3 not installed', { LANNER_REQUIRE_PROBE: '1' }), /required here .*: python3 not installed/, 'required: a failure naming what is missing')
})

t.test('the shared skip reasons throw where the suite is required', async (t) => {
  // pod-cgroup.ts takes its root as a parameter: a root with no hierarchy is a missing cgroup layout
  const { podCgroupSkipReason } = await import('./pod-cgroup.ts')
  const saved = process.env.LANNER_REQUIRE_PROBE
  t.teardown(() => { if (saved === undefined) delete process.env.LANNER_REQUIRE_PROBE; else process.env.LANNER_REQUIRE_PROBE = saved })
  process.env.LANNER_REQUIRE_PROBE = '0'
  t.match(podCgroupSkipReason('/nonexistent-cgroup-root'), /no cgroup v1 cpu hierarchy at \/nonexistent-cgroup-root/)
  process.env.LANNER_REQUIRE_PROBE = '1'
  t.throws(() => podCgroupSkipReason('/nonexistent-cgroup-root'), /required here .*no cgroup v1 cpu hierarchy/)
})
