// `lanner serve` wires lanner.webhook.max_inflight_bytes to the webhook: with one batch still
// arriving, another whose Content-Length cannot fit next to the bytes already received is answered
// 429 with Retry-After at once, and /metrics shows the bytes held in lanner_webhook_inflight_bytes
// (bytes received, never a Content-Length reserved up front: issue 15).
import t from 'tap'
import http from 'node:http'
import path from 'node:path'
import { adminPort as adminPortOf, request, startServe, until, webhookListening } from '../helpers/serve-child.ts'
import { auditEvent, createRule, eventList } from '../app/fixtures.ts'

function openPost (port: number, length: number): { req: http.ClientRequest, answer: Promise<{ status: number, headers: http.IncomingHttpHeaders, body: string }> } {
  const req = http.request({ host: '127.0.0.1', port, path: '/k8s-audit', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': length } })
  const answer = new Promise<{ status: number, headers: http.IncomingHttpHeaders, body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = ''
      res.on('data', (b: Buffer) => { body += b.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.on('error', reject)
  })
  req.flushHeaders()
  return { req, answer }
}

t.test('serve: a batch over the in-flight byte budget is refused 429 while another is arriving', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const body = Buffer.from(eventList([auditEvent({ name: 'held' })]))
  const serve = startServe(t, ['serve', '-r', path.join(dir, 'rules.yaml'), '-o', 'stdout_output.enabled=false',
    '-o', `lanner.webhook.max_inflight_bytes=${body.length + 10}`,
    // the batch is held on purpose; the upload-pace check (408 after a 5 s grace) would cut it
    // on a machine loaded enough to stretch these steps past the grace
    '-o', 'lanner.webhook.min_upload_bytes_per_second=0',
    '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver={listen_address: 127.0.0.1, listen_port: 0}'])
  const { port } = await webhookListening(serve)
  const admin = `http://127.0.0.1:${await adminPortOf(serve)}`

  // all of a batch but its last byte: admitted, its received bytes counted, not yet evaluated
  const held = openPost(port, body.length)
  held.req.write(body.subarray(0, body.length - 1))
  const heldBytes = new RegExp(`^lanner_webhook_inflight_bytes ${body.length - 1}$`, 'm')
  // polled one request at a time, bounded by until's 60 s
  const metrics = await until(async () => { const m = (await request(`${admin}/metrics`)).body; return heldBytes.test(m) && m }, 'the batch to be admitted')
  t.match(metrics, heldBytes, 'the gauge shows the held batch\'s bytes')

  const second = openPost(port, body.length)
  const refused = await second.answer
  second.req.destroy()
  t.equal(refused.status, 429, 'answered without its body')
  t.equal(refused.headers['retry-after'], '1')
  t.match(JSON.parse(refused.body), { code: 'ERR_WEBHOOK_OVERLOADED' })

  held.req.end(body.subarray(body.length - 1))
  t.equal((await held.answer).status, 200, 'the held batch finishes normally')
  t.match((await request(`${admin}/metrics`)).body, /^lanner_webhook_inflight_bytes 0$/m, 'its bytes are released')
  serve.child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null })
})
