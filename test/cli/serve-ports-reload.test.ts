// Start-up and reload messages a person acts on: a port in use names the setting that chose it,
// and the reload line reports active rules as the start-up line does (a number, not a list).
import t from 'tap'
import path from 'node:path'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { writeFileSync } from 'node:fs'
import { runLanner } from '../integration/cli-child.ts'
import { startServe, untilServing, webhookListening } from '../helpers/serve-child.ts'
import { createRule } from '../app/fixtures.ts'

async function holdPort (t: { teardown(fn: () => void): void }): Promise<number> {
  const srv: Server = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { srv.close() })
  return (srv.address() as AddressInfo).port
}

t.test('EADDRINUSE names the setting to change, for the webhook and for the admin server', async (t) => {
  const busy = await holdPort(t)
  const wh = await runLanner(['serve', '-o', `lanner.webhook.listen=127.0.0.1:${busy}`, '-o', 'webserver.enabled=false'])
  t.equal(wh.code, 1)
  t.match(wh.stderr, new RegExp(`EADDRINUSE: .*port ${busy} is already in use.*; change lanner\\.webhook\\.listen or the k8saudit plugin's open_params`))
  const admin = await runLanner(['serve', '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver.listen_address=127.0.0.1', '-o', `webserver.listen_port=${busy}`])
  t.equal(admin.code, 1)
  t.match(admin.stderr, new RegExp(`EADDRINUSE: .*port ${busy} is already in use.*; change webserver\\.listen_port`))
})

t.test('the reload line reports active rules as a number, like the start-up line', async (t) => {
  const dir = t.testdir({ 'rules.yaml': createRule('One') })
  const rules = path.join(dir, 'rules.yaml')
  const s = startServe(t, ['serve', '-r', rules, '-o', 'lanner.webhook.listen=127.0.0.1:0', '-o', 'webserver.enabled=false', '-o', 'watch_config_files=false'])
  await webhookListening(s)
  const loaded = s.logs.find((l) => l.msg === 'rules loaded')
  t.match(loaded, { source: 'k8s_audit', rules: 1, active: 1 })
  writeFileSync(rules, createRule('One') + createRule('Two', 'secrets'))
  s.child.kill('SIGHUP')
  const reloaded = await untilServing(s, () => s.logs.find((l) => l.msg === 'rules reloaded'), 'the reload')
  t.match(reloaded, { source: 'k8s_audit', rules: 2, active: 2 })
  t.equal(typeof reloaded.active, 'number')
  s.child.kill('SIGTERM')
  await s.exited
})
