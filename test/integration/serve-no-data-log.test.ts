// `lanner serve --source syscall` says at start which rules use a field Lanner never fills
// (LOAD_FIELD_NO_DATA at warn level, naming the rule), so a rule that can never match is seen in
// the pod log, not discovered after an incident. Over a fake probe helper (LANNER_PROBE_HELPER):
// the log line comes from the rules load, before the source matters.
import t from 'tap'
import { chmodSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { ABI_VERSION, HELLO } from '../../src/syscall/abi.ts'
import { startServe, untilServing } from '../helpers/serve-child.ts'

function helloOnlyHelper (dir: string): string {
  const bin = path.join(dir, 'fake-probe.mjs')
  writeFileSync(bin, `#!/usr/bin/env node
const hello = Buffer.alloc(${HELLO.size})
hello.writeUInt16LE(${HELLO.size}, 0); hello.writeUInt16LE(${HELLO.type}, 2); hello.writeUInt32LE(${ABI_VERSION}, ${HELLO.abi})
hello.writeUInt32LE(process.pid, ${HELLO.helperPid}); hello.writeUInt32LE(1, ${HELLO.ncpu})
process.stdout.write(hello)
process.stdin.resume()
process.on('SIGTERM', () => process.exit(0))
`)
  chmodSync(bin, 0o755)
  return bin
}

t.test('serve logs each rule built on a no-data field at warn level', async (t) => {
  const dir = t.testdir({
    'rules.yaml': `- rule: Healthcheck shell
  desc: a shell run as a container health check
  condition: evt.type = execve and evt.dir=< and proc.name = bash and proc.is_container_healthcheck = true
  output: "shell %proc.name"
  priority: NOTICE
- rule: Marker Opened
  desc: a rule with data
  condition: evt.type = openat and evt.dir=< and fd.name = "/nonexistent/marker"
  output: "marker (file=%fd.name)"
  priority: NOTICE
`
  })
  const env: NodeJS.ProcessEnv = { ...process.env, LANNER_PROBE_HELPER: helloOnlyHelper(dir), KUBECONFIG: path.join(dir, 'no-kubeconfig') }
  delete env.KUBERNETES_SERVICE_HOST
  const serve = startServe(t, ['serve', '--source', 'syscall', '-r', path.join(dir, 'rules.yaml'),
    '-o', 'stdout_output.enabled=false', '-o', 'watch_config_files=false',
    '-o', 'webserver={listen_address: 127.0.0.1, listen_port: 0}'], { env })
  const line = await untilServing(serve, () => serve.logs.find((l) => l.msg === 'rule uses a field Lanner never fills'), 'the no-data warning in the start log')
  t.match(line, { level: 40, code: 'LOAD_FIELD_NO_DATA', rule: 'Healthcheck shell' })
  t.match(line.warning, /rules\.yaml:3:\d+: LOAD_FIELD_NO_DATA: Rule 'Healthcheck shell' uses field 'proc\.is_container_healthcheck'.*can never match/)
  t.equal(serve.logs.filter((l) => l.msg === 'rule uses a field Lanner never fills').length, 1, 'the rule with data is not reported')
  serve.child.kill('SIGTERM')
  await serve.exited
})
