// Container ids come from the task's cgroup v1 (cpu) leaf name, read in the kernel: a child moved
// into a kubepods-style cgroup named by a 64-hex id is reported with that id. Cleans up its cgroups.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs'
import { randomBytes, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { probeSkipReason, recordProbe } from '../../fixtures/syscall/probe-harness.ts'

const CPU_ROOT = '/sys/fs/cgroup/cpu'
const skip = probeSkipReason() ?? (existsSync(join(CPU_ROOT, 'cgroup.procs')) ? undefined : 'no cgroup v1 cpu hierarchy at /sys/fs/cgroup/cpu')

t.test('a process in a container cgroup carries its container id', { skip: skip ?? false }, async t => {
  const id = randomBytes(32).toString('hex')
  const created: string[] = []
  let dir = CPU_ROOT
  for (const part of ['kubepods', 'besteffort', `pod${randomUUID()}`, id]) {
    dir = join(dir, part)
    if (!existsSync(dir)) { mkdirSync(dir); created.push(dir) }
  }
  t.teardown(async function removeCgroups () {
    for (const d of created.reverse()) {
      for (let i = 0; i < 20; i++) {
        try { rmdirSync(d); break } catch { await new Promise(r => setTimeout(r, 50)) }
      }
    }
  })
  const rec = await recordProbe()
  t.teardown(async function stop () { await rec.probe.stop() })

  // the child waits on stdin until it has been moved into the cgroup
  const child = spawn('sh', ['-c', 'read go; cat /etc/hostname'], { stdio: ['pipe', 'ignore', 'ignore'] })
  writeFileSync(join(dir, 'cgroup.procs'), String(child.pid))
  child.stdin.end('go\n')
  await new Promise(r => child.on('exit', r))
  const inside = await rec.waitFor(r => r.containerId === id, m => m.some(r => r.type === 'procexit' && r.pid === child.pid))
  t.ok(inside.some(r => r.type === 'execve' && r.args.exe === 'cat'), 'the exec of cat is attributed to the container')
  t.ok(inside.some(r => r.type === 'openat' && r.args.name === '/etc/hostname'), 'so is its openat')
  t.equal(inside.find(r => r.type === 'execve')?.cgroup, id, 'the raw leaf name is kept')
  const outside = rec.records.filter(r => r.pid === process.pid)
  t.ok(outside.every(r => r.containerId === ''), 'the test runner itself stays on the host')
})
