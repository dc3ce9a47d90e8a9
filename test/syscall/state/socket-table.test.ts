import t from 'tap'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createSocketLookup } from '../../../src/syscall/state/socket-table.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
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
  t.same(socketOf(100, 4242), { family: 4, l4proto: 'tcp', lip: '10.0.0.1', lport: 40000, rip: '10.0.0.2', rport: 443, listening: false, role: 'client', path: '' })
  t.same(socketOf(100, 5151), { family: 4, l4proto: 'tcp', lip: '127.0.0.1', lport: 8080, rip: '::', rport: 0, listening: true, role: 'server', path: '' })
  t.equal(socketOf(100, 6161)?.l4proto, 'udp')
  t.equal(socketOf(100, 6161)?.lport, 53)
  t.same(socketOf(100, 7171), { family: 'unix', l4proto: 'unknown', lip: '', lport: 0, rip: '', rport: 0, listening: false, role: 'server', path: '/run/app.sock' })
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

// Lines below are copied from a live Linux 6.x /proc/<pid>/net/* (trailing columns included) with
// only addresses, ports and inodes changed.
const RAW_HEAD = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n'
const RAW6_HEAD = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n'
const NETLINK_HEAD = 'sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n'

t.test('a connection on a port the namespace serves is the server end, for every process of the namespace', async (t) => {
  // one network namespace (the same ns/net link): a server holding its listener and an accepted
  // connection, and a client holding the other end
  const fp = fakeProc([
    { pid: 100, ppid: 1, comm: 'nginx', argv: ['nginx'], netns: 4026532100, fds: { 3: 'socket:[900]', 4: 'socket:[901]' } },
    { pid: 200, ppid: 1, comm: 'curl', argv: ['curl'], netns: 4026532100, fds: { 5: 'socket:[902]' } },
    { pid: 300, ppid: 1, comm: 'quic', argv: ['quic'], netns: 4026532100, fds: { 6: 'socket:[903]', 7: 'socket:[904]' } }
  ])
  t.teardown(fp.cleanup)
  const tcp = TCP_HEAD +
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 900 1 000000002901139e 100 0 0 10 0                    \n' +
    '   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 901 1 0000000011163dbf 20 4 29 12 -1                   \n' +
    '   2: 0100007F:C350 0100007F:1F90 01 00000000:00000000 02:000009BB 00000000     0        0 902 2 0000000017cfe8e4 20 4 28 12 -1                   \n' +
    // a TIME_WAIT line: no socket (inode 0), so its port serves nothing
    '   3: 0100007F:955A 00000000:0000 06 00000000:00000000 03:00000304 00000000     0        0 0 3 000000008840efcb                                      \n'
  // a UDP server that connects a socket per peer on its own port (QUIC servers do)
  const udp = '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            \n' +
    ' 4575: 00000000:01BB 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 903 2 0000000097f60616 0        \n' +
    '14891: 0500000A:01BB 0900000A:D431 01 00000000:00000000 00:00000000 00000000     0        0 904 2 0000000020a99fea 0        \n'
  for (const pid of [100, 200, 300]) writeNet(fp.root, pid, { tcp, udp, tcp6: TCP_HEAD, udp6: TCP_HEAD })
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []), hostname: 'node-1' })
  const fields = ['fd.name', 'fd.is_server', 'fd.cport', 'fd.sport', 'fd.lport', 'fd.rport', 'fd.connected'].map((f) => [f, syscallFields.bind(f, undefined)] as const)
  function view (pid: number, fd: number): Record<string, unknown> {
    const ev = en.enrich(rec('read', { pid, tid: pid, res: 1, args: { fd } }))
    return Object.fromEntries(fields.map(([f, get]) => [f, get(ev)]))
  }
  t.same(view(100, 3), { 'fd.name': '127.0.0.1:8080', 'fd.is_server': true, 'fd.cport': 0, 'fd.sport': 8080, 'fd.lport': 8080, 'fd.rport': 0, 'fd.connected': false })
  t.same(view(100, 4), { 'fd.name': '127.0.0.1:50000->127.0.0.1:8080', 'fd.is_server': true, 'fd.cport': 50000, 'fd.sport': 8080, 'fd.lport': 8080, 'fd.rport': 50000, 'fd.connected': true },
    'accepted: client first, this process the server')
  t.same(view(200, 5), { 'fd.name': '127.0.0.1:50000->127.0.0.1:8080', 'fd.is_server': false, 'fd.cport': 50000, 'fd.sport': 8080, 'fd.lport': 50000, 'fd.rport': 8080, 'fd.connected': true },
    'the same connection seen from the client')
  t.same(view(300, 6), { 'fd.name': '0.0.0.0:443', 'fd.is_server': true, 'fd.cport': 0, 'fd.sport': 443, 'fd.lport': 443, 'fd.rport': 0, 'fd.connected': false })
  t.same(view(300, 7), { 'fd.name': '10.0.0.9:54321->10.0.0.5:443', 'fd.is_server': true, 'fd.cport': 54321, 'fd.sport': 443, 'fd.lport': 443, 'fd.rport': 54321, 'fd.connected': true },
    'a connected UDP socket on a served port is the server end too')
})

t.test('raw and netlink tables', async (t) => {
  const fp = fakeProc([{ pid: 100, ppid: 1, comm: 'ping', argv: ['ping'] }])
  t.teardown(fp.cleanup)
  writeNet(fp.root, 100, {
    raw: RAW_HEAD + '  26: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 565931 2 00000000b04a2307 0\n',
    raw6: RAW6_HEAD + '  145: 00000000000000000000000000000000:003A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 565932 2 000000006b77e57e 0\n',
    netlink: NETLINK_HEAD + '00000000bd94de25 0   0          00000000 0        0        0     2        0        4       \n' +
      '000000003dabdf69 0   2147483647 00000000 0        0        0     2        0        565930  \n'
  })
  const socketOf = createSocketLookup({ procRoot: fp.root })
  t.same(socketOf(100, 565931), { family: 4, l4proto: 'raw', lip: '0.0.0.0', lport: 1, rip: '0.0.0.0', rport: 0, listening: false, role: 'server', path: '' })
  t.same(socketOf(100, 565932), { family: 6, l4proto: 'raw', lip: '::', lport: 58, rip: '::', rport: 0, listening: false, role: 'server', path: '' })
  t.same(socketOf(100, 565930), { family: 'netlink', l4proto: 'unknown', lip: '', lport: 0, rip: '', rport: 0, listening: false, role: 'client', path: '' })
  t.equal(socketOf(100, 2147483647), undefined, 'the Pid column is not the inode')
})

t.test('namespaces: shared by their processes, bounded, forgotten once every snapshot aged out', async (t) => {
  const fp = fakeProc([
    { pid: 100, ppid: 1, comm: 'a', argv: ['a'], netns: 1 },
    { pid: 101, ppid: 1, comm: 'b', argv: ['b'], netns: 1 },
    { pid: 200, ppid: 1, comm: 'c', argv: ['c'], netns: 2 },
    { pid: 300, ppid: 1, comm: 'd', argv: ['d'], netns: 3 }
  ])
  t.teardown(fp.cleanup)
  for (const pid of [100, 101, 200, 300]) writeNet(fp.root, pid, { tcp: TCP_HEAD + tcpLine(0, 1000 + pid) })
  let clock = 0
  const socketOf = createSocketLookup({ procRoot: fp.root, maxAgeMs: 1000, maxNamespaces: 2, now: () => clock })
  t.equal(socketOf(100, 1100)?.lport, 40000)
  // pid 101 shares pid 100's namespace: its lookup answers from the snapshot read through pid 100
  t.equal(socketOf(101, 1100)?.lport, 40000, 'one snapshot per namespace, whichever process reads it')
  t.equal(socketOf(101, 1101), undefined, 'not in the shared snapshot (pid 101 files never read)')
  t.equal(socketOf(200, 1200)?.lport, 40000)
  t.equal(socketOf(300, 1300)?.lport, 40000, 'a third namespace evicts the oldest (maxNamespaces 2)')
  t.equal(socketOf(101, 1101)?.lport, 40000, 'namespace 1 was evicted: its tables are read again, now through pid 101')
  clock = 5000
  // namespace 1 is looked up anew; 2 and 3 aged out entirely and are forgotten: a later lookup in
  // namespace 2 reads its (changed) tables even though no maxAge passed since
  writeNet(fp.root, 200, { tcp: TCP_HEAD + tcpLine(0, 2200) })
  t.equal(socketOf(100, 1100)?.lport, 40000)
  t.equal(socketOf(200, 2200)?.lport, 40000, 'a forgotten namespace starts from fresh snapshots')
})

t.test('lines that stop short of the inode column are skipped; a table without its final newline is read whole', async (t) => {
  const fp = fakeProc([{ pid: 100, ppid: 1, comm: 'app', argv: ['app'] }])
  t.teardown(fp.cleanup)
  writeNet(fp.root, 100, {
    // a read cut mid-line (the file changed while read): the partial line is no socket
    unix: UNIX_HEAD + '0000000000000000: 00000002 00000000 00010000 0001 01 7272 /run/a.sock\n0000000000000000: 00000002 0000',
    tcp: TCP_HEAD + '   0: 0100007F:1F90 00000000:0000 0A   \n' + tcpLine(1, 4343).trimEnd()
  })
  const socketOf = createSocketLookup({ procRoot: fp.root })
  t.equal(socketOf(100, 7272)?.path, '/run/a.sock')
  t.equal(socketOf(100, 4343)?.lport, 40000, 'the last line, with no newline after it')
  t.equal(socketOf(100, 2), undefined, 'the cut line\'s fields are not read as an inode')
})
