import t from 'tap'
import { createServer, connect, type Socket } from 'node:net'
import { readdirSync } from 'node:fs'
import { endpointsFromArgs, parseProbeTuple, parseSockaddr, parseTupleText, toTuple } from '../../../src/syscall/state/sockets.ts'
import { readFdLink } from '../../../src/syscall/state/proc-scan.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { rec } from './fake-proc.ts'

t.test('sockaddr and probe tuple bytes', async (t) => {
  const sin = Uint8Array.from([2, 0, 0x1f, 0x90, 192, 168, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
  t.same(parseSockaddr(sin), { family: 4, port: 8080, ip: '192.168.0.1' })
  const sin6 = new Uint8Array(28); sin6[0] = 10; sin6[2] = 0; sin6[3] = 80; sin6[23] = 1
  t.same(parseSockaddr(sin6), { family: 6, ip: '::1', port: 80 })
  const mapped = new Uint8Array(28); mapped[0] = 10; mapped[3] = 53; mapped[18] = 0xff; mapped[19] = 0xff; mapped.set([8, 8, 4, 4], 20)
  t.same(parseSockaddr(mapped), { family: 4, ip: '8.8.4.4', port: 53 }, 'IPv4-mapped shows as IPv4')
  t.equal(parseSockaddr(Uint8Array.from([1, 0])), undefined, 'unix sockaddr has no IP endpoint')
  const tuple = new Uint8Array(40)
  const dv = new DataView(tuple.buffer)
  dv.setUint16(0, 2, true); dv.setUint16(2, 40000, true); dv.setUint16(4, 443, true); tuple[6] = 6
  tuple.set([10, 0, 0, 5], 8); tuple.set([10, 0, 0, 9], 24)
  t.same(parseProbeTuple(tuple), { local: { family: 4, ip: '10.0.0.5', port: 40000 }, remote: { family: 4, ip: '10.0.0.9', port: 443 }, l4proto: 'tcp' })
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
