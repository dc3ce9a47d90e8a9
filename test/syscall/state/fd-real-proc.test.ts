// Fds a process opened before the probe attached, read from the real /proc of a real process (the
// fd zoo): every kind the kernel names in /proc/<pid>/fd, and sockets of every family made on
// loopback resolved through the kernel's own /proc/<pid>/net tables. Expected values are Falco's
// (libscap's /proc scan, libsinsp's add_fd_from_scap): a socket whose remote end is unset is a
// server socket named `ip:port`; a connection on a port the namespace serves is the server end,
// client first in its name; raw sockets are IP sockets with l4proto raw; netlink sockets are
// fd.type netlink; a directory is fd.type directory and a FIFO fd.type pipe. Pipes stay nameless,
// as Falco's pipe event leaves them (its /proc scan alone would name them pipe:[ino]).
import t from 'tap'
import { statSync } from 'node:fs'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { skipUnlessRequired } from '../../helpers/probe-required.ts'
import { startZoo, zooMissing, type Zoo } from './fd-zoo.ts'
import { rec } from './fake-proc.ts'

const FIELDS = ['fd.type', 'fd.typechar', 'fd.name', 'fd.l4proto', 'fd.cip', 'fd.cport', 'fd.sip', 'fd.sport',
  'fd.lip', 'fd.lport', 'fd.rip', 'fd.rport', 'fd.is_server', 'fd.connected', 'fd.sockfamily', 'fd.ino'] as const
type Row = Partial<Record<typeof FIELDS[number], unknown>>

const skip = skipUnlessRequired(zooMissing())
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const zoo: Zoo = await startZoo()
  t.teardown(zoo.stop)
  const getters = FIELDS.map((f) => syscallFields.bind(f, undefined))

  /** the fields a rule sees on a write to the zoo's fd `what`, through a fresh enricher (no /proc scan) */
  function fieldsOf (what: string): Row {
    const n = zoo.fds[what]
    if (n === undefined) throw new Error(`the zoo has no ${what}`)
    const en = createEnricher({ procRoot: '/proc', scan: false, users: userDbFrom([], []) })
    const ev = en.enrich(rec('write', { pid: zoo.pid, tid: zoo.pid, ppid: process.pid, res: 1, args: { fd: n } }))
    const row: Row = {}
    FIELDS.forEach((f, i) => { const v = getters[i]!(ev); if (v !== undefined) row[f] = v })
    return row
  }
  const p = zoo.ports

  t.test('anonymous inodes, pipes and files', async (t) => {
    t.same(fieldsOf('pipe'), { 'fd.type': 'pipe', 'fd.typechar': 'p', 'fd.connected': false })
    t.same(fieldsOf('eventfd'), { 'fd.type': 'event', 'fd.typechar': 'e', 'fd.connected': false })
    t.same(fieldsOf('signalfd'), { 'fd.type': 'signalfd', 'fd.typechar': 's', 'fd.connected': false })
    t.same(fieldsOf('timerfd'), { 'fd.type': 'timerfd', 'fd.typechar': 't', 'fd.connected': false })
    t.same(fieldsOf('inotify'), { 'fd.type': 'inotify', 'fd.typechar': 'i', 'fd.connected': false })
    t.same(fieldsOf('eventpoll'), { 'fd.type': 'eventpoll', 'fd.typechar': 'l', 'fd.connected': false })
    t.same(fieldsOf('pidfd'), { 'fd.type': 'pidfd', 'fd.typechar': 'P', 'fd.connected': false })
    t.same(fieldsOf('memfd'), { 'fd.type': 'memfd', 'fd.typechar': 'm', 'fd.name': 'memfd:lanner-zoo', 'fd.connected': false },
      'a memfd keeps the name memfd_create gave it')
    if (zoo.fds.userfaultfd !== undefined) t.same(fieldsOf('userfaultfd'), { 'fd.type': 'userfaultfd', 'fd.typechar': 'u', 'fd.connected': false })
  })

  t.test('files, a directory, a character device and a FIFO: the kind from stat of the file itself, and its inode', async (t) => {
    t.same(fieldsOf('file'), { 'fd.type': 'file', 'fd.typechar': 'f', 'fd.name': '/etc/hostname', 'fd.connected': false, 'fd.ino': statSync('/etc/hostname').ino })
    t.same(fieldsOf('directory'), { 'fd.type': 'directory', 'fd.typechar': 'd', 'fd.name': zoo.dir, 'fd.connected': false, 'fd.ino': statSync(zoo.dir).ino },
      'O_DIRECTORY before we attached: a directory, not a file')
    t.same(fieldsOf('chardev'), { 'fd.type': 'file', 'fd.typechar': 'f', 'fd.name': '/dev/null', 'fd.connected': false, 'fd.ino': statSync('/dev/null').ino },
      'a device is a file, as Falco types it')
    t.same(fieldsOf('fifo'), { 'fd.type': 'pipe', 'fd.typechar': 'p', 'fd.name': `${zoo.dir}/fifo`, 'fd.connected': false },
      'a named pipe is a pipe that keeps its path')
  })

  t.test('TCP over IPv4: the listener, the client end and the accepted end', async (t) => {
    t.same(fieldsOf('tcp4_listen'), {
      'fd.type': 'ipv4', 'fd.typechar': '4', 'fd.name': `127.0.0.1:${p.tcp4_server}`, 'fd.l4proto': 'tcp', 'fd.cip': '0.0.0.0', 'fd.cport': 0,
      'fd.sip': '127.0.0.1', 'fd.sport': p.tcp4_server, 'fd.lip': '127.0.0.1', 'fd.lport': p.tcp4_server, 'fd.rip': '0.0.0.0', 'fd.rport': 0,
      'fd.is_server': true, 'fd.connected': false, 'fd.sockfamily': 'ip'
    }, 'a listener is named by its own address, as at bind')
    const conn = `127.0.0.1:${p.tcp4_client}->127.0.0.1:${p.tcp4_server}`
    t.same(fieldsOf('tcp4_client'), {
      'fd.type': 'ipv4', 'fd.typechar': '4', 'fd.name': conn, 'fd.l4proto': 'tcp', 'fd.cip': '127.0.0.1', 'fd.cport': p.tcp4_client,
      'fd.sip': '127.0.0.1', 'fd.sport': p.tcp4_server, 'fd.lip': '127.0.0.1', 'fd.lport': p.tcp4_client, 'fd.rip': '127.0.0.1', 'fd.rport': p.tcp4_server,
      'fd.is_server': false, 'fd.connected': true, 'fd.sockfamily': 'ip'
    })
    t.same(fieldsOf('tcp4_accepted'), {
      'fd.type': 'ipv4', 'fd.typechar': '4', 'fd.name': conn, 'fd.l4proto': 'tcp', 'fd.cip': '127.0.0.1', 'fd.cport': p.tcp4_client,
      'fd.sip': '127.0.0.1', 'fd.sport': p.tcp4_server, 'fd.lip': '127.0.0.1', 'fd.lport': p.tcp4_server, 'fd.rip': '127.0.0.1', 'fd.rport': p.tcp4_client,
      'fd.is_server': true, 'fd.connected': true, 'fd.sockfamily': 'ip'
    }, 'the accepted end is the server: its local port is one the namespace listens on')
  })

  t.test('TCP over IPv6 and an IPv4 client of a dual-stack listener', async (t) => {
    t.has(fieldsOf('tcp6_listen'), { 'fd.type': 'ipv6', 'fd.typechar': '6', 'fd.name': `::1:${p.tcp6_server}`, 'fd.sip': '::1', 'fd.sport': p.tcp6_server, 'fd.is_server': true, 'fd.connected': false })
    const conn6 = `::1:${p.tcp6_client}->::1:${p.tcp6_server}`
    t.has(fieldsOf('tcp6_client'), { 'fd.type': 'ipv6', 'fd.name': conn6, 'fd.lport': p.tcp6_client, 'fd.is_server': false, 'fd.connected': true, 'fd.l4proto': 'tcp' })
    t.has(fieldsOf('tcp6_accepted'), { 'fd.type': 'ipv6', 'fd.name': conn6, 'fd.lport': p.tcp6_server, 'fd.rport': p.tcp6_client, 'fd.is_server': true, 'fd.connected': true })
    t.has(fieldsOf('dual_listen'), { 'fd.type': 'ipv6', 'fd.name': `:::${p.dual_server}`, 'fd.sip': '::', 'fd.is_server': true })
    const mapped = `127.0.0.1:${p.dual_client}->127.0.0.1:${p.dual_server}`
    t.same(fieldsOf('dual_accepted'), {
      'fd.type': 'ipv4', 'fd.typechar': '4', 'fd.name': mapped, 'fd.l4proto': 'tcp', 'fd.cip': '127.0.0.1', 'fd.cport': p.dual_client,
      'fd.sip': '127.0.0.1', 'fd.sport': p.dual_server, 'fd.lip': '127.0.0.1', 'fd.lport': p.dual_server, 'fd.rip': '127.0.0.1', 'fd.rport': p.dual_client,
      'fd.is_server': true, 'fd.connected': true, 'fd.sockfamily': 'ip'
    }, 'an IPv4-mapped connection (in the tcp6 table) reads as IPv4')
    t.has(fieldsOf('dual_client'), { 'fd.type': 'ipv4', 'fd.name': mapped, 'fd.is_server': false })
  })

  t.test('UDP: a bound socket is a server socket; a connected one names both ends', async (t) => {
    t.same(fieldsOf('udp4_bound'), {
      'fd.type': 'ipv4', 'fd.typechar': '4', 'fd.name': `127.0.0.1:${p.udp4_server}`, 'fd.l4proto': 'udp', 'fd.cip': '0.0.0.0', 'fd.cport': 0,
      'fd.sip': '127.0.0.1', 'fd.sport': p.udp4_server, 'fd.lip': '127.0.0.1', 'fd.lport': p.udp4_server, 'fd.rip': '0.0.0.0', 'fd.rport': 0,
      'fd.is_server': true, 'fd.connected': false, 'fd.sockfamily': 'ip'
    })
    t.has(fieldsOf('udp4_connected'), { 'fd.name': `127.0.0.1:${p.udp4_client}->127.0.0.1:${p.udp4_server}`, 'fd.l4proto': 'udp', 'fd.is_server': false, 'fd.connected': true })
    t.has(fieldsOf('udp6_bound'), { 'fd.type': 'ipv6', 'fd.name': `::1:${p.udp6_server}`, 'fd.l4proto': 'udp', 'fd.is_server': true })
    t.has(fieldsOf('udp6_connected'), { 'fd.type': 'ipv6', 'fd.name': `::1:${p.udp6_client}->::1:${p.udp6_server}`, 'fd.is_server': false, 'fd.connected': true })
  })

  t.test('raw, netlink and packet sockets', async (t) => {
    // the kernel lists a raw socket's protocol in the port column (ICMP 1, ICMPv6 58)
    t.has(fieldsOf('raw4'), { 'fd.type': 'ipv4', 'fd.typechar': '4', 'fd.name': '0.0.0.0:1', 'fd.l4proto': 'raw', 'fd.sport': 1, 'fd.is_server': true, 'fd.sockfamily': 'ip' })
    t.has(fieldsOf('raw6'), { 'fd.type': 'ipv6', 'fd.typechar': '6', 'fd.name': ':::58', 'fd.l4proto': 'raw', 'fd.is_server': true })
    t.same(fieldsOf('netlink'), { 'fd.type': 'netlink', 'fd.typechar': 'n', 'fd.connected': false })
    t.same(fieldsOf('packet'), { 'fd.typechar': 'o', 'fd.connected': false }, 'in no table Falco reads: unknown')
  })

  t.test('unix sockets: a path, an abstract name, an unnamed pair', async (t) => {
    t.same(fieldsOf('unix_listen'), { 'fd.type': 'unix', 'fd.typechar': 'u', 'fd.name': `${zoo.dir}/zoo.sock`, 'fd.connected': false, 'fd.sockfamily': 'unix' })
    t.same(fieldsOf('unix_abstract'), { 'fd.type': 'unix', 'fd.typechar': 'u', 'fd.name': `@lanner-zoo-${zoo.pid}`, 'fd.connected': false, 'fd.sockfamily': 'unix' })
    t.same(fieldsOf('unix_pair'), { 'fd.type': 'unix', 'fd.typechar': 'u', 'fd.connected': false, 'fd.sockfamily': 'unix' })
  })
}
