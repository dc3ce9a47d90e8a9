// A pool of evaluation workers (opt-in: lanner.eval_workers > 0) for machines where one core is
// not enough. Batches go to the least-loaded worker holding rules; alerts come back and are
// emitted on the main thread. Rules reach workers as validated texts and each swaps between its
// batches. A crashed worker fails only its in-flight batches (500: the apiserver retries) and is
// replaced with the current rules.
import { Worker } from 'node:worker_threads'
import { AppError } from '../../errors/index.ts'
import type { Alert } from '../../events/index.ts'
import type { RulesInput } from '../../rules/index.ts'
import type { BodyIssue } from '../../webhook/index.ts'
import type { FromWorker, ToWorker, WorkerInit, WorkerSettings } from './eval-protocol.ts'
import type { TruncationTally } from './audit-truncation.ts'
import type { AppLogger } from '../log/logger.ts'

export interface BatchResult { accepted: number, rejected: number, issues: BodyIssue[], issueCounts?: Record<string, number>, alerts: Alert[], truncation?: TruncationTally }

export interface EvalPool {
  readonly size: number
  evaluate(body: Buffer): Promise<BatchResult>
  /** broadcast a validated ruleset, with the settings it was validated with (default: the last
   *  ones); resolves when every worker has swapped */
  setRules(inputs: RulesInput[], settings?: WorkerSettings): Promise<void>
  close(): Promise<void>
}

interface Pending { resolve(v: any): void, reject(e: unknown): void }
interface Slot { worker: Worker, pending: Map<number, Pending>, hasRules: boolean, load: number }

const FROM_SOURCES = import.meta.url.endsWith('.ts')
const ENTRY_URL = new URL('./eval-worker-entry.mjs', import.meta.url)
const WORKER_URL = new URL(`./eval-worker${FROM_SOURCES ? '.ts' : '.js'}`, import.meta.url)

export function createEvalPool (size: number, init: WorkerInit, logger: AppLogger): EvalPool {
  const log = logger.child({ module: 'eval-pool' })
  let nextId = 1
  let closed = false
  let currentInputs: RulesInput[] | undefined
  let currentSettings: WorkerSettings = { loadOptions: init.loadOptions, staticFields: init.staticFields ?? {} }
  const slots: Slot[] = []

  function send (slot: Slot, msg: ToWorker, transfer?: ArrayBuffer[]): Promise<any> {
    return new Promise((resolve, reject) => {
      slot.pending.set(msg.id, { resolve, reject })
      slot.load++
      slot.worker.postMessage(msg, transfer)
    })
  }

  function spawn (index: number): Slot {
    // from sources, the parent's --import hooks do not reach workers on Node 20: a plain-JS entry
    // installs tsx in the worker first; a compiled build starts the worker module directly
    const worker = FROM_SOURCES
      ? new Worker(ENTRY_URL, { workerData: { ...init, tsx: true, entry: WORKER_URL.href }, execArgv: [] })
      : new Worker(WORKER_URL, { workerData: init })
    const slot: Slot = { worker, pending: new Map(), hasRules: false, load: 0 }
    worker.on('message', function fromEvalWorker (msg: FromWorker) {
      const p = slot.pending.get(msg.id)
      if (p === undefined) return
      slot.pending.delete(msg.id)
      slot.load--
      if (msg.kind === 'rules') { if (msg.ok) p.resolve(undefined); else p.reject(new Error(msg.error)) } else if (msg.error !== undefined) p.reject(new AppError('ERR_WEBHOOK_HANDLER_FAILED', msg.error))
      else p.resolve(msg)
    })
    worker.on('error', function evalWorkerCrashed (err) { log.error({ worker: index, err: (err as Error).message }, 'evaluation worker crashed') })
    worker.on('exit', function evalWorkerExited (code) {
      for (const p of slot.pending.values()) p.reject(new AppError('ERR_WEBHOOK_HANDLER_FAILED', `evaluation worker exited (${code}); retry`))
      slot.pending.clear()
      if (closed) return
      log.warn({ worker: index, code }, 'evaluation worker exited: replacing it')
      const fresh = spawn(index)
      slots[index] = fresh
      if (currentInputs !== undefined) {
        pushRules(fresh, currentInputs, currentSettings).catch((err: unknown) => { log.error({ worker: index, err: (err as Error).message }, 'replacement worker could not load the rules') })
      }
    })
    return slot
  }

  async function pushRules (slot: Slot, inputs: RulesInput[], settings: WorkerSettings): Promise<void> {
    await send(slot, { kind: 'rules', id: nextId++, inputs, settings })
    slot.hasRules = true
  }

  for (let i = 0; i < size; i++) slots.push(spawn(i))

  return {
    size,
    async evaluate (body) {
      let best: Slot | undefined
      for (const s of slots) if (s.hasRules && (best === undefined || s.load < best.load)) best = s
      if (best === undefined) throw new AppError('ERR_WEBHOOK_HANDLER_FAILED', 'no evaluation worker has rules yet; retry')
      // a copy the worker owns: fastify's body may be a slice of a shared pool
      const copy = new Uint8Array(body)
      return await send(best, { kind: 'batch', id: nextId++, body: copy }, [copy.buffer as ArrayBuffer]) as BatchResult
    },
    async setRules (inputs, settings = currentSettings) {
      // what a replacement worker starts with: the set being broadcast (a worker dying meanwhile
      // must not come back with older rules), or, when a worker refused it, the set still running
      // (given the refused one, a replacement would refuse it too and never hold rules)
      const running = currentInputs
      const runningSettings = currentSettings
      currentInputs = inputs
      currentSettings = settings
      const results = await Promise.allSettled(slots.map(async (s) => { await pushRules(s, inputs, settings) }))
      const failed = results.flatMap((r) => r.status === 'rejected' ? [r.reason as unknown] : [])
      if (failed.length === 0) return
      // a refusal is a plain Error (the worker's load errors); a worker that exited is an AppError
      if (currentInputs === inputs && failed.some((e) => !(e instanceof AppError))) {
        currentInputs = running
        currentSettings = runningSettings
      }
      throw failed[0]
    },
    async close () {
      closed = true
      // in-flight work of a closing pool is rejected by the exit handler; nobody waits for it
      for (const s of slots) for (const p of s.pending.values()) p.reject = () => {}
      await Promise.all(slots.map(async (s) => { await s.worker.terminate() }))
    }
  }
}
