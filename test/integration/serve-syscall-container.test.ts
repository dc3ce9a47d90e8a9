// `lanner serve --source syscall` end to end on the real probe, with emulated containers (cgroup
// leaves named by container ids, kubepods layout) whose pods come from a loopback apiserver:
// - upstream "Terminal shell in container" (../shared falco_rules.yaml, unchanged) for a bash on a
//   real pty whose parent is named runc, with terminal, loginuid and the pod in the alert;
// - our users' "kubernetes outbound connection" (the yaml block of seed-examples.md, verbatim)
//   for a namespace labelled network=red, quiet for network=green.
// (A container's users after its first process exited: serve-syscall-users.test.ts.)
// Skips (with the reason) without root, BTF, clang, iproute2, cgroup v1 cpu or python3.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ROOT } from './cli-child.ts'
import { probeSkipReason } from '../fixtures/syscall/probe-harness.ts'
import { kubeconfigYaml, namespaceObject, podObject, startFakeApiServer } from '../helpers/fake-apiserver.ts'
import { createVethNamespace, ipSkipReason, listenInNamespace } from '../helpers/netns.ts'
import { createPodCgroup, podCgroupSkipReason, runInCgroup } from '../helpers/pod-cgroup.ts'
import { spawnInCgroup } from '../helpers/cgroup-child.ts'
import { PTY_SHELL } from '../helpers/pty-shell.ts'
import { seedYamlBlock, standaloneNodeEnv, startSyscallServe, writeSyscallServeConfig, type JsonAlert } from '../helpers/serve-syscall.ts'
import { probeUnsupported, skipUnlessRequired } from '../helpers/probe-required.ts'

const UPSTREAM = path.resolve(ROOT, '../shared/reference/falco-rules/falco_rules.yaml')
const SEEDS = path.resolve(ROOT, '../shared/reference/seed-examples.md')

function toolSkipReason (): string | undefined {
  try { execFileSync('python3', ['-c', 'import os; os.login_tty'], { stdio: 'ignore' }) } catch { return 'python3 (3.11+, os.login_tty) missing' }
  return undefined
}

// every reason goes through skipUnlessRequired: in CI as root a missing tool fails instead of skipping
const skip = probeSkipReason() ?? podCgroupSkipReason() ?? ipSkipReason() ?? skipUnlessRequired(toolSkipReason())
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'lanner-serve-ctr-')))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

  const shellId = randomBytes(32).toString('hex') // the pod of kubectl exec, namespace network=red
  const quietId = randomBytes(32).toString('hex') // a pod in a namespace labelled network=green
  const api = await startFakeApiServer(t, {
    pods: [
      podObject({ name: 'nginx-6799fc88d8-996gz', namespace: 'testkatz', containerId: shellId, image: 'nginx:1.25' }),
      podObject({ name: 'web', namespace: 'quiet', containerId: quietId, image: 'nginx:1.25' })
    ],
    namespaces: [namespaceObject('testkatz', { network: 'red' }), namespaceObject('quiet', { network: 'green' })]
  })
  writeFileSync(path.join(dir, 'kubeconfig'), kubeconfigYaml(api.kubeConfig.getCurrentCluster()?.server ?? ''))

  // the seed rule exactly as users copy it from the blog post
  writeFileSync(path.join(dir, 'seed.yaml'), seedYamlBlock(readFileSync(SEEDS, 'utf8'), '## A custom syscall rule'))
  writeFileSync(path.join(dir, 'test.yaml'), `
- rule: e2e pod connect into the test network
  desc: a witness that a pod's connect was seen and enriched
  condition: evt.type = connect and evt.dir=< and fd.net = "198.18.0.0/15" and k8s.ns.name != ""
  output: "pod connect (ns=%k8s.ns.name pod=%k8s.pod.name network=%k8s.ns.label.network container=%container.id dst=%fd.sip:%fd.sport)"
  priority: NOTICE
`)
  // the -pk style suffix of the seed alert, the way Falco >= 0.39 users add it (append_output)
  const { config, alertsFile } = writeSyscallServeConfig(dir, [UPSTREAM, path.join(dir, 'seed.yaml'), path.join(dir, 'test.yaml')], `json_include_output_property: true
append_output:
  - match: {rule: Terminal shell in container}
    extra_output: "k8s.ns=%k8s.ns.name k8s.pod=%k8s.pod.name container=%container.id"
lanner:
  k8s:
    kubeconfig: kubeconfig
`)
  const started = await startSyscallServe(t, config, alertsFile, standaloneNodeEnv(dir, { NODE_NAME: 'node-1' }))
  if (typeof started === 'string') {
    probeUnsupported(t, started)
  } else {
    const { serve, alertWhere } = started
    t.ok(api.seen.some((r) => r.path === '/api/v1/pods'), 'pods came from the apiserver')
    t.equal(serve.logs.filter((l) => l.code === 'LOAD_ERR_EXTENSION').length, 0, 'the upstream file loads unchanged')

    t.test('a shell on a pty, parent runc, in a pod: upstream "Terminal shell in container"', async (t) => {
      // runc, as the container runtime's process: python3 under that name (comm = runc)
      const py = realpathSync(execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim())
      symlinkSync(py, path.join(dir, 'runc'))
      writeFileSync(path.join(dir, 'pty-shell.py'), PTY_SHELL)
      const loginuid = 4000 + Math.floor(Math.random() * 1000)
      const run = spawnInCgroup(t, createPodCgroup(t, shellId), [path.join(dir, 'runc'), path.join(dir, 'pty-shell.py'), String(loginuid), ''])
      t.equal(await run.exited, 0, `the shell ran and exited ${run.stderr()}`)
      const facts = JSON.parse(run.stdout()) as { pid: number, tty: number, loginuid: number }
      const want = facts.loginuid >= 0 ? loginuid : -1
      t.ok(facts.tty > 0, `a real pty (${facts.tty})`)

      const hit = await alertWhere((a) => a.rule === 'Terminal shell in container' && a.output.includes(`container=${shellId.slice(0, 12)}`))
      t.ok(hit, 'the upstream rule fired')
      t.match(hit?.output, new RegExp(`A shell was spawned in a container with an attached terminal \\| evt_type=execve user=root user_uid=0 user_loginuid=${want} process=bash proc_exepath=\\S*/bash parent=runc command=bash terminal=${facts.tty} exe_flags=EXE_WRITABLE k8s\\.ns=testkatz k8s\\.pod=nginx-6799fc88d8-996gz container=${shellId.slice(0, 12)}$`))
      t.match(hit, {
        priority: 'Notice',
        source: 'syscall',
        output_fields: {
          'proc.tty': facts.tty,
          'user.loginuid': want,
          'proc.pname': 'runc',
          'proc.name': 'bash',
          'k8s.ns.name': 'testkatz',
          'k8s.pod.name': 'nginx-6799fc88d8-996gz',
          'container.id': shellId.slice(0, 12)
        }
      })
      t.not(hit?.output_fields['proc.tty'], 0, 'terminal non-zero')
    })

    t.test('the seed outbound rule, through serve: network=red fires, network=green stays quiet', async (t) => {
      const net = createVethNamespace(t, 'lanner-sc-')
      const listener = await listenInNamespace(t, net.ns, net.nsIp)
      const url = `http://${net.nsIp}:${listener.port}/`
      const seedFor = (ns: string) => (a: JsonAlert) => a.rule === 'kubernetes outbound connection' && a.output.includes(`namespace=${ns} `) && a.output.includes(`dstport=${listener.port} `)
      const witnessFor = (ns: string) => (a: JsonAlert) => a.rule === 'e2e pod connect into the test network' && a.output.includes(`(ns=${ns} `) && a.output.includes(`dst=${net.nsIp}:${listener.port})`)
      const esc = (s: string) => s.replaceAll('.', '\\.')

      t.equal((await runInCgroup(createPodCgroup(t, shellId), `curl -s -m 5 ${url} > /dev/null`)).code, 0, 'curl from the red pod reached the listener')
      const red = await alertWhere(seedFor('testkatz'))
      t.ok(red, 'the seed rule fired for the red namespace')
      t.match(red?.output, new RegExp(`Outbound network traffic connection from a Pod: \\(pod=nginx-6799fc88d8-996gz namespace=testkatz srcip=${esc(net.hostIp)} dstip=${esc(net.nsIp)} dstport=${listener.port} proto=tcp procname=curl\\)$`))
      t.match(red, { priority: 'Warning', source: 'syscall', output_fields: { 'k8s.pod.name': 'nginx-6799fc88d8-996gz', 'fd.sport': listener.port, 'proc.name': 'curl' } })

      t.equal((await runInCgroup(createPodCgroup(t, quietId), `curl -s -m 5 ${url} > /dev/null`)).code, 0, 'curl from the green pod reached the listener')
      // rules are evaluated in turn on each event: once the witness fired for this connect, the
      // seed rule has had its chance on it
      const seen = await alertWhere(witnessFor('quiet'))
      t.ok(seen, 'the green pod\'s connect was seen and enriched')
      t.match(seen?.output, `network=green container=${quietId.slice(0, 12)}`)
      t.equal(started.alerts().find(seedFor('quiet')), undefined, 'no outbound alert for network=green')
    })

    t.test('SIGTERM exits 0', async (t) => {
      serve.child.kill('SIGTERM')
      t.equal((await serve.exited).code, 0)
    })
  }
}
