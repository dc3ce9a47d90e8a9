// SIGTERM while a batch is still arriving: the batch is finished and answered 200 after its
// evaluation, the alert reaches the output before exit, and /readyz says 503 for the whole drain
// so that the Service stops routing new batches to a pod that refuses them.
import t from 'tap'
import http from 'node:http'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { adminPort as adminPortOf, request, startServe, until, untilServing, webhookListening } from '../helpers/serve-child.ts'
import { auditEvent, createRule, eventList } from '../app/fixtures.ts'

t.test('serve: SIGTERM during an upload finishes that batch; readiness drops at once', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const alertsFile = path.join(dir, 'alerts.jsonl')
  const serve = startServe(t, ['serve', '-r', path.join(dir, 'rules.yaml'), '-o', 'json_output=true', '-o', 'stdout_output.enabled=false',
    '-o', `file_output={enabled: true, filename: "${alertsFile}"}`,
    // the upload is held on purpose across SIGTERM; the upload-pace check (408 after a 5 s grace)
    // would cut it on a machine loaded enough to stretch these steps past the grace
    '-o', 'lanner.webhook.min_upload_bytes_per_second=0',
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver={listen_address: 127.0.0.1, listen_port: 0}'])
  const { child, logs } = serve
  const { port } = await webhookListening(serve)
  const admin = `http://127.0.0.1:${await adminPortOf(serve)}`
  t.equal((await request(`${admin}/readyz`)).status, 200)

  // half a batch: admitted (it holds a slot) but not yet evaluated
  const body = Buffer.from(eventList([auditEvent({ name: 'in-flight' })]))
  let upload: http.ClientRequest | undefined
  const answer = new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/k8s-audit', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      let text = ''
      res.on('data', (b: Buffer) => { text += b.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: text }) })
    })
    req.on('error', reject)
    req.write(body.subarray(0, 10))
    upload = req
  })
  const inFlight = async (): Promise<boolean> => /lanner_webhook_inflight_batches 1\b/.test((await request(`${admin}/metrics`)).body)
  // polled one request at a time, so no request is left in flight when the instance stops
  await until(inFlight, 'the batch to be admitted')

  child.kill('SIGTERM')
  await untilServing(serve, () => logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('webhook closing')), 'the webhook to start closing')
  t.equal((await request(`${admin}/readyz`)).status, 503, 'not ready while draining')

  upload?.end(body.subarray(10))
  const res = await answer
  t.equal(res.status, 200, 'the in-flight batch is answered 200')
  t.same(JSON.parse(res.body), { accepted: 1, rejected: 0 })
  t.same(await serve.exited, { code: 0, signal: null })
  t.match(readFileSync(alertsFile, 'utf8'), /in-flight/, 'its alert was flushed before exit')
})
