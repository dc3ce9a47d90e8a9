// `lanner serve` with a program output that never reads (issue 15: `program: "sleep 300"` showed
// nothing until 10,000 alerts piled up, and its children outlived Lanner): the queue depth and the
// failures show at once through /metrics, lanner.outputs.program_timeout_ms bounds each write, and
// after SIGTERM no child of the program is left.
import t from 'tap'
import path from 'node:path'
import { adminPort, request, startServe, until, webhookListening } from '../helpers/serve-child.ts'
import { postAsApiserver } from '../helpers/apiserver-client.ts'
import { auditEvent, createRule } from '../app/fixtures.ts'
import { sleepers, sleepMarker } from '../helpers/sleep-marker.ts'

t.test('serve: a program that never reads is visible in metrics, bounded by its deadline, and ended with Lanner', async (t) => {
  const secs = sleepMarker()
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const serve = startServe(t, ['serve', '-r', path.join(dir, 'rules.yaml'), '-o', 'stdout_output.enabled=false',
    // the shell backgrounds a second sleep: the whole process group must go, not only the shell
    '-o', `program_output={enabled: true, keep_alive: true, program: "sleep ${secs} & sleep ${secs}"}`,
    '-o', 'lanner.outputs={program_timeout_ms: 500, drain_timeout_ms: 200}',
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver={listen_address: 127.0.0.1, listen_port: 0}'])
  const { port } = await webhookListening(serve)
  const admin = `http://127.0.0.1:${await adminPort(serve)}`
  // ~2 MB of alerts: more than the pipe between Lanner and a child that never reads can hold
  const big = 'x'.repeat(2000)
  for (let b = 0; b < 10; b++) {
    const res = await postAsApiserver(`http://127.0.0.1:${port}/k8s-audit`, Array.from({ length: 100 }, (_, i) => auditEvent({ name: `cm-${b}-${i}-${big}` })))
    t.equal(res.status, 200)
  }
  await until(() => sleepers(secs).length >= 2, 'the program and its background child to run')
  const failures = async (): Promise<number> => Number(/^lanner_output_failures_total\{output="program"\} (\d+)/m.exec((await request(`${admin}/metrics`)).body)?.[1] ?? 0)
  const failed = await until(async () => { const n = await failures(); return n > 0 && n }, 'a program failure to be counted', 60_000, 50)
  t.ok(failed > 0, `writes past the 500 ms deadline fail and are counted (${failed})`)
  t.match((await request(`${admin}/metrics`)).body, /^lanner_output_queue_depth\{output="program"\} \d+$/m, 'the queue depth is exported')
  serve.child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0)
  await until(() => sleepers(secs).length === 0, 'every child of the program to be gone after Lanner exits', 30_000)
  t.same(sleepers(secs), [], 'no child outlives Lanner')
})
