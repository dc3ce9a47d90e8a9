import t from 'tap'
import { containerFromCgroupPath, containerFromProcCgroup } from '../../../src/syscall/state/container-id.ts'
import { HEX_A } from './fake-proc.ts'

t.test('systemd-driver leaf names name the runtime', async (t) => {
  const cases: Array<[string, string]> = [
    [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/cri-containerd-${HEX_A}.scope`, 'containerd'],
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod99.slice/crio-${HEX_A}.scope`, 'cri-o'],
    [`/system.slice/docker-${HEX_A}.scope`, 'docker'],
    [`/machine.slice/libpod-${HEX_A}.scope`, 'podman']
  ]
  for (const [path, runtime] of cases) {
    const ref = containerFromCgroupPath(path)
    t.same(ref, { fullId: HEX_A, id: HEX_A.slice(0, 12), runtime }, path)
  }
})

t.test('cgroupfs layouts and bare leaf names give the id without a runtime where the path has none', async (t) => {
  t.same(containerFromCgroupPath(`/kubepods/besteffort/pod0b2c-11/${HEX_A}`), { fullId: HEX_A, id: HEX_A.slice(0, 12), runtime: undefined })
  t.same(containerFromCgroupPath(`/kubepods/pod0b2c-11/${HEX_A}`)?.id, HEX_A.slice(0, 12))
  t.same(containerFromCgroupPath(`/docker/${HEX_A}`)?.runtime, 'docker')
  t.same(containerFromCgroupPath(HEX_A)?.id, HEX_A.slice(0, 12), 'the in-kernel leaf name')
  t.same(containerFromCgroupPath(`cri-containerd-${HEX_A}.scope`)?.runtime, 'containerd', 'a leaf name with its scope wrapper')
  t.equal(containerFromCgroupPath(`/system.slice/docker-${HEX_A}.scope/init.scope`)?.id, HEX_A.slice(0, 12), 'init sub-cgroup')
  t.equal(containerFromCgroupPath(`/kubepods/burstable/pod7/crio-${HEX_A}`)?.runtime, 'cri-o', 'CRI-O under the cgroupfs manager')
  t.equal(containerFromCgroupPath(`/libpod_parent/libpod-${HEX_A}`)?.runtime, 'podman', 'podman under the cgroupfs manager')
})

t.test('host cgroups and look-alikes are not containers', async (t) => {
  for (const path of [
    '/', '', '/user.slice/user-1000.slice/session-3.scope', '/system.slice/containerd.service',
    `/kubepods.slice/kubepods-burstable.slice/crio-conmon-${HEX_A}.scope`,
    `/system.slice/docker-${HEX_A.slice(1)}.scope`, // 63 digits
    `/system.slice/docker-${HEX_A.toUpperCase()}.scope`, // runtimes write lowercase
    `/kubepods/besteffort/pod1/${HEX_A}x`,
    `/other/${HEX_A}`
  ]) t.equal(containerFromCgroupPath(path), undefined, JSON.stringify(path))
})

t.test('/proc/<pid>/cgroup on a hybrid host: any v1 or v2 line may name the container', async (t) => {
  const hybrid = [
    '12:cpuset:/',
    `11:cpu,cpuacct:/kubepods/besteffort/pod7/${HEX_A}`,
    `1:name=systemd:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod7.slice/cri-containerd-${HEX_A}.scope`,
    '0::/'
  ].join('\n')
  t.same(containerFromProcCgroup(hybrid), { fullId: HEX_A, id: HEX_A.slice(0, 12), runtime: 'containerd' }, 'runtime taken from the line that names it')
  t.equal(containerFromProcCgroup('12:cpuset:/\n0::/user.slice\n'), undefined)
  t.equal(containerFromProcCgroup(''), undefined)
  t.equal(containerFromProcCgroup('garbage without colons'), undefined)
  t.equal(containerFromProcCgroup(`0::/system.slice/docker-${HEX_A}.scope\n`)?.runtime, 'docker', 'pure cgroup v2')
})
