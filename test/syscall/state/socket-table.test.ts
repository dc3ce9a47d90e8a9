import t from 'tap'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createSocketLookup } from '../../../src/syscall/state/socket-table.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { fakeProc, rec } from './fake-proc.ts'

const TCP_HEAD = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
const UNIX_HEAD = 'Num       RefCount Protocol Flags    Type St Inode Path\n'

/** one /proc/net/tcp line: 10.0.0.1:40000 -> 10.0.0.2:443, established, owned by `uid` */
function tcpLine (sl: number, ino: number, uid = 0): string {
  return `   ${sl}: 0100000A:9C40 0200000A:01BB 01 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)}        0 ${ino} 1 0000000000000000 20 4 30 10 -1\n`
}

function writeNet (root: string, pid: number, files: Record<string, string>): void {
  const dir = join(root, String(pid), 'net')
  mkdirSync(dir, { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
}

t.test('a socket resolves by inode from the tcp, tcp6, udp and unix tables', async (t) => {
  const fp = fakeProc([{ pid: 100, ppid: 1, comm: 'app', argv: ['app'] }])
  t.teardown(fp.cleanup)
  writeNet(fp.root, 100, {
    tcp: TCP_HEAD + tcpLine(0, 4242),
    // an IPv4-mapped listener on :8080
    tcp6: TCP_HEAD + '   0: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0000000000000000 100 0 0 10 0\n',
    udp: TCP_HEAD + '   0: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 6161 2 0000000000000000 0\n',
    unix: UNIX_HEAD + '0000000000000000: 00000002 00000000 00010000 0001 01 7171 /run/app.sock\n'
  })
  const socketOf = createSocketLookup({ procRoot: fp.root })
  t.same(socketOf(100, 4242), { family: 4, l4proto: 'tcp', lip: '10.0.0.1', lport: 40000, rip: '10.0.0.2', rport: 443, listening: false, path: '' })
  t.same(socketOf(100, 5151), { family: 4, l4proto: 'tcp', lip: '127.0.0.1', lport: 8080, rip: '::', rport: 0, listening: true, path: '' })
  t.equal(socketOf(100, 6161)?.l4proto, 'udp')
  t.equal(socketOf(100, 6161)?.lport, 53)
  t.same(socketOf(100, 7171), { family: 'unix', l4proto: 'unknown', lip: '', lport: 0, rip: '', rport: 0, listening: false, path: '/run/app.sock' })
})

t.test('only the inode column matches: digits elsewhere in a line are not the socket', async (t) => {
  const fp = fakeProc([{ pid: 100, ppid: 1, comm: 'app', argv: ['app'] }])
  t.teardown(fp.cleanup)
  // uid 42 and inode 424242 both contain "42"
  writeNet(fp.root, 100, { tcp: TCP_HEAD + tcpLine(0, 424242, 42) + tcpLine(1, 4242) })
  const socketOf = createSocketLookup({ procRoot: fp.root })
  t.equal(socketOf(100, 42), undefined)
  t.equal(socketOf(100, 4242)?.lport, 40000, 'found past a line where the digits occur in other columns')
  t.equal(socketOf(100, 424242)?.lport, 40000)
})

t.test('the tables are read once per namespace and age, not once per lookup', async (t) => {
  const fp = fakeProc([{ pid: 100, ppid: 1, comm: 'app', argv: ['app'] }])
  t.teardown(fp.cleanup)
  writeNet(fp.root, 100, { tcp: TCP_HEAD + tcpLine(0, 1001) })
  let clock = 0
  const socketOf = createSocketLookup({ procRoot: fp.root, maxAgeMs: 1000, now: () => clock })
  t.equal(socketOf(100, 1001)?.rport, 443)
  // the namespace's sockets change; a young snapshot still answers, whatever the files say now
  writeNet(fp.root, 100, { tcp: TCP_HEAD + tcpLine(0, 2002) })
  clock = 999
  t.equal(socketOf(100, 2002), undefined, 'a miss on a young snapshot does not read the tables again')
  t.equal(socketOf(100, 1001)?.rport, 443, 'hits come from the snapshot')
  clock = 1000
  t.equal(socketOf(100, 2002)?.rport, 443, 'a miss on an old snapshot reads them again')
  t.equal(socketOf(100, 1001)?.rport, undefined, 'and the new snapshot is what answers from then on')
  rmSync(join(fp.root, '100', 'net'), { recursive: true })
  clock = 5000
  t.equal(socketOf(100, 3003), undefined, 'unreadable tables: unknown, no throw')
})

t.test('tables are read only as far as the search goes: a unix socket never reads the TCP tables', async (t) => {
  const fp = fakeProc([{ pid: 100, ppid: 1, comm: 'app', argv: ['app'] }])
  t.teardown(fp.cleanup)
  writeNet(fp.root, 100, { unix: UNIX_HEAD + '0000000000000000: 00000003 00000000 00000000 0001 03 7171\n' })
  const socketOf = createSocketLookup({ procRoot: fp.root, now: () => 0 })
  t.same(socketOf(100, 7171)?.family, 'unix', 'an unnamed pair socket')
  t.equal(socketOf(100, 7171)?.path, '')
  // the tcp table appears afterwards: had the first lookup read it (as missing), this would miss
  writeNet(fp.root, 100, { tcp: TCP_HEAD + tcpLine(0, 4242) })
  t.equal(socketOf(100, 4242)?.lport, 40000)
})

t.test('an inherited socket fd of a fake process gets its endpoints through the enricher', async (t) => {
  const fp = fakeProc([{ pid: 100, ppid: 1, comm: 'app', argv: ['app'], fds: { 7: 'socket:[4242]' } }])
  t.teardown(fp.cleanup)
  writeNet(fp.root, 100, { tcp: TCP_HEAD + tcpLine(0, 4242) })
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []), hostname: 'node-1' })
  const ev = en.enrich(rec('sendto', { pid: 100, res: 10, args: { fd: 7 } }))
  t.equal(ev.fd?.kind, 'ipv4')
  t.equal(ev.fd?.name, '10.0.0.1:40000->10.0.0.2:443')
  t.equal(ev.fd?.connected, true)
})
