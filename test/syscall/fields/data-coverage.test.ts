// The loader's no-data warnings (FieldInfo.noData) and the Data column of docs/syscall-fields.md
// (doc.test.ts pins that column to a reviewed list) must say the same thing; and the fields the
// upstream rules lean on, listed here by hand, have values on real enriched events.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { parseCondition } from '../../../src/rules/lang/index.ts'
import { compileCondition } from '../../../src/rules/compile/index.ts'
import type { SyscallEvent } from '../../../src/syscall/event.ts'
import { fakeProc, rec } from '../state/fake-proc.ts'

/** Fields the upstream rules lean on: each must have a value on one of the events below. */
const MUST_HAVE_DATA: readonly string[] = [
  'evt.type', 'evt.dir', 'evt.time', 'evt.res', 'proc.name', 'proc.exepath', 'proc.cmdline', 'proc.pname',
  'proc.aname[2]', 'proc.pid', 'proc.cwd', 'user.name', 'user.uid', 'container.id', 'fd.name', 'fd.typechar',
  'fd.directory', 'fd.filename', 'fd.cip', 'fd.sip', 'fd.sport', 'fd.l4proto', 'fd.ip', 'fd.net', 'fd.port'
]

const DOC_ROW = /^\| `([^`]+)` \| [^|]* \| [^|]* \| [^|]* \| (yes|no data) \|/

function docData (): Map<string, string> {
  const doc = readFileSync(new URL('../../../docs/syscall-fields.md', import.meta.url), 'utf8')
  const out = new Map<string, string>()
  for (const line of doc.split('\n')) {
    const m = DOC_ROW.exec(line)
    if (m !== null) out.set(m[1] as string, m[2] as string)
  }
  return out
}

function corpus (t: { teardown(fn: () => void): void }): SyscallEvent[] {
  const cid = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9'
  const cg = `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podu1.slice/cri-containerd-${cid}.scope\n`
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], cwd: '/' },
    { pid: 10, ppid: 1, comm: 'containerd-shim', argv: ['containerd-shim'], cwd: '/' },
    { pid: 20, ppid: 10, comm: 'bash', argv: ['bash'], cwd: '/root', cgroup: cg }
  ])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([{ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' }], [{ name: 'root', gid: 0 }]), hostname: 'node-1' })
  return [
    en.enrich(rec('clone', { pid: 20, tid: 20, res: 30, containerId: cid, args: { flags: 0x01200011 } })),
    en.enrich(rec('execve', { pid: 30, ppid: 20, containerId: cid, comm: 'curl', argv: ['curl', '-s', 'http://10.0.0.9/'], args: { filename: '/usr/bin/curl', exe: 'curl', args: '-s http://10.0.0.9/', cwd: '/root' } })),
    en.enrich(rec('openat', { pid: 30, containerId: cid, res: 5, args: { dirfd: -100, name: '/etc/shadow', flags: 0 } })),
    en.enrich(rec('connect', { pid: 30, containerId: cid, res: 0, args: { fd: 6, family: 'ipv4', l4proto: 'tcp', lip: '10.244.1.5', lport: 40000, rip: '10.0.0.9', rport: 80 } }))
  ]
}

const exists = (name: string): (ev: SyscallEvent) => boolean => {
  const info = syscallFields.info(name.replace(/\[.*$/, ''))
  const withArg = info?.arg === 'required' ? `${name}[x]` : name
  return compileCondition(parseCondition(`${withArg} exists`), syscallFields)
}

t.test('the loader warns about exactly the fields the doc marks "no data"', async (t) => {
  const doc = docData()
  t.same([...doc.keys()].sort(), syscallFields.list().map((f) => f.name).sort(), 'one row per field')
  const documented = [...doc].filter(([, d]) => d === 'no data').map(([n]) => n).sort()
  t.same(syscallFields.list().filter((f) => f.noData !== undefined).map((f) => f.name).sort(), documented)
  t.ok(documented.length > 0)
})

t.test('behaviour: the fields rules lean on have values on real enriched events', async (t) => {
  const evs = corpus(t)
  for (const name of MUST_HAVE_DATA) {
    const f = exists(name)
    t.ok(evs.some((ev) => f(ev)), `${name} has a value`)
  }
})
