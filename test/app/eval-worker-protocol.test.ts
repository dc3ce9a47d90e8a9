// An evaluation worker (app/audit-mode/eval-worker.ts) spoken to over its own message protocol, started as
// the pool starts it from sources (eval-worker-entry.mjs installing tsx first): a batch before any
// rules is answered with an error, never with "accepted" for events nobody evaluated; a message
// it cannot handle is still answered under its id (the pool holds a promise per id, and a webhook
// request waits on it); and the module refuses to run outside a worker thread.
import t, { type Test } from 'tap'
import { Worker } from 'node:worker_threads'
import path from 'node:path'
import { loadConfig } from '../../src/config/index.ts'
import { buildSources } from '../../src/app/sources.ts'
import { loadOptionsFrom } from '../../src/app/rules/rules-manager.ts'
import type { FromWorker, ToWorker, WorkerInit, WorkerSettings } from '../../src/app/audit-mode/eval-protocol.ts'
import { auditEvent, createRule, eventList } from './fixtures.ts'

const ENTRY = new URL('../../src/app/audit-mode/eval-worker-entry.mjs', import.meta.url)
const WORKER = new URL('../../src/app/audit-mode/eval-worker.ts', import.meta.url)

let defaultSettings: WorkerSettings

async function startWorker (t: Test): Promise<(msg: ToWorker) => Promise<FromWorker>> {
  const config = loadConfig({ rules: [path.join(t.testdir({}), 'unused.yaml')] })
  const { sources: _s, ...loadOptions } = loadOptionsFrom(config, await buildSources(config))
  defaultSettings = { loadOptions, staticFields: {} }
  const init: WorkerInit = { userFields: [], loadOptions, maxEventBytes: config.webhook.maxEventBytes }
  const worker = new Worker(ENTRY, { workerData: { ...init, tsx: true, entry: WORKER.href }, execArgv: [] })
  t.teardown(async () => { await worker.terminate() })
  const answers = new Map<number, (m: FromWorker) => void>()
  worker.on('message', (m: FromWorker) => { answers.get(m.id)?.(m) })
  worker.on('error', (err: Error) => { t.fail(`worker error: ${err.message}`) })
  return async function ask (msg) {
    return await new Promise<FromWorker>((resolve) => {
      answers.set(msg.id, resolve)
      worker.postMessage(msg)
    })
  }
}

function body (events: Array<Record<string, unknown>>): Uint8Array {
  return new Uint8Array(Buffer.from(eventList(events)))
}

t.test('a batch before any rules: an error answer with nothing accepted; after rules, evaluated', async (t) => {
  const ask = await startWorker(t)
  const early = await ask({ kind: 'batch', id: 1, body: body([auditEvent()]) })
  t.match(early, { kind: 'batch', id: 1, accepted: 0, rejected: 0, alerts: [], error: 'worker has no rules yet' })
  t.same(await ask({ kind: 'rules', id: 2, inputs: [{ name: 'rules.yaml', content: createRule('ConfigMap Created') }], settings: defaultSettings }), { kind: 'rules', id: 2, ok: true })
  const later = await ask({ kind: 'batch', id: 3, body: body([auditEvent(), auditEvent({ verb: 'get' })]) })
  t.equal(later.kind === 'batch' ? later.error : 'not a batch answer', undefined)
  t.match(later, { kind: 'batch', id: 3, accepted: 2, rejected: 0 })
  t.same(later.kind === 'batch' ? later.alerts.map((a) => a.rule) : [], ['ConfigMap Created'])
})

t.test('a batch message the worker cannot read is answered under its id with the error; the worker goes on', async (t) => {
  const ask = await startWorker(t)
  t.same(await ask({ kind: 'rules', id: 1, inputs: [{ name: 'rules.yaml', content: createRule('ConfigMap Created') }], settings: defaultSettings }), { kind: 'rules', id: 1, ok: true })
  // no body at all: decoding it throws inside the worker
  const broken = await ask({ kind: 'batch', id: 2 } as unknown as ToWorker)
  t.match(broken, { kind: 'batch', id: 2, accepted: 0, rejected: 0, issues: [], alerts: [], error: /TypeError/ })
  const next = await ask({ kind: 'batch', id: 3, body: body([auditEvent()]) })
  t.match(next, { kind: 'batch', id: 3, accepted: 1 })
  t.equal(next.kind === 'batch' ? next.alerts.length : -1, 1, 'still evaluating with its rules')
})

t.test('outside a worker thread the module refuses to start', async (t) => {
  await t.rejects(import('../../src/app/audit-mode/eval-worker.ts'), { message: 'eval-worker must run in a worker thread' })
})

t.test('rules arrive with the settings they were validated with: a new priority and new static fields apply from that ruleset on', async (t) => {
  const ask = await startWorker(t)
  const rules = [{ name: 'rules.yaml', content: createRule('ConfigMap Created') }]
  t.same(await ask({ kind: 'rules', id: 1, inputs: rules, settings: defaultSettings }), { kind: 'rules', id: 1, ok: true })
  const first = await ask({ kind: 'batch', id: 2, body: body([auditEvent()]) })
  t.same(first.kind === 'batch' ? first.alerts.map((a) => a.rule) : [], ['ConfigMap Created'], 'the WARNING rule fires at the default priority')

  // priority: error (3) drops the WARNING rule
  t.same(await ask({ kind: 'rules', id: 3, inputs: rules, settings: { ...defaultSettings, loadOptions: { ...defaultSettings.loadOptions, minPriority: 3 } } }), { kind: 'rules', id: 3, ok: true })
  const filtered = await ask({ kind: 'batch', id: 4, body: body([auditEvent()]) })
  t.match(filtered, { kind: 'batch', id: 4, accepted: 1 })
  t.same(filtered.kind === 'batch' ? filtered.alerts : ['not a batch'], [], 'evaluated, and below the new priority')

  // static_fields with append_output naming one: the worker builds its table anew
  const withStatic: WorkerSettings = {
    loadOptions: { ...defaultSettings.loadOptions, appendOutput: [{ tags: [], extraFields: [{ key: 'static.cluster', field: 'static.cluster' }], suggestedOutput: false }] },
    staticFields: { cluster: 'prod-eu' }
  }
  t.same(await ask({ kind: 'rules', id: 5, inputs: rules, settings: withStatic }), { kind: 'rules', id: 5, ok: true })
  const tagged = await ask({ kind: 'batch', id: 6, body: body([auditEvent()]) })
  const alert = tagged.kind === 'batch' ? tagged.alerts[0] : undefined
  t.equal(alert?.outputFields?.['static.cluster'], 'prod-eu', 'the new static field reaches the alert')
})
