// Signals at the wrong time. SIGHUP's default action ends a process: once shutdown has begun
// (reload triggers closed, outputs still draining) a SIGHUP from a log rotator or a user must
// not kill the instance and lose the alerts of batches already answered 200.
import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { startServe, until, untilServing, webhookListening } from '../helpers/serve-child.ts'
import { postAsApiserver } from '../helpers/apiserver-client.ts'
import { auditEvent, createRule } from '../app/fixtures.ts'

t.test('serve: SIGHUP while draining outputs after SIGTERM is ignored; the drain completes, exit 0', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const gate = path.join(dir, 'go')
  const out = path.join(dir, 'program.jsonl')
  // the program holds its alert until the test opens the gate: the drain is in progress until then
  const program = `while [ ! -e '${gate}' ]; do sleep 0.05; done; cat >> '${out}'`
  const serve = startServe(t, ['serve', '-r', path.join(dir, 'rules.yaml'), '-o', 'json_output=true', '-o', 'stdout_output.enabled=false',
    '-o', `program_output={enabled: true, keep_alive: false, program: "${program.replace(/"/g, '\\"')}"}`,
    '-o', 'lanner.outputs={drain_timeout_ms: 60000}',
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver.enabled=false'])
  const { child, logs } = serve
  const { port } = await webhookListening(serve)
  t.equal((await postAsApiserver(`http://127.0.0.1:${port}/k8s-audit`, [auditEvent({ name: 'held' })])).status, 200)

  child.kill('SIGTERM')
  await untilServing(serve, () => logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('shutting down')), 'the shutdown to begin')
  child.kill('SIGHUP')
  // alive and saying so, or dead: either ends the wait
  await until(() => child.exitCode !== null || child.signalCode !== null || logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('SIGHUP ignored')), 'the SIGHUP to be handled')
  t.equal(child.signalCode, null, 'not killed by SIGHUP')
  writeFileSync(gate, '')
  t.same(await serve.exited, { code: 0, signal: null }, 'the drain finishes and the exit is clean')
  t.ok(existsSync(out) && readFileSync(out, 'utf8').includes('held'), 'the alert of the answered batch was delivered')
})
