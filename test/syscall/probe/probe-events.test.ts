// The probe on the real kernel: a child's exec/open/exit, a loopback TCP connect and accept, and
// file operations, each seen with its arguments and results. Skips (with the reason) without
// root, BTF or clang. One probe for the file; always stopped.
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, statSync, linkSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { createConnection, createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { probeSkipReason, recordProbe, type Recorder } from '../../fixtures/syscall/probe-harness.ts'
import type { SyscallRecord } from '../../../src/syscall/record.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { skipUnlessRequired } from '../../helpers/probe-required.ts'

const skip = probeSkipReason()
// tools some cases need, checked before the probe starts (a throw in CI as root fails the file)
const noPython = skipUnlessRequired(existsSync('/usr/bin/python3') ? undefined : 'python3 not installed')
const noBpftool = skipUnlessRequired(existsSync('/usr/sbin/bpftool') ? undefined : 'bpftool not installed')
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const rec: Recorder = await recordProbe()
  t.teardown(async function stopProbe () { await rec.probe.stop() })
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lanner-probe-')))
  t.teardown(function cleanup () { rmSync(dir, { recursive: true, force: true }) })


  t.test('a shell child: execve with exe, args and cwd; openat of /etc/hostname; procexit', async t => {
    const before = BigInt(Date.now()) * 1_000_000n
    const sh = spawn('sh', ['-c', 'cat /etc/hostname; exec true'], { cwd: dir, stdio: 'ignore' })
    const shPid = sh.pid!
    await new Promise(function wait (r) { sh.on('exit', r) })
    const mine = await rec.waitFor(
      function related (r) { return r.pid === shPid || r.ppid === shPid },
      function complete (m) { return m.filter(r => r.type === 'procexit').length >= 2 }
    )
    const after = BigInt(Date.now()) * 1_000_000n

    const shExec = mine.find(r => r.type === 'execve' && r.pid === shPid && r.argv?.[0] === 'sh')
    t.ok(shExec, 'execve of sh seen')
    t.match(shExec, { dir: '<', res: 0, args: { exe: 'sh', args: 'cat /etc/hostname; exec true', cwd: dir } })
    t.match(String(shExec?.args.filename), /\/sh$/)
    t.equal(shExec?.args.trusted_exepath, realpathSync(String(shExec?.args.filename)), 'the kernel\'s path of the executable, symlinks resolved')
    t.ok(shExec !== undefined && shExec.ts >= before - 1_000_000_000n && shExec.ts <= after + 1_000_000_000n, 'timestamp is epoch ns')
    t.equal(shExec?.containerId, '', 'a host process has no container id')
    t.equal(shExec?.ppid, process.pid, 'ppid is the spawning process')

    const cat = mine.find(r => r.type === 'execve' && r.ppid === shPid && r.args.exe === 'cat')
    t.ok(cat, 'execve of cat seen')
    t.match(cat, { res: 0, comm: 'cat', args: { args: '/etc/hostname', cwd: dir } })
    const catPid = cat?.pid ?? -1
    const fork = mine.find(r => ['clone', 'clone3', 'fork', 'vfork'].includes(r.type) && r.pid === shPid && r.res === catPid)
    t.ok(fork, 'the shell\'s fork returned the cat pid')

    const open = mine.find(r => r.type === 'openat' && r.pid === catPid && r.args.name === '/etc/hostname')
    t.ok(open, 'openat of /etc/hostname seen')
    t.ok(open !== undefined && open.res! >= 0, 'it succeeded')
    t.equal(open?.args.fd, open?.res, 'fd is the result')
    t.equal(Number(open?.args.flags) & 3, 0, 'O_RDONLY')
    t.equal(open?.args.dirfd, -100, 'AT_FDCWD')

    t.match(mine.find(r => r.type === 'procexit' && r.pid === catPid), { dir: '>', args: { ret: 0, sig: 0 } }, 'cat exited 0')
    const trueExec = mine.find(r => r.type === 'execve' && r.pid === shPid && r.args.exe === 'true')
    t.match(String(trueExec?.args.filename), /\/true$/, 'exec true replaced the shell in place')
    t.ok(mine.some(r => r.type === 'procexit' && r.pid === shPid), 'procexit of the shell pid')
  })

  t.test('a very deep cwd is cut to its leaf-most components, never corrupting the record', async t => {
    const part = 'd'.repeat(200)
    let deep = dir
    for (let i = 0; i < 19; i++) deep = join(deep, `${i % 10}${part}`)
    mkdirSync(deep, { recursive: true })
    const sh = spawn('/bin/true', ['deep-marker'], { cwd: deep, stdio: 'ignore' })
    const pid = sh.pid!
    await new Promise(function wait (r) { sh.on('exit', r) })
    const ex = await rec.waitFor(r => r.type === 'execve' && r.pid === pid && r.res === 0, m => m.length > 0)
    t.same(ex[0]?.argv, ['/bin/true', 'deep-marker'])
    const cwd = String(ex[0]?.args.cwd)
    t.ok(deep.endsWith(cwd), 'a suffix of the real cwd')
    t.ok(cwd.length > 3000, `most of it is kept (${cwd.length} of ${deep.length} characters)`)
    const exe = ex[0]?.args.trusted_exepath
    t.ok(exe === undefined || exe === realpathSync('/bin/true'), `the executable's path is whole or absent, never cut (${String(exe)})`)
  })

  t.test('exe facts: inode, memfd execution, overlayfs upper layer', async t => {
    const trueBin = realpathSync('/bin/true')
    const plain = spawn(trueBin, ['plain-marker'], { stdio: 'ignore' })
    await new Promise(r => plain.on('exit', r))
    const p = await rec.waitFor(r => r.type === 'execve' && r.pid === plain.pid && r.res === 0, m => m.length > 0)
    t.match(p[0]?.args, { exe_ino: statSync(trueBin).ino, exe_from_memfd: 0, exe_upper_layer: 0, exe_writable: 1 })

    t.test('memfd', { skip: noPython ?? false }, async t => {
      const code = 'import os\nfd=os.memfd_create("lanner")\nos.write(fd, open("/bin/true","rb").read())\nos.execv(f"/proc/self/fd/{fd}", ["memfd-marker"])'
      const child = spawn('python3', ['-c', code], { stdio: 'ignore' })
      await new Promise(r => child.on('exit', r))
      const m = await rec.waitFor(r => r.type === 'execve' && r.pid === child.pid && r.argv?.[0] === 'memfd-marker', m => m.length > 0)
      t.match(m[0]?.args, { exe_from_memfd: 1, exe_nlink: 0, exepath: 'memfd:lanner' })
      t.match(String(m[0]?.args.filename), /^\/proc\/self\/fd\/\d+$/, 'exec was given the fd\'s path')
      // the same record through enrichment and the field table, as a rule would read it
      const ev = createEnricher({ scan: false }).enrich(m[0]!)
      t.equal(syscallFields.bind('proc.is_exe_from_memfd', undefined)(ev), true, 'proc.is_exe_from_memfd')
      t.equal(syscallFields.bind('proc.exe_ino', undefined)(ev), m[0]?.args.exe_ino, 'proc.exe_ino')
      t.equal(syscallFields.bind('proc.exepath', undefined)(ev), 'memfd:lanner', 'proc.exepath is the memfd\'s own name, as Falco shows it')
    })

    t.test('overlayfs', async t => {
      const base = join(dir, 'ovl')
      for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(base, d), { recursive: true })
      copyFileSync(trueBin, join(base, 'lower', 'lower-true'))
      chmodSync(join(base, 'lower', 'lower-true'), 0o755)
      execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${base}/lower,upperdir=${base}/upper,workdir=${base}/work`, join(base, 'merged')])
      t.teardown(function umount () { execFileSync('umount', [join(base, 'merged')]) })
      // written through the merged view: the copy lives in the upper (container) layer
      copyFileSync(trueBin, join(base, 'merged', 'dropped-true'))
      chmodSync(join(base, 'merged', 'dropped-true'), 0o755)
      for (const name of ['lower-true', 'dropped-true']) {
        const c = spawn(join(base, 'merged', name), [], { stdio: 'ignore' })
        await new Promise(r => c.on('exit', r))
        const e = await rec.waitFor(r => r.type === 'execve' && r.pid === c.pid && r.res === 0, m => m.length > 0)
        t.equal(e[0]?.args.exe_upper_layer, name === 'dropped-true' ? 1 : 0, name)
      }
    })
  })

  t.test('bpf() from another process is recorded with its command', { skip: noBpftool ?? false }, async t => {
    const tool = spawn('/usr/sbin/bpftool', ['map', 'show'], { stdio: 'ignore' })
    await new Promise(r => tool.on('exit', r))
    const calls = await rec.waitFor(r => r.type === 'bpf' && r.pid === tool.pid, m => m.length > 0)
    t.ok(calls.length > 0, 'bpftool\'s bpf() calls seen')
    t.ok(calls.every(r => typeof r.args.cmd === 'number'), 'each with a cmd')
  })

  t.test('a failing child: procexit carries the exit code', async t => {
    const sh = spawn('sh', ['-c', 'exit 3'], { stdio: 'ignore' })
    const pid = sh.pid!
    await new Promise(function wait (r) { sh.on('exit', r) })
    const ex = await rec.waitFor(r => r.type === 'procexit' && r.pid === pid, m => m.length > 0)
    t.match(ex[0], { args: { ret: 3, sig: 0 } })
  })

  t.test('loopback TCP: bind/listen of the listener, connect (res 0 or EINPROGRESS), accept', async t => {
    const server = createServer(function onConn (s) { s.end() })
    await new Promise<void>(function listen (r) { server.listen(0, '127.0.0.1', r) })
    t.teardown(function close () { server.close() })
    const port = (server.address() as AddressInfo).port
    const sock = createConnection({ host: '127.0.0.1', port })
    await new Promise(function connected (r) { sock.on('connect', r) })
    sock.destroy()
    const me = process.pid
    const isMine = (r: SyscallRecord): boolean => r.pid === me && (r.args.lport === port || r.args.rport === port)
    const net = await rec.waitFor(
      function mineNet (r) { return isMine(r) || (r.pid === me && ['bind', 'listen'].includes(r.type) && r.args.lport === port) },
      function complete (m) { return ['bind', 'listen', 'connect', 'accept4'].every(type => m.some(r => r.type === type && isMine(r))) }
    )
    const connect = net.find(r => r.type === 'connect')
    t.ok(connect, 'connect seen')
    t.ok(connect?.res === 0 || connect?.res === -115, `connect result is 0 or -EINPROGRESS (got ${connect?.res})`)
    t.match(connect?.args, { family: 'ipv4', l4proto: 'tcp', rip: '127.0.0.1', rport: port, lip: '127.0.0.1', addr: `127.0.0.1:${port}` })
    t.match(String(connect?.args.tuple), new RegExp(`^127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}$`))
    const accept = net.find(r => r.type === 'accept4')
    t.ok(accept, 'accept4 seen')
    t.equal(accept?.args.fd, accept?.res, 'accept returns the new fd')
    t.match(accept?.args, { lport: port, rport: connect?.args.lport })
    t.equal(accept?.args.tuple, `127.0.0.1:${String(connect?.args.lport)}->127.0.0.1:${port}`, 'client first')
    t.match(net.find(r => r.type === 'bind'), { res: 0, args: { lip: '127.0.0.1', lport: port } })
    t.match(net.find(r => r.type === 'listen'), { res: 0, args: { lport: port } })
  })

  t.test('UDP on loopback: sendto and recvfrom (opt-in kind) with addresses', { skip: noPython ?? false }, async t => {
    const udp = await recordProbe({ kinds: ['sendto', 'recvfrom'] })
    t.teardown(async function stop () { await udp.probe.stop() })
    const py = 'import socket\ns=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(("127.0.0.1", 0))\ns.sendto(b"ping", s.getsockname())\nprint(s.recvfrom(16)[1][1])'
    const child = spawn('python3', ['-c', py], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (b: Buffer) => { out += b.toString() })
    await new Promise(r => child.on('close', r))
    const port = Number(out.trim())
    const got = await udp.waitFor(r => r.pid === child.pid, m => m.some(r => r.type === 'recvfrom'))
    t.match(got.find(r => r.type === 'sendto'), { res: 4, args: { size: 4, addr: `127.0.0.1:${port}`, rport: port, l4proto: 'udp' } })
    t.match(got.find(r => r.type === 'recvfrom'), { res: 4, args: { addr: `127.0.0.1:${port}`, lport: port, l4proto: 'udp' } })
    t.notOk(rec.records.some(r => r.type === 'recvfrom'), 'the default probe leaves recvfrom out')
  })

  t.test('file operations: unlink, rename, chmod from this process and from coreutils', async t => {
    const a = join(dir, 'a.txt')
    const b = join(dir, 'b.txt')
    writeFileSync(a, 'x')
    renameSync(a, b)
    chmodSync(b, 0o600)
    unlinkSync(b)
    const sh = spawn('sh', ['-c', 'touch c; mv c d; chmod 640 d; rm d'], { cwd: dir, stdio: 'ignore' })
    await new Promise(function wait (r) { sh.on('exit', r) })
    const inDir = (r: SyscallRecord): boolean => Object.values(r.args).some(v => typeof v === 'string' && (v.startsWith(dir) || /^[a-d](\.txt)?$/.test(v)))
    const ops = await rec.waitFor(
      r => ['rename', 'renameat', 'renameat2', 'chmod', 'fchmodat', 'unlink', 'unlinkat', 'openat'].includes(r.type) && inDir(r),
      m => m.some(r => r.type === 'unlinkat' && r.args.name === 'd')
    )
    const me = process.pid
    t.match(ops.find(r => r.type === 'rename' && r.pid === me && r.args.oldpath === a), { res: 0, args: { newpath: b } })
    t.match(ops.find(r => r.type === 'chmod' && r.pid === me && r.args.filename === b), { res: 0, args: { mode: 0o600 } })
    t.match(ops.find(r => r.type === 'unlink' && r.pid === me && r.args.path === b), { res: 0 })
    const created = ops.find(r => r.type === 'openat' && r.args.name === 'c')
    t.ok(created !== undefined && (Number(created.args.flags) & 0o100) !== 0, 'touch opened c with O_CREAT')
    t.match(ops.find(r => r.type.startsWith('rename') && r.args.oldpath === 'c'), { res: 0, args: { newpath: 'd' } })
    t.match(ops.find(r => r.type === 'fchmodat' && r.args.filename === 'd'), { res: 0, args: { mode: 0o640, dirfd: -100 } })
    t.match(ops.find(r => r.type === 'unlinkat' && r.args.name === 'd'), { res: 0, args: { dirfd: -100 } })
  })

  t.test('directories and links: mkdir, symlink, link, rmdir', async t => {
    const d = join(dir, 'sub')
    const target = join(dir, 'target')
    writeFileSync(target, 'x')
    mkdirSync(d, 0o750)
    symlinkSync(target, join(d, 'sym'))
    linkSync(target, join(d, 'hard'))
    unlinkSync(join(d, 'sym'))
    unlinkSync(join(d, 'hard'))
    rmdirSync(d)
    const me = process.pid
    const ops = await rec.waitFor(
      r => r.pid === me && ['mkdir', 'symlink', 'link', 'rmdir'].includes(r.type),
      m => m.some(r => r.type === 'rmdir')
    )
    t.match(ops.find(r => r.type === 'mkdir' && r.args.path === d), { res: 0, args: { mode: 0o750 } })
    t.match(ops.find(r => r.type === 'symlink'), { res: 0, args: { target, linkpath: join(d, 'sym') } })
    t.match(ops.find(r => r.type === 'link'), { res: 0, args: { oldpath: target, newpath: join(d, 'hard') } })
    t.match(ops.find(r => r.type === 'rmdir'), { res: 0, args: { path: d } })
  })

  t.test('stats arrive periodically with per-CPU drop counters', async t => {
    const stats = await rec.waitStats(2)
    const last = stats[stats.length - 1]!
    t.ok(last.dropsPerCpu.length >= 1, 'one counter per CPU')
    t.equal(last.drops, last.dropsPerCpu.reduce((x, y) => x + y, 0))
    t.ok(last.records > 0, 'records forwarded')
    t.equal(last.helperPid, rec.probe.pid)
    t.equal(last.decodeErrors, 0, 'no record failed to decode')
    t.same(rec.errors, [], 'no helper errors')
    t.notOk(rec.records.some(r => r.pid === rec.probe.pid), 'the helper\'s own syscalls are filtered out')
  })

}
