// `lanner serve --source syscall` says at start which rules use a field Lanner never fills
// (LOAD_FIELD_NO_DATA at warn level, naming the rule), so a rule that can never match is seen in
// the pod log, not discovered after an incident. Over a fake probe helper (LANNER_PROBE_HELPER):
// the log line comes from the rules load, before the source matters.
import t from 'tap'
import path from 'node:path'
import { untilServing } from '../helpers/serve-child.ts'
import { fakeHelperHello, startServeOverFakeHelper, writeFakeHelper } from '../helpers/serve-syscall.ts'

function helloOnlyHelper (dir: string): string {
  return writeFakeHelper(dir, 'fake-probe.mjs', `${fakeHelperHello()}
process.stdin.resume()
process.on('SIGTERM', () => process.exit(0))
`)
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
  const serve = startServeOverFakeHelper(t, dir, path.join(dir, 'rules.yaml'), helloOnlyHelper(dir))
  const line = await untilServing(serve, () => serve.logs.find((l) => l.msg === 'rule uses a field Lanner never fills'), 'the no-data warning in the start log')
  t.match(line, { level: 40, code: 'LOAD_FIELD_NO_DATA', rule: 'Healthcheck shell' })
  t.match(line.warning, /rules\.yaml:3:\d+: LOAD_FIELD_NO_DATA: Rule 'Healthcheck shell' uses field 'proc\.is_container_healthcheck'.*can never match/)
  t.equal(serve.logs.filter((l) => l.msg === 'rule uses a field Lanner never fills').length, 1, 'the rule with data is not reported')
  serve.child.kill('SIGTERM')
  await serve.exited
})
