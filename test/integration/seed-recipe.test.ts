// The falco.yaml settings users copy from the seed recipes, unchanged but for the Slack URL (a
// loopback sink here): json_output, json_include_output_property, time_format_iso_8601 and a
// program_output that pipes each alert through `jq '{text: .output}' | curl -d @- -X POST URL`.
// Lanner's built-in rules, a kube-apiserver-like EventList in, a Slack-shaped message out.
import t from 'tap'
import http from 'node:http'
import { readFileSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { request, startServe, until, webhookListening } from '../helpers/serve-child.ts'
import { skipUnlessRequired } from '../helpers/probe-required.ts'

function has (cmd: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); return true } catch { return false }
}
const missing = ['jq', 'curl'].filter((c) => !has(c))
// install-deps.sh installs both: in CI as root their absence fails the file instead of skipping
const noTools = skipUnlessRequired(missing.length > 0 ? `needs ${missing.join(' and ')} (scripts/install-deps.sh installs them)` : undefined)

t.test('the Slack recipe: jq | curl receives {text: <alert line>}', { skip: noTools ?? false }, async (t) => {
  const posts: Array<{ type?: string, body: string }> = []
  const slack = http.createServer(function slackStandIn (req, res) {
    let body = ''
    req.on('data', (b: Buffer) => { body += b.toString() })
    req.on('end', () => { posts.push({ type: req.headers['content-type'], body }); res.end('ok') })
  })
  await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { slack.closeAllConnections(); slack.close() })
  const hook = `http://127.0.0.1:${(slack.address() as AddressInfo).port}/services/XXX`

  const dir = t.testdir({})
  writeFileSync(path.join(dir, 'falco.yaml'), `
json_output: true
json_include_output_property: true
time_format_iso_8601: true
program_output:
  enabled: true
  keep_alive: false
  program: "jq '{text: .output}' | curl -s -d @- -X POST ${hook}"
stdout_output: {enabled: false}
webserver: {enabled: false}
plugins:
  - name: k8saudit
    open_params: "http://127.0.0.1:0/k8s-audit"
  - name: json
load_plugins: [k8saudit, json]
`)
  const serve = startServe(t, ['serve', '-c', path.join(dir, 'falco.yaml')])
  const { port } = await webhookListening(serve)
  const sample = readFileSync(fileURLToPath(new URL('../../examples/eventlist-privileged-pod.json', import.meta.url)))
  const res = await request(`http://127.0.0.1:${port}/k8s-audit`, { method: 'POST', body: sample.toString() })
  t.equal(res.status, 200)

  await until(() => posts.length >= 1, 'the Slack stand-in receives the alert')
  const msg = JSON.parse(posts[0]?.body ?? '{}') as { text?: string }
  t.same(Object.keys(msg), ['text'], 'jq built the Slack payload from the JSON alert')
  t.match(msg.text, /^2026-11-23T09:14:02\.131957000\+0000: Warning Privileged pod created \(user=alice@example\.com /, 'ISO 8601 time prefix and the rendered output')
  serve.child.kill('SIGTERM')
  t.same(await serve.exited, { code: 0, signal: null })
  // after the drain every alert of the batch has been delivered
  t.equal(posts.length, 1, 'the anonymous /readyz probe in the same batch raised nothing')
})
