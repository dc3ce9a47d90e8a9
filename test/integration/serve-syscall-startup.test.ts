// `lanner serve --source syscall` start-up failures, over fake probe helpers (LANNER_PROBE_HELPER,
// no privileges): a helper that cannot load the programs (exit 3: ERR_SYSCALL_UNSUPPORTED) stops
// serve with that code, its admin server and metadata watch shut; a kubeconfig that cannot be
// read is logged (ERR_K8S_WATCH) and serve goes on without k8s.* metadata.
import t from 'tap'
import { chmodSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { startServe, untilServing, type LogLine } from '../helpers/serve-child.ts'
import { fakeHelperHello, NEVER_FIRING_RULE, startServeOverFakeHelper, writeFakeHelper } from '../helpers/serve-syscall.ts'

function script (dir: string, name: string, body: string): string {
  const bin = path.join(dir, name)
  writeFileSync(bin, `#!/bin/sh\n${body}\n`)
  chmodSync(bin, 0o755)
  return bin
}

/** a helper that says HELLO and stays up until stdin closes */
function helloHelper (dir: string): string {
  return writeFakeHelper(dir, 'hello-probe.mjs', `${fakeHelperHello()}
process.stdin.resume()
process.stdin.on('end', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
`)
}

function envFor (dir: string, helper: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LANNER_PROBE_HELPER: helper, KUBECONFIG: path.join(dir, 'no-kubeconfig'), HOME: dir, ...extra }
  delete env.KUBERNETES_SERVICE_HOST
  return env
}

t.test('a helper that cannot load the probe: serve exits non-zero with ERR_SYSCALL_UNSUPPORTED, saying why', async (t) => {
  const dir = t.testdir({ 'rules.yaml': NEVER_FIRING_RULE })
  const helper = script(dir, 'no-bpf', 'echo "lanner-probe: load failed: Operation not permitted" >&2; exit 3')
  const serve = startServeOverFakeHelper(t, dir, path.join(dir, 'rules.yaml'), helper, { HOME: dir })
  const exit = await serve.exited
  t.not(exit.code, 0, 'a failed start is a failed process')
  t.match(serve.stderr(), /ERR_SYSCALL_UNSUPPORTED[^\n]*Operation not permitted/)
  t.ok(serve.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('admin server listening')), 'the admin server had started (health first)')
  t.notOk(serve.logs.some((l) => l.msg === 'syscall probe running'))
})

t.test('an unreadable lanner.k8s.kubeconfig is logged as ERR_K8S_WATCH; serve runs on without k8s metadata', async (t) => {
  const dir = t.testdir({ 'rules.yaml': NEVER_FIRING_RULE, 'kubeconfig': 'clusters: [this is: not {valid yaml' })
  writeFileSync(path.join(dir, 'lanner.yaml'), [
    'rules_files: [rules.yaml]', 'stdout_output: {enabled: false}', 'watch_config_files: false',
    'webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0}',
    'lanner:', '  k8s:', '    kubeconfig: kubeconfig', ''
  ].join('\n'))
  const serve = startServe(t, ['serve', '--source', 'syscall', '-c', path.join(dir, 'lanner.yaml')], { env: envFor(dir, helloHelper(dir)) })
  // (loading @kubernetes/client-node takes seconds on a busy machine: generous bounds)
  const bad = await untilServing(serve, () => serve.logs.find((l: LogLine) => l.code === 'ERR_K8S_WATCH'), 'the kubeconfig error', 90_000)
  t.match(bad, { msg: 'cannot use the kubeconfig: k8s.* fields stay absent', kubeconfig: path.join(dir, 'kubeconfig'), err: /1:25/ })
  await untilServing(serve, () => serve.logs.some((l) => l.msg === 'syscall probe running'), 'the probe to start', 90_000)
  t.notOk(serve.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('no Kubernetes API')), 'not also told there is no kubeconfig')
  serve.child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null }, 'SIGTERM exits 0')
})
