// Messages between the main thread and evaluation workers (eval-pool.ts ↔ eval-worker.ts).
import type { Alert } from '../../events/index.ts'
import type { LoadOptions, RulesInput } from '../../rules/index.ts'
import type { BodyIssue } from '../../webhook/index.ts'
import type { TruncationTally } from './audit-truncation.ts'

/** LoadOptions without the sources (workers build their own field tables). */
export type WorkerLoadOptions = Omit<LoadOptions, 'sources'>

export interface WorkerInit {
  userFields: Array<{ name: string, jsonpath: string }>
  /** static_fields (name without `static.` → value) */
  staticFields?: Record<string, string>
  loadOptions: WorkerLoadOptions
  maxEventBytes: number
}

/** What a worker compiles rules with; a live config reload can change both (priority, rule
 *  selection, append_output, static_fields…), and they travel with the rules they apply to. */
export interface WorkerSettings {
  loadOptions: WorkerLoadOptions
  staticFields: Record<string, string>
}

export type ToWorker =
  | { kind: 'rules', id: number, inputs: RulesInput[], settings: WorkerSettings }
  | { kind: 'batch', id: number, body: Uint8Array }

export type FromWorker =
  | { kind: 'rules', id: number, ok: boolean, error?: string }
  | { kind: 'batch', id: number, accepted: number, rejected: number, issues: BodyIssue[], issueCounts?: Record<string, number>, alerts: Alert[], truncation?: TruncationTally, error?: string }
