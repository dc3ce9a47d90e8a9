// End to end on the real kernel: the eBPF probe's records, enriched, evaluated by the rules
// engine with Lanner's default syscall rules plus two test rules. A child `sh -c` opens a marker
// file and /etc/shadow, curls a loopback HTTP listener and hands a loopback socket to a shell as
// its stdio; the expected alerts must appear. Skips (with the reason) without root, BTF or clang.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes, randomUUID } from 'node:crypto'
import { networkInterfaces } from 'node:os'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { probeSkipReason } from '../fixtures/syscall/probe-harness.ts'
import { startProbe } from '../../src/syscall/loader.ts'
import { createEnricher } from '../../src/syscall/enrich.ts'
import { syscallSource } from '../../src/fields/syscall/index.ts'
import { loadRules } from '../../src/rules/index.ts'
import type { Alert } from '../../src/events/index.ts'
import { K8sIndex } from '../../src/k8s/metadata.ts'

const skip = probeSkipReason()
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'lanner-e2e-')))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const marker = join(dir, 'marker.txt')
  writeFileSync(marker, 'x\n')

  const http = createHttpServer((_req, res) => { res.end('ok\n') })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const httpPort = (http.address() as AddressInfo).port
  const held: Socket[] = []
  const tcp = createTcpServer((s) => { s.on('error', () => {}); held.push(s) })
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve))
  const tcpPort = (tcp.address() as AddressInfo).port
  t.teardown(() => { http.closeAllConnections(); http.close(); for (const s of held) s.destroy(); tcp.close() })

  const testRules = `
- rule: e2e marker opened
  desc: test rule
  condition: evt.type in (open, openat, openat2) and evt.dir=< and fd.name = "${marker}"
  output: "marker opened (proc=%proc.name parent=%proc.pname cmdline=%proc.cmdline file=%fd.name dir=%fd.directory pid=%proc.pid)"
  priority: NOTICE
- rule: e2e loopback connect
  desc: test rule
  condition: evt.type = connect and evt.dir=< and fd.sip = 127.0.0.1 and fd.sport = ${httpPort}
  output: "connect (proc=%proc.name conn=%fd.name proto=%fd.l4proto res=%evt.res container=%container.id pid=%proc.pid)"
  priority: NOTICE
`
  const loaded = loadRules([
    { name: 'syscall_rules.yaml', content: readFileSync(new URL('../../rules/syscall_rules.yaml', import.meta.url), 'utf8') },
    { name: 'e2e.yaml', content: testRules }
  ], { sources: [syscallSource], ruleMatching: 'all' })
  if (loaded.ruleset === undefined) throw new Error(JSON.stringify(loaded.errors))
  const rs = loaded.ruleset

  // pod metadata as the Kubernetes watch would deliver it, for the container test below
  const containerId = randomBytes(32).toString('hex')
  const k8s = new K8sIndex()
  k8s.upsertNamespace({ metadata: { name: 'testkatz', labels: { network: 'red' } } })
  k8s.upsertPod({
    metadata: { name: 'nginx', namespace: 'testkatz', uid: randomUUID() },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] },
    status: { containerStatuses: [{ name: 'nginx', containerID: `containerd://${containerId}` }] }
  })
  const enricher = createEnricher({ k8s })
  const alerts: Alert[] = []
  const probe = await startProbe({
    onRecords (batch) {
      for (const r of batch) rs.evaluate('syscall', enricher.enrich(r), (a) => alerts.push(a))
    }
  })
  t.teardown(async () => { await probe.stop() })

  t.test('a shell child produces the expected alerts', async (t) => {
    const script = [
      `cat ${marker} > /dev/null`,
      'cat /etc/shadow > /dev/null',
      `curl -s -m 5 http://127.0.0.1:${httpPort}/ > /dev/null`,
      `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${tcpPort}; exec sh -c "exit 0" <&3 >&3'`
    ].join('; ')
    const sh = spawn('sh', ['-c', script], { cwd: dir, stdio: 'ignore' })
    const shPid = sh.pid as number
    await new Promise((resolve) => sh.on('exit', resolve))

    const want = ['e2e marker opened', 'Read of a credentials file', 'e2e loopback connect', 'Shell with network standard input or output']
    const mine = (a: Alert) => a.message.includes(`parent=sh`) || a.message.includes(`pid=`) || a.rule.startsWith('Shell with')
    // records arrive asynchronously from the helper: wait (bounded) until every expected rule fired
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline && !want.every((w) => alerts.some((a) => a.rule === w && mine(a)))) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }

    const markerAlert = alerts.find((a) => a.rule === 'e2e marker opened')
    t.ok(markerAlert, 'marker open alert')
    t.match(markerAlert?.message, `proc=cat parent=sh cmdline=cat ${marker} file=${marker} dir=${dir}`)

    const shadow = alerts.find((a) => a.rule === 'Read of a credentials file' && a.message.includes('parent=sh'))
    t.ok(shadow, 'default rule: credentials file read by cat')
    t.match(shadow?.message, /file=\/etc\/shadow user=root process=cat cmdline=cat \/etc\/shadow parent=sh/)
    t.equal(shadow?.source, 'syscall')

    const conn = alerts.find((a) => a.rule === 'e2e loopback connect')
    t.ok(conn, 'connect alert')
    t.match(conn?.message, new RegExp(`proc=curl conn=127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${httpPort} proto=tcp res=(SUCCESS|EINPROGRESS) container=host`))

    const rev = alerts.find((a) => a.rule === 'Shell with network standard input or output' && a.message.includes(`:${tcpPort}`))
    t.ok(rev, 'default rule: shell with a socket as stdin/stdout')
    t.match(rev?.message, /shell=sh cmdline=sh -c exit 0 stdin=127\.0\.0\.1:\d+->127\.0\.0\.1:/)
    t.ok(shPid > 0)
  })

  // A host address that is not loopback: traffic to it stays inside this machine.
  const hostIp = Object.values(networkInterfaces()).flat().find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address
  const cpuRoot = '/sys/fs/cgroup/cpu'
  const containerSkip = hostIp === undefined ? 'no non-loopback IPv4 address on this host' : existsSync(join(cpuRoot, 'cgroup.procs')) ? undefined : 'no cgroup v1 cpu hierarchy'

  t.test('a pod process connecting out fires the seed outbound-connection rule', { skip: containerSkip ?? false }, async (t) => {
    const created: string[] = []
    let cg = cpuRoot
    for (const part of ['kubepods', 'besteffort', `pod${randomUUID()}`, containerId]) {
      cg = join(cg, part)
      if (!existsSync(cg)) { mkdirSync(cg); created.push(cg) }
    }
    t.teardown(async () => {
      for (const d of created.reverse()) {
        for (let i = 0; i < 20; i++) {
          try { rmdirSync(d); break } catch { await new Promise((resolve) => setTimeout(resolve, 50)) }
        }
      }
    })
    const listener = createHttpServer((_req, res) => { res.end('ok\n') })
    await new Promise<void>((resolve) => listener.listen(0, hostIp, resolve))
    t.teardown(() => { listener.closeAllConnections(); listener.close() })
    const port = (listener.address() as AddressInfo).port

    // the child waits until it has been moved into the container's cgroup
    const child = spawn('sh', ['-c', `read go; curl -s -m 5 http://${hostIp}:${port}/ > /dev/null`], { stdio: ['pipe', 'ignore', 'ignore'] })
    writeFileSync(join(cg, 'cgroup.procs'), String(child.pid))
    child.stdin.end('go\n')
    await new Promise((resolve) => child.on('exit', resolve))

    const deadline = Date.now() + 15_000
    const find = () => alerts.find((a) => a.rule === 'kubernetes outbound connection' && a.message.includes(`dstport=${port} `))
    while (Date.now() < deadline && find() === undefined) await new Promise((resolve) => setTimeout(resolve, 50))
    const hit = find()
    t.ok(hit, 'seed rule fired for the pod process')
    t.match(hit?.message, new RegExp(`^Outbound network traffic connection from a Pod: \\(pod=nginx namespace=testkatz srcip=${hostIp!.replaceAll('.', '\\.')} dstip=${hostIp!.replaceAll('.', '\\.')} dstport=${port} proto=tcp procname=curl\\)$`))
    const shell = alerts.find((a) => a.rule === 'Interactive shell in a container')
    t.equal(shell, undefined, 'the shell has no terminal: not interactive')
  })
}
