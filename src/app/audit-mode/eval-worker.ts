// An evaluation worker: decodes audit batches and evaluates them with its own copy of the
// ruleset, returning the alerts to the main thread (which alone talks to the outputs). Rules
// arrive as texts the main thread has already validated; a worker swaps between batches.
import { parentPort, workerData } from 'node:worker_threads'
import { decodeAuditPayload } from '../../audit/index.ts'
import type { Alert } from '../../events/index.ts'
import { createK8sAuditSource } from '../../audit/index.ts'
import { withStaticFieldsAll } from '../../fields/index.ts'
import { loadRules, type Ruleset } from '../../rules/index.ts'
import { batchOutcome, createAuditPump } from './audit-handler.ts'
import type { FromWorker, ToWorker, WorkerInit, WorkerSettings } from './eval-protocol.ts'

const init = workerData as WorkerInit
const port = parentPort
if (port === null) throw new Error('eval-worker must run in a worker thread')
function auditSourceWith (staticFields: Readonly<Record<string, string>>): ReturnType<typeof createK8sAuditSource> {
  return withStaticFieldsAll([createK8sAuditSource({ userFields: init.userFields })], staticFields)[0] as ReturnType<typeof createK8sAuditSource>
}
/** the settings the current ruleset was compiled with, and the source table they build */
let settings: WorkerSettings = { loadOptions: init.loadOptions, staticFields: init.staticFields ?? {} }
let source = auditSourceWith(settings.staticFields)
const decodeOpts = { maxEventBytes: init.maxEventBytes }
let ruleset: Ruleset | undefined
// the alerts of the batch being evaluated (one at a time: messages are handled synchronously)
let batchAlerts: Alert[] = []
const pump = createAuditPump({
  rules: { current: function workerRuleset () { return ruleset } },
  emit: function collectAlert (a) { batchAlerts.push(a) }
})

function reply (msg: FromWorker): void { port?.postMessage(msg) }

function sameValues (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every(function same (k) { return a[k] === b[k] })
}

function onRules (id: number, inputs: Parameters<typeof loadRules>[0], next: WorkerSettings): void {
  // a table with other static fields is built only when they changed; kept only if the rules load
  const nextSource = sameValues(next.staticFields, settings.staticFields) ? source : auditSourceWith(next.staticFields)
  const result = loadRules(inputs, { ...next.loadOptions, sources: [nextSource] })
  if (result.ok && result.ruleset !== undefined) {
    ruleset = result.ruleset
    settings = next
    source = nextSource
    reply({ kind: 'rules', id, ok: true })
  } else {
    reply({ kind: 'rules', id, ok: false, error: result.errors.map((e) => `${e.code}: ${e.message}`).join('; ') })
  }
}

function onBatch (id: number, body: Uint8Array): void {
  const decoded = decodeAuditPayload(Buffer.from(body.buffer, body.byteOffset, body.byteLength), decodeOpts)
  const alerts: Alert[] = batchAlerts = []
  // the main thread records the metrics (audit-handler.ts): this pump has none
  const batch = pump.run(decoded.events)
  if (batch === undefined) {
    // the pool sends batches only after rules; never answer 200 for events nobody evaluated
    reply({ kind: 'batch', id, accepted: 0, rejected: 0, issues: [], alerts, error: 'worker has no rules yet' })
    return
  }
  reply({ kind: 'batch', id, ...batchOutcome(decoded.events.length, decoded), alerts, truncation: batch.state })
}

// Every message is answered under its id, failures included: the pool keeps a promise per id,
// and one never answered would hold a webhook request (and its admission slot) or a reload forever.
port.on('message', function evalWorkerMessage (msg: ToWorker) {
  try {
    if (msg.kind === 'rules') onRules(msg.id, msg.inputs, msg.settings)
    else onBatch(msg.id, msg.body)
  } catch (err) {
    const error = (err as Error).stack ?? String(err)
    if (msg.kind === 'rules') reply({ kind: 'rules', id: msg.id, ok: false, error })
    else reply({ kind: 'batch', id: msg.id, accepted: 0, rejected: 0, issues: [], alerts: [], error })
  }
})
