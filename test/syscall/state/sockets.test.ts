import t from 'tap'
import { createServer, connect, type Socket } from 'node:net'
import { readdirSync } from 'node:fs'
import { endpointsFromArgs, parseTupleText, toTuple } from '../../../src/syscall/state/sockets.ts'
import { decodeRecord, newDecodeContext } from '../../../src/syscall/decode.ts'
import type { SyscallRecord } from '../../../src/syscall/record.ts'
import { record, sockaddrIn, sockaddrUn, tuple, type RecordSpec } from '../../fixtures/syscall/records.ts'
import { readFdLink } from '../../../src/syscall/state/proc-scan.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { rec } from './fake-proc.ts'

/** a record as the decoder makes it from the probe's bytes */
function decoded (spec: RecordSpec): SyscallRecord {
  const buf = record(spec)
  const out = decodeRecord(buf, 0, buf.length, newDecodeContext())
  if ('code' in out) throw new Error(`${out.code}: ${out.message}`)
  return out
}

// The probe's bytes (struct ln_tuple, the user's sockaddr) go through the real decoder; these
// facts were once asserted on byte parsers of this module, which no decoder output ever reached.
t.test('endpoints of decoded connect records: sockaddr and kernel tuple', async (t) => {
  const unconnected = tuple({ family: 2, proto: 17, sport: 5353 })
  const sent = decoded({ kind: 'connect', res: -115, nums: [5], blobs: [unconnected, sockaddrIn([192, 168, 0, 1], 8080)] })
  t.same(endpointsFromArgs(sent.args), { local: { family: 4, ip: '0.0.0.0', port: 5353 }, remote: { family: 4, ip: '192.168.0.1', port: 8080 }, l4proto: 'udp' },
    'no kernel peer yet: the sockaddr is the remote end')
  const v4 = tuple({ family: 2, proto: 6, sport: 40000, dport: 443, saddr: [10, 0, 0, 5], daddr: [10, 0, 0, 9] })
  t.same(endpointsFromArgs(decoded({ kind: 'connect', nums: [5], blobs: [v4, sockaddrIn([10, 0, 0, 9], 443)] }).args),
    { local: { family: 4, ip: '10.0.0.5', port: 40000 }, remote: { family: 4, ip: '10.0.0.9', port: 443 }, l4proto: 'tcp' })
  const lo6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
  const v6 = tuple({ family: 10, proto: 6, sport: 5000, dport: 80, saddr: lo6, daddr: lo6 })
  t.same(endpointsFromArgs(decoded({ kind: 'connect', nums: [5], blobs: [v6, new Uint8Array(0)] }).args),
    { local: { family: 6, ip: '::1', port: 5000 }, remote: { family: 6, ip: '::1', port: 80 }, l4proto: 'tcp' })
  // a dual-stack socket talking IPv4: both ends ::ffff:a.b.c.d
  const mapped = (ip: number[]): number[] => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip]
  const dual = tuple({ family: 10, proto: 17, sport: 41000, dport: 53, saddr: mapped([10, 0, 0, 5]), daddr: mapped([8, 8, 4, 4]) })
  t.same(endpointsFromArgs(decoded({ kind: 'sendto', nums: [5, 64], blobs: [dual, new Uint8Array(0)] }).args),
    { local: { family: 4, ip: '10.0.0.5', port: 41000 }, remote: { family: 4, ip: '8.8.4.4', port: 53 }, l4proto: 'udp' }, 'IPv4-mapped shows as IPv4')
  t.equal(endpointsFromArgs(decoded({ kind: 'connect', nums: [3], blobs: [new Uint8Array(0), sockaddrUn('/run/docker.sock')] }).args), undefined,
    'a unix sockaddr has no IP endpoint')
})

t.test('text forms and the client/server orientation', async (t) => {
  const ep = parseTupleText('[::1]:5000->[fe80::1]:80')
  t.same(ep?.local, { family: 6, ip: '::1', port: 5000 })
  t.same(ep?.remote, { family: 6, ip: 'fe80::1', port: 80 })
  const parts = endpointsFromArgs({ family: 'ipv4', l4proto: 'udp', lip: '10.0.0.1', lport: 1000, rip: '0.0.0.0', rport: 0, addr: '9.9.9.9:53' })
  t.same(parts?.remote, { family: 4, ip: '9.9.9.9', port: 53 }, 'the sockaddr fills an unconnected remote end')
  t.equal(parts?.l4proto, 'udp')
  const asClient = toTuple(parts!, false)
  t.same([asClient.cip, asClient.cport, asClient.sip, asClient.sport], ['10.0.0.1', 1000, '9.9.9.9', 53])
  const asServer = toTuple(parts!, true)
  t.same([asServer.sip, asServer.sport, asServer.cip, asServer.cport], ['10.0.0.1', 1000, '9.9.9.9', 53])
  t.equal(endpointsFromArgs({ fd: 3 }), undefined)
})

t.test('an inherited TCP socket resolves through /proc/<pid>/net by inode', async (t) => {
  const server = createServer((s) => { s.on('error', () => {}) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const client: Socket = await new Promise((resolve) => { const c = connect(port, '127.0.0.1', () => resolve(c)) })
  t.teardown(() => { client.destroy(); server.close() })
  const en = createEnricher({ procRoot: '/proc', scan: false, users: userDbFrom([], []) })
  const localPort = client.localPort
  // find our client socket's fd number the way a reader of /proc would
  let fdNum = -1
  for (const name of readdirSync('/proc/self/fd')) {
    if (!/^socket:/.test(readFdLink('/proc', process.pid, Number(name)) ?? '')) continue
    const probe = en.context.lookupFd(en.procs.get(process.pid)!, Number(name))
    if (probe?.tuple?.cport === localPort) fdNum = Number(name)
  }
  t.ok(fdNum >= 0, 'found the connected socket among our fds')
  const ev = en.enrich(rec('sendto', { pid: process.pid, tid: process.pid, ppid: process.ppid, res: 1, args: { fd: fdNum } }))
  t.equal(ev.fd?.kind, 'ipv4')
  t.equal(ev.fd?.tuple?.sport, port)
  t.equal(ev.fd?.tuple?.l4proto, 'tcp')
  t.equal(ev.fd?.name, `127.0.0.1:${localPort}->127.0.0.1:${port}`)
  t.equal(ev.fd?.connected, true)
})

t.test('arguments of each shape the decoder writes, and of shapes it never writes', async (t) => {
  const rows: Array<[string, Record<string, string | number | bigint | Uint8Array | undefined>, unknown]> = [
    ['tuple text only (no parts): bracketed IPv6 ends', { tuple: '[fe80::1]:5000->[fe80::2]:443', l4proto: 'tcp' },
      { local: { family: 6, ip: 'fe80::1', port: 5000 }, remote: { family: 6, ip: 'fe80::2', port: 443 }, l4proto: 'tcp' }],
    ['tuple text with a port that is no number', { tuple: '10.0.0.1:x->10.0.0.2:80' }, undefined],
    ['tuple text without an arrow', { tuple: '10.0.0.1:80' }, undefined],
    ['tuple text whose remote side has no port', { tuple: '10.0.0.1:80->10.0.0.2' }, undefined],
    ['remote part only: the local end stays absent', { rip: '10.0.0.2', rport: 80, l4proto: 'udp' },
      { local: undefined, remote: { family: 4, ip: '10.0.0.2', port: 80 }, l4proto: 'udp' }],
    ['a bigint port (a u64 slot) reads as its number', { lip: '10.0.0.1', lport: 1234n },
      { local: { family: 4, ip: '10.0.0.1', port: 1234 }, remote: undefined, l4proto: 'unknown' }],
    ['an l4proto the table does not know reads as unknown', { lip: '10.0.0.1', lport: 1, l4proto: 'sctp' },
      { local: { family: 4, ip: '10.0.0.1', port: 1 }, remote: undefined, l4proto: 'unknown' }],
    ['an empty or non-text ip is no end', { lip: '', lport: 1, rip: new Uint8Array([10, 0, 0, 2]), rport: 2 }, undefined],
    ['the sockaddr fills an unspecified kernel remote (::, port 53 given)', { lip: '::1', lport: 9, rip: '::', rport: 53, addr: '[::1]:5353' },
      { local: { family: 6, ip: '::1', port: 9 }, remote: { family: 6, ip: '::1', port: 5353 }, l4proto: 'unknown' }],
    ['a connected kernel remote wins over the sockaddr', { lip: '10.0.0.1', lport: 9, rip: '10.0.0.2', rport: 80, addr: '10.0.0.3:81' },
      { local: { family: 4, ip: '10.0.0.1', port: 9 }, remote: { family: 4, ip: '10.0.0.2', port: 80 }, l4proto: 'unknown' }],
    ['only a sockaddr (a failed connect)', { addr: '192.0.2.7:22' },
      { local: undefined, remote: { family: 4, ip: '192.0.2.7', port: 22 }, l4proto: 'unknown' }],
    ['a unix path as addr is no IP end', { addr: '/run/app.sock' }, undefined],
    ['a sockaddr of bytes (never decoder output) is ignored', { addr: new Uint8Array([2, 0, 0, 80, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]) }, undefined]
  ]
  for (const [why, args, want] of rows) t.same(endpointsFromArgs(args), want, why)
  const v6 = toTuple({ remote: { family: 6, ip: '2001:db8::1', port: 443 }, l4proto: 'tcp' }, false)
  t.same(v6, { family: 6, l4proto: 'tcp', cip: '::', cport: 0, sip: '2001:db8::1', sport: 443, isServer: false }, 'a missing IPv6 end is ::, port 0')
  t.same(toTuple({ l4proto: 'unknown' }, true), { family: 4, l4proto: 'unknown', sip: '0.0.0.0', sport: 0, cip: '0.0.0.0', cport: 0, isServer: true }, 'no end at all: IPv4 unspecified')
})
