import t from 'tap'
import { readFileSync } from 'node:fs'
import { syscallFields, syscallSource, splitDottedArg } from '../../../src/syscall/fields/index.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { K8sIndex } from '../../../src/k8s/metadata.ts'
import type { SyscallEvent } from '../../../src/syscall/event.ts'
import { fakeProc, rec, HEX_A } from '../state/fake-proc.ts'

const get = (ev: SyscallEvent, name: string, arg?: string) => syscallFields.bind(name, arg)(ev)

function world (t: { teardown(fn: () => void): void }) {
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd', cwd: '/' },
    { pid: 10, ppid: 1, comm: 'containerd-shim', argv: ['/usr/bin/containerd-shim-runc-v2', '-id', 'x'], cwd: '/' },
    { pid: 20, ppid: 10, comm: 'bash', argv: ['bash'], exe: '/usr/bin/bash', cwd: '/root', uid: 0, tty: 34816, loginuid: 1000, cgroup: `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podu1.slice/cri-containerd-${HEX_A}.scope\n`, capEff: '000001ffffffffff' }
  ])
  t.teardown(fp.cleanup)
  const k8s = new K8sIndex()
  k8s.upsertNamespace({ metadata: { name: 'testkatz', uid: 'ns-uid', labels: { network: 'red', team: 'a' } } })
  k8s.upsertPod({
    metadata: { name: 'nginx-7d9c8f6b5-x2x2x', namespace: 'testkatz', uid: 'u1', labels: { app: 'web', 'pod-template-hash': '7d9c8f6b5' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'nginx-7d9c8f6b5', uid: 'rs-uid', controller: true }] },
    spec: {
      containers: [{ name: 'web', image: 'docker.io/library/nginx:1.25', securityContext: { privileged: true }, volumeMounts: [{ name: 'sock', mountPath: '/var/run/docker.sock' }] }],
      volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }]
    },
    status: { podIP: '172.16.204.12', containerStatuses: [{ name: 'web', containerID: `containerd://${HEX_A}`, imageID: 'docker.io/library/nginx@sha256:' + 'c'.repeat(64), state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] }
  })
  const users = userDbFrom([{ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' }, { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice', shell: '/bin/zsh' }], [{ name: 'root', gid: 0 }])
  const en = createEnricher({ procRoot: fp.root, users, k8s, hostname: 'node-1' })
  return en
}

t.test('process, user and ancestry fields', async (t) => {
  const en = world(t)
  en.enrich(rec('fork', { pid: 30, tid: 30, ppid: 20, res: 0 }))
  const ev = en.enrich(rec('execve', { pid: 30, ppid: 20, comm: 'curl', argv: ['curl', '-s', 'http://x'], args: { filename: '/usr/bin/curl', exe: 'curl', args: '-s http://x', cwd: '/root' } }))
  t.equal(get(ev, 'proc.name'), 'curl')
  t.equal(get(ev, 'proc.exe'), 'curl')
  t.equal(get(ev, 'proc.exepath'), '/usr/bin/curl')
  t.equal(get(ev, 'proc.args'), '-s http://x')
  t.equal(get(ev, 'proc.cmdline'), 'curl -s http://x')
  t.equal(get(ev, 'proc.pid'), 30)
  t.equal(get(ev, 'proc.ppid'), 20)
  t.equal(get(ev, 'proc.pname'), 'bash')
  t.equal(get(ev, 'proc.pcmdline'), 'bash')
  t.equal(get(ev, 'proc.aname', '1'), 'bash')
  t.equal(get(ev, 'proc.aname', '2'), 'containerd-shim')
  t.equal(get(ev, 'proc.aname', '3'), 'systemd')
  t.equal(get(ev, 'proc.aname', '4'), undefined)
  t.equal(get(ev, 'proc.aname', '0'), 'curl', 'index 0 is the process itself')
  t.equal(get(ev, 'proc.aname'), 'bash', 'bare form reads the parent')
  t.equal(get(ev, 'proc.apid', '2'), 10)
  t.equal(get(ev, 'proc.tty'), 34816, 'inherited from the parent')
  t.equal(get(ev, 'proc.cwd'), '/root/', 'Falco prints cwd with a trailing slash')
  t.equal(get(ev, 'user.uid'), 0)
  t.equal(get(ev, 'user.name'), 'root')
  t.equal(get(ev, 'user.loginuid'), 1000)
  t.equal(get(ev, 'user.loginname'), 'alice')
  t.equal(get(ev, 'group.name'), 'root')
  t.equal(get(ev, 'thread.tid'), 30)
  t.match(get(ev, 'thread.cap_effective'), /CAP_SYS_ADMIN/)
  t.equal(get(ev, 'proc.env'), undefined, 'no environment in the record: absent')
})

t.test('event fields: type, dir, result names, numbering, arguments', async (t) => {
  const en = world(t)
  const ev = en.enrich(rec('connect', { pid: 20, res: -115, args: { fd: 3, addr: '192.168.0.1:80', family: 'ipv4', l4proto: 'tcp', lip: '172.16.204.12', lport: 40000, rip: '192.168.0.1', rport: 80 } }))
  t.equal(get(ev, 'evt.type'), 'connect')
  t.equal(get(ev, 'evt.dir'), '<')
  t.equal(get(ev, 'evt.res'), 'EINPROGRESS')
  t.equal(get(ev, 'evt.rawres'), -115)
  t.equal(get(ev, 'evt.failed'), true)
  t.equal(get(ev, 'evt.num'), 1)
  t.equal(get(ev, 'evt.time'), ev.rec.ts)
  t.equal(get(ev, 'evt.category'), 'net')
  t.equal(get(ev, 'evt.hostname'), 'node-1')
  t.equal(get(ev, 'evt.arg', 'fd'), '3(<4>172.16.204.12:40000->192.168.0.1:80)')
  t.equal(get(ev, 'evt.arg', 'addr'), '192.168.0.1:80')
  t.equal(get(ev, 'evt.arg.addr'), '192.168.0.1:80', 'dotted form')
  t.equal(get(ev, 'evt.arg', '0'), '-115(EINPROGRESS)', 'positional: res first')
  t.match(get(ev, 'evt.args'), /^res=-115\(EINPROGRESS\) fd=3/)
  const ok = en.enrich(rec('openat', { pid: 20, res: 4, args: { dirfd: -100, name: 'x', flags: 0o1101, mode: 0o644 } }))
  t.equal(get(ok, 'evt.res'), 'SUCCESS')
  t.equal(get(ok, 'evt.num'), 2)
  t.equal(get(ok, 'evt.arg.flags'), 'O_WRONLY|O_CREAT|O_TRUNC')
  t.equal(get(ok, 'evt.arg.mode'), '0644')
  t.equal(get(ok, 'evt.arg.fd'), '4(<f>/root/x)', 'open-family fd argument is the result')
  t.equal(get(ok, 'evt.rawarg', 'flags'), 0o1101)
  t.equal(get(ok, 'evt.is_open_write'), true)
  t.equal(get(ok, 'evt.is_open_read'), false)
  t.equal(get(ok, 'evt.is_open_create'), true)
  t.equal(get(ok, 'evt.abspath'), '/root/x')
  const chmod = en.enrich(rec('fchmodat', { pid: 20, res: 0, args: { dirfd: -100, filename: '/usr/bin/x', mode: 0o4755 } }))
  t.match(get(chmod, 'evt.arg.mode'), /S_ISUID/)
  const setuid = en.enrich(rec('setuid', { pid: 20, res: 0, args: { uid: 1000 } }))
  t.equal(get(setuid, 'evt.arg.uid'), 'alice', 'uids render as user names')
  const ptrace = en.enrich(rec('ptrace', { pid: 20, res: 0, args: { request: 4, pid: 1, addr: 0n, data: 0n } }))
  t.equal(get(ptrace, 'evt.arg.request'), 'PTRACE_POKETEXT')
  const exit = en.enrich(rec('procexit', { dir: '>', pid: 20, tid: 20, res: undefined, args: { status: 0 } }))
  t.equal(get(exit, 'evt.res'), undefined, 'enter events have no result')
  t.equal(get(exit, 'evt.arg.nope'), undefined)
})

t.test('fd fields: files, failed opens, sockets', async (t) => {
  const en = world(t)
  const f = en.enrich(rec('openat', { pid: 20, res: 5, args: { dirfd: -100, name: '/etc/shadow', flags: 0 } }))
  t.equal(get(f, 'fd.name'), '/etc/shadow')
  t.equal(get(f, 'fd.directory'), '/etc')
  t.equal(get(f, 'fd.filename'), 'shadow')
  t.equal(get(f, 'fd.typechar'), 'f')
  t.equal(get(f, 'fd.type'), 'file')
  t.equal(get(f, 'fd.num'), 5)
  t.equal(get(f, 'fd.ip'), undefined, 'no tuple on a file')
  const failed = en.enrich(rec('openat', { pid: 20, res: -2, args: { dirfd: -100, name: '/nope', flags: 0 } }))
  t.equal(get(failed, 'fd.num'), -1)
  t.equal(get(failed, 'evt.res'), 'ENOENT')
  t.equal(get(failed, 'fd.name'), '/nope')
  const d = en.enrich(rec('openat', { pid: 20, res: 6, args: { dirfd: -100, name: '/var/log', flags: 0o200000 } }))
  t.equal(get(d, 'fd.typechar'), 'd')
  t.equal(get(d, 'fd.directory'), '/var/log')
  const c = en.enrich(rec('connect', { pid: 20, res: 0, args: { fd: 7, family: 'ipv4', l4proto: 'tcp', lip: '172.16.204.12', lport: 40000, rip: '192.168.0.1', rport: 80 } }))
  t.equal(get(c, 'fd.typechar'), '4')
  t.equal(get(c, 'fd.type'), 'ipv4')
  t.equal(get(c, 'fd.cip'), '172.16.204.12')
  t.equal(get(c, 'fd.sip'), '192.168.0.1')
  t.equal(get(c, 'fd.cport'), 40000)
  t.equal(get(c, 'fd.sport'), 80)
  t.equal(get(c, 'fd.lip'), '172.16.204.12')
  t.equal(get(c, 'fd.rport'), 80)
  t.equal(get(c, 'fd.ip'), '192.168.0.1', 'fd.ip reads the server end')
  t.equal(get(c, 'fd.net'), '192.168.0.1')
  t.equal(get(c, 'fd.l4proto'), 'tcp')
  t.equal(get(c, 'fd.sockfamily'), 'ip')
  t.equal(get(c, 'fd.connected'), true)
  t.equal(get(c, 'fd.name_changed'), false)
  t.equal(get(c, 'fd.is_server'), false)
  t.equal(get(c, 'fd.containername'), `${HEX_A.slice(0, 12)}:172.16.204.12:40000->192.168.0.1:80`)
  const v6 = en.enrich(rec('connect', { pid: 20, res: 0, args: { fd: 8, family: 'ipv6', l4proto: 'tcp', lip: '::1', lport: 1, rip: '::1', rport: 2 } }))
  t.equal(get(v6, 'fd.typechar'), '6')
})

t.test('container and Kubernetes fields', async (t) => {
  const en = world(t)
  const ev = en.enrich(rec('openat', { pid: 20, res: 3, containerId: HEX_A, args: { dirfd: -100, name: '/x', flags: 0 } }))
  t.equal(get(ev, 'container.id'), HEX_A.slice(0, 12))
  t.equal(get(ev, 'container.full_id'), HEX_A)
  t.equal(get(ev, 'container.name'), 'web')
  t.equal(get(ev, 'container.type'), 'containerd')
  t.equal(get(ev, 'container.image'), 'docker.io/library/nginx:1.25')
  t.equal(get(ev, 'container.image.repository'), 'docker.io/library/nginx')
  t.equal(get(ev, 'container.image.tag'), '1.25')
  t.equal(get(ev, 'container.image.id'), 'cccccccccccc')
  t.equal(get(ev, 'container.privileged'), true)
  t.equal(get(ev, 'container.mount.dest', '/var/run/docker.sock'), '/var/run/docker.sock')
  t.equal(get(ev, 'container.mount.dest', '/etc'), undefined)
  t.equal(get(ev, 'container.mount.source', '0'), '/var/run/docker.sock')
  t.equal(get(ev, 'container.start_ts'), 1767225600000000000n)
  t.equal(get(ev, 'container.ip'), '172.16.204.12')
  t.equal(get(ev, 'k8s.pod.name'), 'nginx-7d9c8f6b5-x2x2x')
  t.equal(get(ev, 'k8s.rs.name'), 'nginx-7d9c8f6b5')
  t.equal(get(ev, 'k8s.rs.uid'), 'rs-uid')
  t.equal(get(ev, 'k8s.deployment.name'), 'nginx', 'replica set name minus the pod-template-hash')
  t.equal(get(ev, 'k8s.rc.name'), undefined)
  t.equal(get(ev, 'k8s.ns.uid'), 'ns-uid')
  t.equal(get(ev, 'k8s.pod.uid'), 'u1')
  t.equal(get(ev, 'k8s.ns.name'), 'testkatz')
  t.same(get(ev, 'k8s.pod.labels'), ['app:web', 'pod-template-hash:7d9c8f6b5'])
  t.equal(get(ev, 'k8s.pod.label', 'app'), 'web')
  t.equal(get(ev, 'k8s.pod.label.app'), 'web')
  t.equal(get(ev, 'k8s.ns.label.network'), 'red')
  t.equal(get(ev, 'k8s.ns.label', 'team'), 'a')
  t.equal(get(ev, 'k8s.ns.label.missing'), undefined)
  t.same(get(ev, 'k8s.ns.labels'), ['network:red', 'team:a'])

  const host = en.enrich(rec('openat', { pid: 1, res: 3, containerId: '', args: { dirfd: -100, name: '/x', flags: 0 } }))
  t.equal(get(host, 'container.id'), 'host')
  t.equal(get(host, 'container.name'), 'host')
  t.equal(get(host, 'k8s.ns.name'), undefined)
  t.equal(get(host, 'container.image.repository'), undefined)

  const unknownPod = en.enrich(rec('openat', { pid: 1, res: 3, containerId: 'd'.repeat(64), args: { dirfd: -100, name: '/x', flags: 0 } }))
  t.equal(get(unknownPod, 'container.id'), 'dddddddddddd')
  t.equal(get(unknownPod, 'container.name'), undefined, 'a container without metadata has no name')
})

t.test('the table: types, argument shapes, dotted names, event types', async (t) => {
  t.equal(syscallSource.name, 'syscall')
  t.equal(syscallFields.info('evt.res')?.type, 'string')
  t.equal(syscallFields.info('evt.rawres')?.type, 'int')
  t.equal(syscallFields.info('fd.net')?.type, 'ipnet')
  t.equal(syscallFields.info('fd.ip')?.type, 'ipaddr')
  t.equal(syscallFields.info('fd.typechar')?.type, 'string')
  t.equal(syscallFields.info('evt.time')?.type, 'abstime')
  t.equal(syscallFields.info('fd.connected')?.type, 'bool')
  t.equal(syscallFields.info('k8s.pod.labels')?.isList, true)
  t.equal(syscallFields.info('proc.aname')?.argKind, 'index')
  t.equal(syscallFields.info('k8s.ns.label')?.arg, 'required')
  t.equal(syscallFields.info('k8s.ns.label.network')?.name, 'k8s.ns.label.network')
  t.equal(syscallFields.info('k8s.ns.label.network')?.arg, 'none')
  t.equal(syscallFields.info('evt.arg.flags')?.type, 'string')
  t.same(splitDottedArg('k8s.pod.label.app.kubernetes.io/name'), ['k8s.pod.label', 'app.kubernetes.io/name'])
  t.equal(splitDottedArg('k8s.pod.labels'), undefined)
  t.throws(() => syscallFields.bind('proc.nope', undefined), { code: 'RULE_COMPILE_UNKNOWN_FIELD' })
  t.throws(() => syscallFields.bind('proc.aname', 'x'), { code: 'RULE_COMPILE_BAD_FIELD_ARG' })
  t.throws(() => syscallFields.bind('k8s.ns.label', undefined), { code: 'RULE_COMPILE_BAD_FIELD_ARG' })
  t.throws(() => syscallFields.bind('k8s.ns.label.network', 'x'), { code: 'RULE_COMPILE_BAD_FIELD_ARG' })
  t.throws(() => syscallFields.bind('evt.arg', undefined), { code: 'RULE_COMPILE_BAD_FIELD_ARG' })
  const types = syscallFields.eventTypes
  for (const e of ['open', 'openat', 'openat2', 'creat', 'execve', 'execveat', 'connect', 'accept', 'accept4', 'sendto', 'sendmsg', 'recvfrom', 'bind', 'listen', 'clone', 'clone3', 'fork', 'vfork', 'procexit', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2', 'chmod', 'fchmod', 'fchmodat', 'mkdir', 'mkdirat', 'rmdir', 'setuid', 'setgid', 'setresuid', 'setresgid', 'ptrace', 'mount', 'umount', 'umount2', 'dup', 'dup2', 'dup3', 'socket', 'container', 'k8s', 'switch', 'setns', 'userfaultfd', 'init_module', 'finit_module', 'symlinkat', 'linkat']) {
    t.ok(types?.has(e), e)
  }
  t.notOk(types?.has('opne'))
})

t.test("every field named by Falco's rules file exists with an argument shape that fits", async (t) => {
  // ../shared beside the repository root, never an absolute path
  const text = readFileSync(new URL('../../../../shared/reference/cases/falco_rules.v1.0.1.yaml', import.meta.url), 'utf8')
  const seen = new Set<string>()
  for (const m of text.matchAll(/%?\b((?:evt|proc|thread|user|group|fd|container|k8s)\.[a-z][a-zA-Z0-9_.]*[a-zA-Z0-9_])(\[([^\]]*)\])?/g)) {
    const name = m[1] as string
    if (/^k8s\.(gcr|io)/.test(name) || name === 'user.log') continue // text inside strings/comments
    const key = `${name}[${m[3] ?? ''}]`
    if (seen.has(key)) continue
    seen.add(key)
    // the extractor itself, or the code of the error binding it raised (named in the failure)
    let bound: unknown
    try { bound = syscallFields.bind(name, m[3]) } catch (err) { bound = (err as { code?: string }).code ?? String(err) }
    t.type(bound, 'function', key)
  }
  t.ok(seen.size > 90, `${seen.size} distinct field uses`)
})
