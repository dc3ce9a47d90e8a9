// container.start_ts without Kubernetes (no cluster, a pod not known yet, a container outside
// Kubernetes): the start of the container's first process, the init of its pid namespace. On the
// real probe: a "container" made as a runtime makes one (a kubepods cgroup, a new pid namespace
// whose init runs the workload) has container.start_ts = its init's start and a container.duration
// to match; a process in the container cgroup but in the host's pid namespace (hostPID) has none,
// since that namespace's init is the node's. Skips (with the reason) without root, BTF, clang,
// unshare or a cgroup v1 cpu hierarchy.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { enrichedEventOf, probeSkipReason, recordProbe, type Recorder } from '../../fixtures/syscall/probe-harness.ts'
import { createPodCgroup, podCgroupSkipReason, runInCgroup } from '../../helpers/pod-cgroup.ts'
import { skipUnlessRequired } from '../../helpers/probe-required.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import type { SyscallEvent } from '../../../src/syscall/event.ts'

function unshareMissing (): string | undefined {
  try { execFileSync('unshare', ['--pid', '--fork', 'true'], { stdio: 'ignore' }); return undefined } catch { return 'unshare (util-linux) cannot make a pid namespace here' }
}

const skip = probeSkipReason() ?? podCgroupSkipReason() ?? skipUnlessRequired(unshareMissing())
const SEC = 1_000_000_000n
const EXEC_KINDS = new Set(['execve', 'execveat'])
const read = (name: string, ev: SyscallEvent | undefined) => ev === undefined ? undefined : syscallFields.bind(name, undefined)(ev)

if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const rec: Recorder = await recordProbe({ kinds: ['execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork', 'procexit'] })
  t.teardown(async function stopProbe () { await rec.probe.stop() })

  t.test('a container with its own pid namespace: container.start_ts is its init\'s start', async (t) => {
    const id = randomBytes(32).toString('hex')
    const cg = createPodCgroup(t, id)
    const before = BigInt(Date.now()) * 1_000_000n
    // the runtime's way: the init (sh) is pid 1 of a new namespace, the workload a child of it
    const run = await runInCgroup(cg, 'unshare --pid --fork sh -c "sleep 0.2; /bin/echo container-start-marker > /dev/null; true"')
    t.equal(run.code, 0, 'the container ran')
    const mine = await rec.waitFor(
      (r) => r.containerId === id,
      (m) => m.some((r) => EXEC_KINDS.has(r.type) && r.res === 0 && r.argv?.[1] === 'container-start-marker')
    )
    const exec = mine.find((r) => EXEC_KINDS.has(r.type) && r.res === 0 && r.argv?.[1] === 'container-start-marker')
    const init = mine.find((r) => EXEC_KINDS.has(r.type) && r.res === 0 && r.args.vpid === 1)
    t.ok(exec, 'the workload\'s exec was recorded in the container')
    t.ok(init, 'so was its init\'s (pid 1 of the namespace)')
    if (exec === undefined || init === undefined) return
    const ev = enrichedEventOf(mine, exec)
    t.equal(read('container.id', ev), id.slice(0, 12), 'the event is the container\'s')
    t.equal(read('k8s.pod.name', ev), undefined, 'and no Kubernetes metadata is known')
    const start = read('container.start_ts', ev) as bigint
    t.equal(start, exec.args.pidns_init_start_ts, 'container.start_ts: the namespace init\'s start')
    t.ok(start >= before - SEC && start <= init.ts, 'which is during the test, before the init ran sh')
    t.equal(read('container.duration', ev), exec.ts - start, 'container.duration counts from it')
  })

  t.test('in the container cgroup but the host\'s pid namespace (hostPID): no container.start_ts', async (t) => {
    const id = randomBytes(32).toString('hex')
    const cg = createPodCgroup(t, id)
    const run = await runInCgroup(cg, '/bin/echo host-pid-marker > /dev/null')
    t.equal(run.code, 0)
    const mine = await rec.waitFor(
      (r) => r.containerId === id,
      (m) => m.some((r) => EXEC_KINDS.has(r.type) && r.res === 0 && r.argv?.[1] === 'host-pid-marker')
    )
    const exec = mine.find((r) => EXEC_KINDS.has(r.type) && r.res === 0 && r.argv?.[1] === 'host-pid-marker')
    t.ok(exec, 'recorded')
    if (exec === undefined) return
    const ev = enrichedEventOf(mine, exec)
    t.equal(read('container.id', ev), id.slice(0, 12))
    t.equal(read('container.start_ts', ev), undefined, 'the host namespace\'s init is the node\'s, not the container\'s')
    t.equal(read('container.duration', ev), undefined)
  })
}
