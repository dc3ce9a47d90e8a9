import t from 'tap'
import { readFileSync } from 'node:fs'
import { renderSyscallFieldsDoc } from '../../../src/syscall/fields/doc.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { fakeProc, rec } from '../state/fake-proc.ts'

t.test('docs/syscall-fields.md is the generated table (regenerate with src/syscall/fields/doc.ts)', async (t) => {
  const doc = readFileSync(new URL('../../../docs/syscall-fields.md', import.meta.url), 'utf8')
  t.equal(doc, renderSyscallFieldsDoc())
})

// Written down here, not taken from the generator: the Falco fields Lanner knows (rules using them
// load) but never fills. Adding a field to this list is a reviewed decision, and so is removing one.
const EXPECTED_NO_DATA = [
  // per-event timing and wait state the probe does not keep
  'evt.latency', 'evt.latency.s', 'evt.latency.ns', 'evt.latency.quantized', 'evt.latency.human', 'evt.deltatime', 'evt.deltatime.s', 'evt.deltatime.ns',
  'evt.is_wait', 'evt.wait_latency', 'evt.count.error.memory', 'evt.around', 'evt.asynctype',
  // plugins are a Falco extension point Lanner does not have
  'evt.pluginname', 'evt.plugininfo',
  // per-process counters and memory from /proc that would cost a read per event
  'proc.loginshellid', 'proc.nthreads', 'proc.nchilds', 'proc.fdopencount', 'proc.fdlimit', 'proc.fdusage',
  'proc.vmsize', 'proc.vmrss', 'proc.vmswap',
  // container health probes come from the runtime's container config
  'proc.is_container_healthcheck', 'proc.is_container_liveness_probe', 'proc.is_container_readiness_probe',
  'thread.vtid', 'thread.exectime', 'thread.totexectime', 'thread.cgroups', 'thread.cgroup', 'thread.pfmajor',
  'thread.pfminor', 'thread.vmsize', 'thread.vmrss', 'thread.cpu', 'thread.cpu.user', 'thread.cpu.system',
  // application protocols and overlayfs layers
  'fd.is_upper_layer', 'fd.is_lower_layer',
  // fdlist.* belongs to Falco's poll-family events
  'fdlist.nums', 'fdlist.names', 'fdlist.cips', 'fdlist.sips', 'fdlist.cports', 'fdlist.sports',
  // the container runtime's own API (CRI) is not queried
  'container.cni.json', 'container.healthcheck', 'container.liveness_probe', 'container.readiness_probe',
  'container.label', 'container.labels', 'container.info',
  'k8s.pod.cni.json', 'k8s.pod.sandbox_id', 'k8s.pod.full_sandbox_id',
  // only pods and namespaces are watched: no Deployment/Service/RC/RS objects
  'k8s.deployment.uid', 'k8s.deployment.id', 'k8s.svc.name', 'k8s.svc.uid', 'k8s.svc.id',
  'k8s.rc.label', 'k8s.rc.labels', 'k8s.rs.label', 'k8s.rs.labels', 'k8s.svc.label', 'k8s.svc.labels',
  'k8s.deployment.label', 'k8s.deployment.labels'
]

t.test('the doc marks exactly the expected fields "no data", and those fields are absent on real events', async (t) => {
  const doc = renderSyscallFieldsDoc()
  const rows = new Map<string, string>()
  for (const line of doc.split('\n')) {
    const m = /^\| `([^`]+)` \|/.exec(line)
    if (m !== null) rows.set(m[1] as string, line)
  }
  t.same([...rows.keys()].sort(), syscallFields.list().map((f) => f.name).sort(), 'one row per field, no more')
  const documented = [...rows].filter(([, line]) => line.includes('| no data |')).map(([name]) => name).sort()
  t.same(documented, [...EXPECTED_NO_DATA].sort())
  t.ok(rows.get('proc.name')?.includes('| yes |'), 'core fields are documented as filled')
  t.ok(rows.get('fd.sip.name')?.includes('| yes |'), 'DNS names come from the names rules compare with, as in Falco (dns-names.ts)')

  // behaviour behind the column: on events of a process with open files and a socket, every
  // "no data" field reads as absent
  const fp = fakeProc([{ pid: 7, ppid: 1, comm: 'nginx', argv: ['nginx', '-g', 'daemon off;'], exe: '/usr/sbin/nginx', cwd: '/', fds: { 3: '/etc/passwd' } }])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []) })
  const events = [
    en.enrich(rec('openat', { pid: 7, res: 4, args: { dirfd: -100, name: '/etc/shadow', flags: 0, mode: 0 } })),
    en.enrich(rec('connect', { pid: 7, res: 0, args: { fd: 5 } })),
    en.enrich(rec('execve', { pid: 7, res: 0, argv: ['sh', '-c', 'id'], args: { filename: '/bin/sh' } }))
  ]
  const filled: string[] = []
  for (const name of EXPECTED_NO_DATA) {
    const info = syscallFields.list().find((f) => f.name === name)
    const get = syscallFields.bind(name, info?.arg === 'required' ? 'x' : undefined)
    for (const ev of events) {
      const v = get(ev)
      if (v !== undefined && v !== null) filled.push(`${name} = ${String(v)}`)
    }
  }
  t.same(filled, [], 'no "no data" field has a value')
})
