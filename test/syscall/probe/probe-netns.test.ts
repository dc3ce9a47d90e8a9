// Connects from inside a network namespace (a veth pair the test creates, a /30 from the test
// range via test/helpers/netns.ts) are seen with the namespace's addresses, and the host side's
// accept with the peer's. Deletes what it made.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { probeSkipReason, recordProbe } from '../../fixtures/syscall/probe-harness.ts'
import { createVethNamespace, ipSkipReason } from '../../helpers/netns.ts'

const skip = probeSkipReason() ?? ipSkipReason()

t.test('a connect across a veth from another network namespace', { skip: skip ?? false }, async t => {
  const { ns, hostIp, nsIp } = createVethNamespace(t)

  const rec = await recordProbe({ kinds: ['connect', 'accept', 'accept4'] })
  t.teardown(async function stop () { await rec.probe.stop() })
  const server = createServer(function onConn (s) { s.end() })
  await new Promise<void>(r => server.listen(0, hostIp, r))
  t.teardown(function close () { server.close() })
  const port = (server.address() as AddressInfo).port

  const child = spawn('ip', ['netns', 'exec', ns, 'bash', '-c', `exec 3<>/dev/tcp/${hostIp}/${port}`], { stdio: 'ignore' })
  const code = await new Promise(r => child.on('exit', r))
  t.equal(code, 0, 'the namespaced client connected')
  const seen = await rec.waitFor(
    r => (r.type === 'connect' && r.args.rport === port) || (r.type === 'accept4' && r.args.lport === port),
    m => m.some(r => r.type === 'connect') && m.some(r => r.type === 'accept4')
  )
  const connect = seen.find(r => r.type === 'connect')
  t.match(connect, { res: 0, comm: 'bash', args: { lip: nsIp, rip: hostIp, rport: port } })
  const accept = seen.find(r => r.type === 'accept4')
  t.match(accept, { pid: process.pid, args: { rip: nsIp, lip: hostIp, rport: connect?.args.lport } })
})
