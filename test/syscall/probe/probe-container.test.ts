// Container ids come from the task's cgroup v1 (cpu) leaf name, read in the kernel: a child moved
// into a kubepods-style cgroup named by a 64-hex id is reported with that id. Cleans up its cgroups.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { probeSkipReason, recordProbe } from '../../fixtures/syscall/probe-harness.ts'
import { createPodCgroup, podCgroupSkipReason, runInCgroup } from '../../helpers/pod-cgroup.ts'

const skip = probeSkipReason() ?? podCgroupSkipReason()

t.test('a process in a container cgroup carries its container id', { skip: skip ?? false }, async t => {
  const id = randomBytes(32).toString('hex')
  const dir = createPodCgroup(t, id)
  const rec = await recordProbe()
  t.teardown(async function stop () { await rec.probe.stop() })

  const child = await runInCgroup(dir, 'cat /etc/hostname')
  const inside = await rec.waitFor(r => r.containerId === id, m => m.some(r => r.type === 'procexit' && r.pid === child.pid))
  t.ok(inside.some(r => r.type === 'execve' && r.args.exe === 'cat'), 'the exec of cat is attributed to the container')
  t.ok(inside.some(r => r.type === 'openat' && r.args.name === '/etc/hostname'), 'so is its openat')
  t.equal(inside.find(r => r.type === 'execve')?.cgroup, id, 'the raw leaf name is kept')
  const outside = rec.records.filter(r => r.pid === process.pid)
  t.ok(outside.every(r => r.containerId === ''), 'the test runner itself stays on the host')
})
