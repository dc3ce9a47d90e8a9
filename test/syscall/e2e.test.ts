// End to end on the real kernel: the eBPF probe's records, enriched with pod metadata from a fake
// apiserver (list + watch), evaluated with Lanner's default syscall rules plus test rules. Host
// children hit loopback listeners; pod processes (containerd-like cgroups) connect into a network
// namespace this test creates. Skips (with the reason) without root, BTF, clang or iproute2.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { probeSkipReason } from '../fixtures/syscall/probe-harness.ts'
import { startProbe } from '../../src/syscall/loader.ts'
import { createEnricher } from '../../src/syscall/enrich.ts'
import { syscallSource } from '../../src/syscall/fields/index.ts'
import { loadRules } from '../../src/rules/index.ts'
import type { Alert } from '../../src/events/index.ts'
import { createK8sWatch } from '../../src/k8s/watch.ts'
import { namespaceObject, podObject, startFakeApiServer } from '../helpers/fake-apiserver.ts'
import { createVethNamespace, ipSkipReason, listenInNamespace } from '../helpers/netns.ts'
import { createPodCgroup, podCgroupSkipReason, runInCgroup } from '../helpers/pod-cgroup.ts'

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
- rule: e2e pod connect into the test network
  desc: test rule, a witness that the pod's connect was seen and enriched
  condition: evt.type = connect and evt.dir=< and fd.net = "198.18.0.0/15" and k8s.ns.name != ""
  output: "pod connect (ns=%k8s.ns.name pod=%k8s.pod.name network=%k8s.ns.label.network container=%container.id dst=%fd.sip:%fd.sport)"
  priority: NOTICE
`
  const loaded = loadRules([
    { name: 'syscall_rules.yaml', content: readFileSync(new URL('../../rules/syscall_rules.yaml', import.meta.url), 'utf8') },
    // the community seed rule, shipped as an example rather than a default (it floods a healthy cluster)
    { name: 'kubernetes_outbound_connection.yaml', content: readFileSync(new URL('../../examples/rules/kubernetes_outbound_connection.yaml', import.meta.url), 'utf8') },
    { name: 'e2e.yaml', content: testRules }
  ], { sources: [syscallSource], ruleMatching: 'all' })
  if (loaded.ruleset === undefined) throw new Error(JSON.stringify(loaded.errors))
  const rs = loaded.ruleset

  // pods and namespaces come from a loopback apiserver through the same watch syscall mode uses:
  // nginx's namespace is monitored (network=red), web's is not (network=green, in k8s_not_monitored)
  const loudId = randomBytes(32).toString('hex')
  const quietId = randomBytes(32).toString('hex')
  const api = await startFakeApiServer(t, {
    pods: [
      podObject({ name: 'nginx', namespace: 'testkatz', containerId: loudId, image: 'nginx:1.25' }),
      podObject({ name: 'web', namespace: 'quiet', containerId: quietId, image: 'nginx:1.25' })
    ],
    namespaces: [namespaceObject('testkatz', { network: 'red' }), namespaceObject('quiet', { network: 'green' })]
  })
  let onK8sChange = () => {}
  const k8sErrors: string[] = []
  const watch = createK8sWatch({ kubeConfig: api.kubeConfig, nodeName: 'node-1', onChange: () => onK8sChange(), onError: (e) => k8sErrors.push(e.code) })
  t.teardown(() => { watch.stop() })
  await watch.start()
  const k8s = watch.index
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
    t.match(rev?.message, / parent=sh /, 'its parent is the sh this test spawned (bash exec\'d the shell in place)')
  })

  const podSkip = ipSkipReason() ?? podCgroupSkipReason()

  t.test('pod processes connecting into a test network namespace', { skip: podSkip ?? false }, async (t) => {
    t.same(k8sErrors, [], 'the initial lists succeeded')
    t.equal(api.seen.find((r) => r.path === '/api/v1/pods')?.query.get('fieldSelector'), 'spec.nodeName=node-1', 'only this node\'s pods were asked for')
    t.equal(k8s.container(loudId)?.pod.name, 'nginx', 'the watch listed the monitored pod')
    t.equal(k8s.container(quietId)?.pod.name, 'web', 'the watch listed the unmonitored pod')
    t.same(k8s.namespaceLabels('quiet'), { network: 'green', 'kubernetes.io/metadata.name': 'quiet' }, 'labels as the apiserver has them (with its automatic name label)')

    // the only reachable peer: a listener inside a namespace of our own, over a veth pair
    const net = createVethNamespace(t, 'lanner-e2e-')
    const listener = await listenInNamespace(t, net.ns, net.nsIp)
    const url = `http://${net.nsIp}:${listener.port}/`
    const dst = `dst=${net.nsIp}:${listener.port})`
    const esc = (s: string) => s.replaceAll('.', '\\.')

    /** Runs `curl url` in a fresh kubepods/besteffort/pod<uid>/<containerId> cgroup, like containerd's v1 layout. */
    async function curlFromPod (t: { teardown (fn: () => void | Promise<void>): void }, containerId: string): Promise<number | null> {
      return (await runInCgroup(createPodCgroup(t, containerId), `curl -s -m 5 ${url} > /dev/null`)).code
    }

    /** Waits (bounded) for the first alert matching `pred`. */
    async function alertWhere (pred: (a: Alert) => boolean): Promise<Alert | undefined> {
      // generous: it returns as soon as the alert shows; the probe and the enrichment lag on a loaded machine
      const deadline = Date.now() + 60_000
      while (Date.now() < deadline && alerts.find(pred) === undefined) await new Promise((resolve) => setTimeout(resolve, 50))
      return alerts.find(pred)
    }
    const seedFor = (ns: string) => (a: Alert) => a.rule === 'kubernetes outbound connection' && a.message.includes(`namespace=${ns} `) && a.message.includes(`dstport=${listener.port} `)
    const witnessFor = (ns: string) => (a: Alert) => a.rule === 'e2e pod connect into the test network' && a.message.includes(`(ns=${ns} `) && a.message.endsWith(dst)

    t.test('a monitored namespace: the seed outbound-connection rule fires', async (t) => {
      t.equal(await curlFromPod(t, loudId), 0, 'curl reached the namespaced listener')
      const hit = await alertWhere(seedFor('testkatz'))
      t.ok(hit, 'seed rule fired for the pod process')
      t.match(hit?.message, new RegExp(`^Outbound network traffic connection from a Pod: \\(pod=nginx namespace=testkatz srcip=${esc(net.hostIp)} dstip=${esc(net.nsIp)} dstport=${listener.port} proto=tcp procname=curl\\)$`))
      t.equal(hit?.source, 'syscall')
      t.equal(alerts.find((a) => a.rule === 'Interactive shell in a container'), undefined, 'the shell has no terminal: not interactive')
    })

    t.test('a namespace labelled network=green (k8s_not_monitored): the seed rule stays quiet', async (t) => {
      t.equal(await curlFromPod(t, quietId), 0, 'curl reached the namespaced listener')
      // every rule is evaluated on the same event in turn, so once the witness rule has fired for
      // this connect the seed rule has already had its chance on it
      const seen = await alertWhere(witnessFor('quiet'))
      t.ok(seen, 'the connect was seen and enriched')
      t.match(seen?.message, `pod connect (ns=quiet pod=web network=green container=${quietId.slice(0, 12)} ${dst}`)
      t.equal(alerts.find(seedFor('quiet')), undefined, 'no outbound alert for the unmonitored namespace')
      t.ok(alerts.find(seedFor('testkatz')), 'while the monitored pod\'s alert stands')
    })

    t.test('relabelling the namespace through a watch event turns the rule back on', async (t) => {
      const relabelled = new Promise<void>((resolve) => {
        onK8sChange = () => { if (k8s.namespaceLabels('quiet')?.network === 'red') { onK8sChange = () => {}; resolve() } }
      })
      await api.bothWatching
      api.push('namespaces', 'MODIFIED', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quiet', labels: { network: 'red' }, resourceVersion: '12' } })
      await relabelled
      t.equal(await curlFromPod(t, quietId), 0, 'curl reached the namespaced listener')
      const hit = await alertWhere(seedFor('quiet'))
      t.ok(hit, 'seed rule fired once the label left k8s_not_monitored')
      t.match(hit?.message, /pod=web namespace=quiet .*procname=curl\)$/)
    })
  })
}
