// Starting the webhook where it cannot listen: the error is the listen error itself (EADDRINUSE,
// which `lanner serve` turns into the setting to change: test/cli/serve-ports-reload.test.ts), and
// the port stays with whoever holds it.
import t from 'tap'
import { createServer, type AddressInfo } from 'node:net'
import { createWebhookServer } from '../../src/webhook/index.ts'
import { auditEvent, postAsApiserver } from '../helpers/apiserver-client.ts'
import { BASE_OPTIONS, recordingLogger, startWebhook } from './fakes.ts'

t.test('a port already in use: createWebhookServer rejects with EADDRINUSE', async (t) => {
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { holder.close() })
  const port = (holder.address() as AddressInfo).port
  const logger = recordingLogger()
  await t.rejects(createWebhookServer({ ...BASE_OPTIONS, port }, { logger, handleBody: async () => ({ accepted: 0, rejected: 0, issues: [] }) }),
    { code: 'EADDRINUSE', port })
  t.notOk(logger.lines.some((l) => l.msg === 'audit webhook listening'), 'never announced as listening')
})

t.test('a webhook that failed to listen leaves the port to the one serving it', async (t) => {
  const first = await startWebhook(t)
  const logger = recordingLogger()
  await t.rejects(createWebhookServer({ ...BASE_OPTIONS, port: first.server.port }, { logger, handleBody: async () => ({ accepted: 0, rejected: 0, issues: [] }) }),
    { code: 'EADDRINUSE' })
  const x = await postAsApiserver(first.url, [auditEvent(1)])
  t.equal(x.status, 200, 'the apiserver still reaches the first webhook')
  t.same(JSON.parse(x.body), { accepted: 1, rejected: 0 })
})
