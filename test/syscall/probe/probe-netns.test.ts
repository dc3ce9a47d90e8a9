// Connects from inside a network namespace (a veth pair the test creates, 198.18.0.0/30) are seen
// with the namespace's addresses, and the host side's accept with the peer's. Deletes what it made.
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { probeSkipReason, recordProbe } from '../../fixtures/syscall/probe-harness.ts'

const skip = probeSkipReason() ?? (existsSync('/usr/sbin/ip') || existsSync('/sbin/ip') || existsSync('/usr/bin/ip') ? undefined : 'iproute2 (ip) not installed')

function ip (...args: string[]): void {
  execFileSync('ip', args, { stdio: 'ignore' })
}

t.test('a connect across a veth from another network namespace', { skip: skip ?? false }, async t => {
  const tag = randomBytes(3).toString('hex')
  const ns = `lanner-${tag}`
  const host = `lnv${tag}a`
  const peer = `lnv${tag}b`
  ip('netns', 'add', ns)
  t.teardown(function removeNs () {
    try { ip('netns', 'del', ns) } catch { /* already gone */ }
    try { ip('link', 'del', host) } catch { /* removed with the namespace */ }
  })
  ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer)
  ip('link', 'set', peer, 'netns', ns)
  ip('addr', 'add', '198.18.0.1/30', 'dev', host)
  ip('link', 'set', host, 'up')
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', '198.18.0.2/30', 'dev', peer)
  ip('netns', 'exec', ns, 'ip', 'link', 'set', peer, 'up')

  const rec = await recordProbe({ kinds: ['connect', 'accept', 'accept4'] })
  t.teardown(async function stop () { await rec.probe.stop() })
  const server = createServer(function onConn (s) { s.end() })
  await new Promise<void>(r => server.listen(0, '198.18.0.1', r))
  t.teardown(function close () { server.close() })
  const port = (server.address() as AddressInfo).port

  const child = spawn('ip', ['netns', 'exec', ns, 'bash', '-c', `exec 3<>/dev/tcp/198.18.0.1/${port}`], { stdio: 'ignore' })
  const code = await new Promise(r => child.on('exit', r))
  t.equal(code, 0, 'the namespaced client connected')
  const seen = await rec.waitFor(
    r => (r.type === 'connect' && r.args.rport === port) || (r.type === 'accept4' && r.args.lport === port),
    m => m.some(r => r.type === 'connect') && m.some(r => r.type === 'accept4')
  )
  const connect = seen.find(r => r.type === 'connect')
  t.match(connect, { res: 0, comm: 'bash', args: { lip: '198.18.0.2', rip: '198.18.0.1', rport: port } })
  const accept = seen.find(r => r.type === 'accept4')
  t.match(accept, { pid: process.pid, args: { rip: '198.18.0.2', lip: '198.18.0.1', rport: connect?.args.lport } })
})
