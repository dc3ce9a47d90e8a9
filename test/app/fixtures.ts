// Audit events and rules files for the app, CLI and integration tests.
import { PassThrough } from 'node:stream'
import { buildApp, type App } from '../../src/app/build.ts'
import { createEvalPool, type EvalPool } from '../../src/app/audit-mode/eval-pool.ts'
import type { WorkerInit } from '../../src/app/audit-mode/eval-protocol.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { loadOptionsFrom } from '../../src/app/rules/rules-manager.ts'
import type { Config } from '../../src/config/index.ts'
import { encodeEventList } from '../helpers/apiserver-client.ts'
export function auditEvent (opts: { verb?: string, resource?: string, name?: string, user?: string, id?: string } = {}): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: opts.id ?? 'a0000000-0000-0000-0000-000000000001',
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/${opts.resource ?? 'configmaps'}`,
    verb: opts.verb ?? 'create',
    user: { username: opts.user ?? 'alice', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.1'],
    objectRef: { resource: opts.resource ?? 'configmaps', namespace: 'default', name: opts.name ?? 'cm1', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestReceivedTimestamp: '2026-01-02T03:04:05.000001Z',
    stageTimestamp: '2026-01-02T03:04:05.123456789Z'
  }
}

/** A webhook body exactly as kube-apiserver writes it: the items lose their kind/apiVersion. */
export function eventList (items: Array<Record<string, unknown>>): string {
  return encodeEventList(items)
}

/** One k8s_audit rule firing on every `create` of `resource`, named `name`. */
export function createRule (name: string, resource = 'configmaps', extra = ''): string {
  return `- rule: ${name}
  desc: test rule ${name}
  condition: ka.verb=create and ka.target.resource=${resource}${extra}
  output: "${name} fired (user=%ka.user.name name=%ka.target.name)"
  priority: WARNING
  source: k8s_audit
  tags: [k8s, test]
`
}

/** A stream whose text is collected line by line (an output's stdout, a logger's sink). */
export function lineCollector (): { stream: PassThrough, lines: string[] } {
  const stream = new PassThrough()
  const lines: string[] = []
  stream.on('data', (b: Buffer) => lines.push(...b.toString().trimEnd().split('\n')))
  return { stream, lines }
}

/** buildApp with alerts to `stdout`, logging errors only (to nowhere), without the default metrics. */
export async function quietApp (config: Config, stdout: PassThrough = new PassThrough()): Promise<App> {
  return await buildApp(config, { stdout, logger: createLogger({ level: 'error', stderr: true }, new PassThrough()), defaultMetrics: false })
}

/**
 * An evaluation pool of `size` workers for `app`, initialised from `config` as serve does (`init`
 * adds to it); the pool and the app's outputs are closed at teardown. Rules are not set yet.
 */
export function evalPoolFor (t: { teardown(fn: () => Promise<void>): void }, app: App, config: Config, size: number, init: Partial<WorkerInit> = {}): EvalPool {
  const { sources: _s, ...loadOptions } = loadOptionsFrom(config, app.sources)
  const pool = createEvalPool(size, { userFields: config.userFields, loadOptions, maxEventBytes: config.webhook.maxEventBytes, ...init }, app.logger)
  t.teardown(async () => { await pool.close(); await app.dispatcher.close(100) })
  return pool
}
