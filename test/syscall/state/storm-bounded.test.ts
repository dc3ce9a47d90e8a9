// A long-running storm of short-lived processes through the enricher: every table it keeps
// (processes, exited entries, negative /proc lookups, fds, container memo, per-container users)
// stays under its cap, whatever is lost on the way (exits the ring dropped, unknown pids).
import t from 'tap'
import { createEnricher, MAX_CONTAINER_MEMO, type EnricherSizes } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { fakeProc, rec } from './fake-proc.ts'

const PIDS = 200_000
const CAPS = { maxProcesses: 2000, maxExited: 1000, maxFdsPerProcess: 16 }

function hex64 (n: number): string {
  return n.toString(16).padStart(64, '0')
}

t.test('200k short-lived pids keep every table under its cap', async (t) => {
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], cwd: '/' },
    { pid: 100, ppid: 1, comm: 'runner', argv: ['runner'], cwd: '/srv' }
  ])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []), hostname: 'node-1', ...CAPS })

  const peak: EnricherSizes = { procs: 0, exited: 0, missing: 0, fds: 0, maxFdsOfOne: 0, containerMemo: 0, containerUsers: 0 }
  function sample (): void {
    const s = en.sizes()
    for (const k of Object.keys(peak) as (keyof EnricherSizes)[]) peak[k] = Math.max(peak[k], s[k])
  }

  let lastChild = 0
  for (let i = 0; i < PIDS; i++) {
    // pids wrap: every number is reused several times over the run
    const child = 2000 + (i % 30_000)
    const containerId = i % 5 === 0 ? hex64(i) : ''
    en.enrich(rec('clone', { pid: 100, res: child, args: { flags: 17 } }))
    const exec = en.enrich(rec('execve', { pid: child, ppid: 100, comm: 'sh', argv: ['sh', '-c', 'true'], containerId, args: { filename: '/bin/sh', exe: 'sh', args: '-c true', cwd: '/' } }))
    if (exec.proc?.container !== undefined) en.context.containerUsers(exec.proc.container.fullId, child)
    // some processes open far more files than the per-process cap
    const opens = i % 1000 === 0 ? 40 : 1
    for (let fd = 3; fd < 3 + opens; fd++) en.enrich(rec('openat', { pid: child, res: fd, args: { dirfd: -100, name: `/tmp/f${fd}`, flags: 0 } }))
    // a pid whose clone the ring dropped: one failed /proc read, remembered
    if (i % 3 === 0) en.enrich(rec('openat', { pid: 100_000 + i, res: 3, args: { dirfd: -100, name: '/x', flags: 0 } }))
    // every tenth exit is lost too
    if (i % 10 !== 0) en.enrich(rec('procexit', { pid: child, ppid: 100 }))
    if (i % 5000 === 0) sample()
    lastChild = child
  }
  sample()

  t.ok(peak.procs <= CAPS.maxProcesses, `process table peaked at ${peak.procs} (cap ${CAPS.maxProcesses})`)
  t.ok(peak.exited <= CAPS.maxExited, `exited entries peaked at ${peak.exited} (cap ${CAPS.maxExited})`)
  t.ok(peak.maxFdsOfOne <= CAPS.maxFdsPerProcess, `largest fd table ${peak.maxFdsOfOne} (cap ${CAPS.maxFdsPerProcess})`)
  t.ok(peak.fds <= CAPS.maxProcesses * CAPS.maxFdsPerProcess, `fds in all ${peak.fds}`)
  t.ok(peak.missing <= 4097, `negative /proc lookups remembered peaked at ${peak.missing}`)
  t.ok(peak.containerMemo <= MAX_CONTAINER_MEMO, `container memo peaked at ${peak.containerMemo}`)
  t.ok(peak.containerUsers <= MAX_CONTAINER_MEMO, `per-container user dbs peaked at ${peak.containerUsers}`)
  t.ok(peak.procs > CAPS.maxProcesses / 2, 'the storm did fill the table (the caps were exercised)')
  t.equal(peak.exited, CAPS.maxExited, 'the exited queue did fill')

  // the tables still work after the storm: the last child is known, its parent resolves
  const last = en.enrich(rec('openat', { pid: lastChild, res: 9, args: { dirfd: -100, name: 'late', flags: 0 } }))
  t.equal(last.proc?.name, 'sh')
  t.equal(last.ancestor(1)?.name, 'runner')
  t.equal(en.stateErrors, 0)
})
