// Test helper: a real process holding one file descriptor of every kind Linux hands out that a
// test can make on loopback (pipes, a FIFO, eventfd, signalfd, timerfd, inotify, epoll, memfd,
// pidfd, userfaultfd, a directory, a file; TCP, UDP and raw sockets over IPv4 and IPv6, an
// IPv4-mapped connection, netlink, unix path/abstract/pair, packet). The kernel writes its
// /proc/<pid>/fd links and /proc/<pid>/net tables; nothing here imitates them. Not a test file.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Prints one JSON line: {fds: {what: fdNumber}, ports: {what: port}}, then holds everything open
 * until stdin closes. Every connection is accepted before the line is printed, so the tables list
 * both ends. Arguments: a scratch directory (the unix socket path and the FIFO live there).
 */
const ZOO = `
import ctypes, json, os, select, signal, socket, sys
d = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
keep, fds, ports = [], {}, {}
def hold(what, s):
    keep.append(s)
    fds[what] = s if isinstance(s, int) else s.fileno()
r, w = os.pipe(); hold('pipe', r); hold('pipe_w', w)
os.mkfifo(d + '/fifo'); hold('fifo', os.open(d + '/fifo', os.O_RDWR))
hold('eventfd', os.eventfd(0))
mask = (ctypes.c_ulong * 16)(); libc.sigemptyset(mask); libc.sigaddset(mask, signal.SIGUSR1)
hold('signalfd', libc.signalfd(-1, mask, 0))
hold('timerfd', libc.timerfd_create(1, 0))
hold('inotify', libc.inotify_init1(0))
hold('eventpoll', select.epoll())
hold('memfd', os.memfd_create('lanner-zoo'))
hold('pidfd', os.pidfd_open(os.getpid()))
uffd = libc.syscall(323, 0)  # userfaultfd(2); needs root or vm.unprivileged_userfaultfd
if uffd >= 0: hold('userfaultfd', uffd)
hold('directory', os.open(d, os.O_RDONLY | os.O_DIRECTORY))
hold('file', os.open('/etc/hostname', os.O_RDONLY))
hold('chardev', os.open('/dev/null', os.O_RDONLY))
nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); nl.bind((0, 0)); hold('netlink', nl)
hold('raw4', socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
hold('raw6', socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6))
hold('packet', socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0))
def tcp(tag, fam, host, connect_host=None):
    l = socket.socket(fam); l.bind((host, 0)); l.listen(); hold(tag + '_listen', l)
    ports[tag + '_server'] = l.getsockname()[1]
    c = socket.create_connection((connect_host or host, ports[tag + '_server'])); hold(tag + '_client', c)
    ports[tag + '_client'] = c.getsockname()[1]
    a, _ = l.accept(); hold(tag + '_accepted', a)
tcp('tcp4', socket.AF_INET, '127.0.0.1')
tcp('tcp6', socket.AF_INET6, '::1')
dual = socket.socket(socket.AF_INET6); dual.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
dual.bind(('::', 0)); dual.listen(); hold('dual_listen', dual); ports['dual_server'] = dual.getsockname()[1]
m = socket.create_connection(('127.0.0.1', ports['dual_server'])); hold('dual_client', m); ports['dual_client'] = m.getsockname()[1]
ma, _ = dual.accept(); hold('dual_accepted', ma)
def udp(tag, fam, host):
    b = socket.socket(fam, socket.SOCK_DGRAM); b.bind((host, 0)); hold(tag + '_bound', b); ports[tag + '_server'] = b.getsockname()[1]
    c = socket.socket(fam, socket.SOCK_DGRAM); c.connect((host, ports[tag + '_server'])); hold(tag + '_connected', c); ports[tag + '_client'] = c.getsockname()[1]
udp('udp4', socket.AF_INET, '127.0.0.1')
udp('udp6', socket.AF_INET6, '::1')
us = socket.socket(socket.AF_UNIX); us.bind(d + '/zoo.sock'); us.listen(); hold('unix_listen', us)
ua = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); ua.bind('\\0lanner-zoo-' + str(os.getpid())); hold('unix_abstract', ua)
p1, p2 = socket.socketpair(); hold('unix_pair', p1); hold('unix_pair_peer', p2)
print(json.dumps({'fds': fds, 'ports': ports}), flush=True)
sys.stdin.read()
`

export interface Zoo {
  pid: number
  /** fd number by kind ('tcp4_accepted', 'eventfd'…) */
  fds: Record<string, number>
  /** port by end ('tcp4_server', 'tcp4_client'…) */
  ports: Record<string, number>
  dir: string
  stop(): Promise<void>
}

/** why the zoo cannot run here (python3 3.10+ for os.eventfd/os.pidfd_open), or undefined */
export function zooMissing (): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import os; os.eventfd; os.pidfd_open'], { stdio: 'ignore' })
    return process.getuid?.() === 0 ? undefined : 'raw, packet sockets and userfaultfd need root'
  } catch {
    return 'python3 (3.10+, os.eventfd and os.pidfd_open) missing'
  }
}

/** Starts the zoo and resolves once it holds every fd (bounded: fails after `ms`). */
export async function startZoo (ms = 30_000): Promise<Zoo> {
  const dir = mkdtempSync(join(tmpdir(), 'lanner-zoo-'))
  const child: ChildProcess = spawn('python3', ['-c', ZOO, dir], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr?.on('data', function onErr (b: Buffer) { err += b.toString() })
  const line = await new Promise<string>(function ready (resolve, reject) {
    const timer = setTimeout(function late () { reject(new Error(`fd zoo not ready after ${ms} ms: ${err}`)) }, ms)
    child.stdout?.on('data', function onOut (b: Buffer) {
      out += b.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) { clearTimeout(timer); resolve(out.slice(0, nl)) }
    })
    child.on('exit', function early (code) { clearTimeout(timer); reject(new Error(`fd zoo exited (${code}): ${err}`)) })
  })
  const { fds, ports } = JSON.parse(line) as { fds: Record<string, number>, ports: Record<string, number> }
  return {
    pid: child.pid as number,
    fds,
    ports,
    dir,
    async stop () {
      if (child.exitCode === null) {
        const gone = new Promise(function exited (resolve) { child.once('exit', resolve) })
        child.stdin?.end()
        await gone
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
