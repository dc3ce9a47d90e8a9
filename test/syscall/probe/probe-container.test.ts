// Container ids come from the task's cgroup leaf name, read in the kernel: a child moved into a
// kubepods cgroup (v1 cgroupfs: named by the 64-hex id; v2 systemd: a runtime scope) is reported
// with that id. Cleans up its cgroups.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { probeSkipReason, recordProbe } from '../../fixtures/syscall/probe-harness.ts'
import { createPodCgroup, createSystemdPodCgroup, podCgroupSkipReason, podCgroupV2SkipReason, runInCgroup } from '../../helpers/pod-cgroup.ts'

const skip = probeSkipReason() ?? podCgroupSkipReason()

/** Records the probe while `cat /etc/hostname` runs in cgroup `dir`, until the cat exits; `inside`: its records attributed to container `id`. */
async function catInCgroup (t: { teardown(fn: () => Promise<void>): void }, dir: string, id: string) {
  const rec = await recordProbe()
  t.teardown(async function stop () { await rec.probe.stop() })
  const child = await runInCgroup(dir, 'cat /etc/hostname')
  const inside = await rec.waitFor(r => r.containerId === id, m => m.some(r => r.type === 'procexit' && r.pid === child.pid))
  return { rec, inside }
}

t.test('a process in a container cgroup carries its container id', { skip: skip ?? false }, async t => {
  const id = randomBytes(32).toString('hex')
  const dir = createPodCgroup(t, id)
  const { rec, inside } = await catInCgroup(t, dir, id)
  t.ok(inside.some(r => r.type === 'execve' && r.args.exe === 'cat'), 'the exec of cat is attributed to the container')
  t.ok(inside.some(r => r.type === 'openat' && r.args.name === '/etc/hostname'), 'so is its openat')
  t.equal(inside.find(r => r.type === 'execve')?.cgroup, id, 'the raw leaf name is kept')
  const outside = rec.records.filter(r => r.pid === process.pid)
  t.ok(outside.every(r => r.containerId === ''), 'the test runner itself stays on the host')
})

// cgroup v2 with the systemd driver, the layout of most nodes: the container is a scope in the
// unified hierarchy, and the v1 cpu controller (if mounted at all) still has the task at its root.
// The probe must read the v2 cgroup, or every event of such a node is "host".
const v2Skip = probeSkipReason() ?? podCgroupV2SkipReason()

t.test('cgroup v2, systemd driver: a process in kubepods.slice/…/cri-containerd-<id>.scope carries its container id', { skip: v2Skip ?? false }, async t => {
  const id = randomBytes(32).toString('hex')
  const dir = createSystemdPodCgroup(t, id)
  t.match(dir, new RegExp(`/kubepods\\.slice/kubepods-besteffort\\.slice/kubepods-besteffort-pod[0-9a-f_]{36}\\.slice/cri-containerd-${id}\\.scope$`))
  const { rec, inside } = await catInCgroup(t, dir, id)
  t.ok(inside.some(r => r.type === 'execve' && r.args.exe === 'cat'), 'the exec of cat is attributed to the container')
  t.ok(inside.some(r => r.type === 'openat' && r.args.name === '/etc/hostname'), 'so is its openat')
  t.equal(inside.find(r => r.type === 'execve')?.cgroup, `cri-containerd-${id}.scope`, 'the scope name, read in the kernel')
  const outside = rec.records.filter(r => r.pid === process.pid)
  t.ok(outside.every(r => r.containerId === ''), 'the test runner itself stays on the host')
})

t.test('cgroup v2: CRI-O\'s crio-<id>.scope too', { skip: v2Skip ?? false }, async t => {
  const id = randomBytes(32).toString('hex')
  const dir = createSystemdPodCgroup(t, id, { runtime: 'cri-o' })
  const { inside } = await catInCgroup(t, dir, id)
  t.equal(inside.find(r => r.type === 'execve')?.cgroup, `crio-${id}.scope`)
})
