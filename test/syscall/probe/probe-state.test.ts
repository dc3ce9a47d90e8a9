// The probe's records of a real process, through the enricher and the fields a rule reads: a bound
// UDP socket, a dual-stack listener with an IPv4 client (IPv4-mapped ends), its accepted end, and a
// memfd. Skips (with the reason) without root, BTF, clang or python3. One probe for the file.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { probeSkipReason, recordProbe, type Recorder } from '../../fixtures/syscall/probe-harness.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import type { SyscallRecord } from '../../../src/syscall/record.ts'
import { skipUnlessRequired } from '../../helpers/probe-required.ts'

const CHILD = `
import json, os, socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))
l = socket.socket(socket.AF_INET6); l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); l.bind(('::', 0)); l.listen()
port = l.getsockname()[1]
c = socket.socket(socket.AF_INET6); c.connect(('::ffff:127.0.0.1', port))
a, _ = l.accept()
m = os.memfd_create('lanner-state', os.MFD_CLOEXEC)
print(json.dumps({'udp': u.fileno(), 'udpPort': u.getsockname()[1], 'listen': l.fileno(), 'port': port, 'client': c.fileno(), 'clientPort': c.getsockname()[1], 'accepted': a.fileno(), 'memfd': m}), flush=True)
sys.stdin.read()
`

const skip = probeSkipReason() ?? skipUnlessRequired(existsSync('/usr/bin/python3') ? undefined : 'python3 not installed')
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const rec: Recorder = await recordProbe({ kinds: ['execve', 'clone', 'clone3', 'fork', 'vfork', 'procexit', 'socket', 'bind', 'listen', 'connect', 'accept', 'accept4', 'memfd_create', 'close', 'openat'] })
  t.teardown(async function stopProbe () { await rec.probe.stop() })

  t.test('sockets and a memfd of a real process, as the fields show them', async (t) => {
    const py = spawn('python3', ['-c', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] })
    t.teardown(function stopChild () { py.stdin?.end() })
    const line = await new Promise<string>(function ready (resolve) {
      let out = ''
      py.stdout?.on('data', function onOut (b: Buffer) { out += b.toString(); if (out.includes('\n')) resolve(out) })
    })
    const fds = JSON.parse(line) as Record<string, number>
    const pid = py.pid as number
    const mine = await rec.waitFor(
      function ofChild (r) { return r.pid === pid },
      function complete (m) {
        return m.some((r) => r.type === 'memfd_create') && m.some((r) => r.type === 'accept4' || r.type === 'accept') &&
          m.some((r) => r.type === 'connect' && r.args.fd === fds.client) && m.filter((r) => r.type === 'bind').length >= 2
      },
      30_000
    )
    // records of one thread, in the order it made them (rings are per CPU)
    const ordered = [...mine].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0))
    const en = createEnricher({ procRoot: '/proc', scan: false, users: userDbFrom([], []) })
    const names = ['fd.type', 'fd.name', 'fd.l4proto', 'fd.is_server', 'fd.connected', 'fd.cip', 'fd.cport', 'fd.sip', 'fd.sport']
    const seen: Array<{ r: SyscallRecord, f: Record<string, unknown> }> = ordered.map((r) => {
      const ev = en.enrich(r)
      return { r, f: Object.fromEntries(names.map((n) => [n, syscallFields.bind(n, undefined)(ev)])) }
    })
    const find = (p: (r: SyscallRecord) => boolean): Record<string, unknown> | undefined => seen.find((s) => p(s.r))?.f

    t.same(find((r) => r.type === 'bind' && r.args.fd === fds.udp), {
      'fd.type': 'ipv4', 'fd.name': `127.0.0.1:${fds.udpPort}`, 'fd.l4proto': 'udp', 'fd.is_server': true, 'fd.connected': false,
      'fd.cip': '0.0.0.0', 'fd.cport': 0, 'fd.sip': '127.0.0.1', 'fd.sport': fds.udpPort
    }, 'a bound socket: its own address is the server end, no client')
    t.match(find((r) => r.type === 'bind' && r.args.fd === fds.listen), { 'fd.type': 'ipv6', 'fd.name': `:::${fds.port}`, 'fd.is_server': true, 'fd.cport': 0, 'fd.sport': fds.port })
    const conn = `127.0.0.1:${fds.clientPort}->127.0.0.1:${fds.port}`
    t.same(find((r) => r.type === 'connect' && r.args.fd === fds.client), {
      'fd.type': 'ipv4', 'fd.name': conn, 'fd.l4proto': 'tcp', 'fd.is_server': false, 'fd.connected': true,
      'fd.cip': '127.0.0.1', 'fd.cport': fds.clientPort, 'fd.sip': '127.0.0.1', 'fd.sport': fds.port
    }, 'a dual-stack socket talking IPv4 is an IPv4 connection')
    t.same(find((r) => (r.type === 'accept4' || r.type === 'accept') && r.res === fds.accepted), {
      'fd.type': 'ipv4', 'fd.name': conn, 'fd.l4proto': 'tcp', 'fd.is_server': true, 'fd.connected': true,
      'fd.cip': '127.0.0.1', 'fd.cport': fds.clientPort, 'fd.sip': '127.0.0.1', 'fd.sport': fds.port
    })
    t.match(find((r) => r.type === 'memfd_create'), { 'fd.type': 'memfd', 'fd.name': 'memfd:lanner-state' })
    t.equal((en.procs.peek(pid)?.fds.get(fds.memfd ?? -1)?.openFlags ?? 0) & 0o2000000, 0o2000000, 'MFD_CLOEXEC: an exec would close it')
  })
}
