// Lanner's Prometheus metrics (prom-client, one registry per app) behind a small interface: the
// other parts receive AppMetrics (or the webhook/output adapters built from it) and never touch
// prom-client. Every method is cheap and never throws.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { PRIORITY_NAMES, type Alert } from '../../events/index.ts'
import type { OutputHooks } from '../../outputs/index.ts'
import type { WebhookMetrics } from '../../webhook/index.ts'

export interface AppMetrics {
  readonly registry: Registry
  readonly contentType: string
  text(): Promise<string>
  /** events decoded from a source and handed to the engine */
  eventsReceived(source: string, n: number): void
  eventsEvaluated(source: string, n: number): void
  /** events lost before evaluation: decode issues, oversize events, probe ring-buffer drops */
  eventsDropped(source: string, reason: string, n: number): void
  /** one evaluated batch and how long its evaluation took */
  batchEvaluated(source: string, seconds: number): void
  alert(alert: Alert): void
  reload(ok: boolean): void
  activeRules(source: string, n: number): void
  /** rules inputs currently left out of the running ruleset (degraded start/reload); 0 when all load */
  rulesRejected(n: number): void
  /** records lost in the syscall probe (kernel ring buffer full) */
  syscallDrops(n: number): void
  /** the probe helper crashed and is being restarted */
  probeRestarts(): void
  /** a program output child exited with an error */
  programExit(failed: boolean): void
  /** audit events kube-apiserver truncated; `neededByRules` of them reached a rule reading their objects (audit-truncation.ts) */
  auditTruncated(n: number, neededByRules: number): void
  /** a webhook body lost for its content (not JSON, not audit data, over the size limit), once per batch */
  unusableBatch(reason: string): void
  /** a byte-identical re-delivery of an evaluated batch, answered without evaluating it again */
  duplicateBatch(events: number): void
  readonly outputHooks: OutputHooks
  /** the lanner_output_queue_depth gauge reads `depths` at each scrape (no cost per alert) */
  watchOutputQueues(depths: () => Array<{ output: string, depth: number }>): void
  readonly webhook: WebhookMetrics
}

const BATCH_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

export function createMetrics (opts: { defaultMetrics?: boolean } = {}): AppMetrics {
  const registry = new Registry()
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'lanner_' })
  const registers = [registry]
  const received = new Counter({ name: 'lanner_events_received_total', help: 'Events decoded from a source', labelNames: ['source'], registers })
  const evaluated = new Counter({ name: 'lanner_events_evaluated_total', help: 'Events evaluated against the rules', labelNames: ['source'], registers })
  const dropped = new Counter({ name: 'lanner_events_dropped_total', help: 'Events lost before evaluation, by reason (decode error code, oversize, probe drop)', labelNames: ['source', 'reason'], registers })
  const batches = new Counter({ name: 'lanner_batches_total', help: 'Batches evaluated', labelNames: ['source'], registers })
  const batchSeconds = new Histogram({ name: 'lanner_batch_evaluation_seconds', help: 'Time to evaluate one batch and hand its alerts to outputs', labelNames: ['source'], buckets: BATCH_BUCKETS, registers })
  const alerts = new Counter({ name: 'lanner_alerts_total', help: 'Alerts produced, by rule and priority', labelNames: ['rule', 'priority', 'source'], registers })
  const outDelivered = new Counter({ name: 'lanner_output_alerts_total', help: 'Alerts delivered by each output', labelNames: ['output'], registers })
  const outFailed = new Counter({ name: 'lanner_output_failures_total', help: 'Alerts an output failed to deliver', labelNames: ['output'], registers })
  const outDropped = new Counter({ name: 'lanner_output_drops_total', help: 'Alerts dropped because an output queue was full or closed', labelNames: ['output'], registers })
  const outDroppedRule = new Counter({ name: 'lanner_output_dropped_alerts_total', help: 'Alerts dropped by an output queue (full, or closed at shutdown), by rule and priority', labelNames: ['output', 'rule', 'priority'], registers })
  let queueDepths: () => Array<{ output: string, depth: number }> = () => []
  // eslint-disable-next-line no-new -- registered on the registry, read through collect()
  new Gauge({
    name: 'lanner_output_queue_depth',
    help: 'Alerts waiting in each output queue',
    labelNames: ['output'],
    registers,
    collect () { for (const d of queueDepths()) this.set({ output: d.output }, d.depth) }
  })
  const programExits = new Counter({ name: 'lanner_output_program_exits_total', help: 'Program output children that exited, by outcome', labelNames: ['outcome'], registers })
  const reloads = new Counter({ name: 'lanner_rules_reloads_total', help: 'Rules reloads that succeeded', registers })
  const reloadFailures = new Counter({ name: 'lanner_rules_reload_failures_total', help: 'Rules reloads rejected (old rules kept)', registers })
  const active = new Gauge({ name: 'lanner_rules_active', help: 'Active rules per source', labelNames: ['source'], registers })
  const rejectedInputs = new Gauge({ name: 'lanner_rules_rejected_inputs', help: 'Rules files/ConfigMap keys left out of the running rules because they failed to load', registers })
  const sysDrops = new Counter({ name: 'lanner_syscall_drops_total', help: 'Syscall records lost in the probe ring buffer', registers })
  const probeRestarts = new Counter({ name: 'lanner_probe_restarts_total', help: 'Probe helper crashes after which it was restarted', registers })
  const truncatedEvents = new Counter({ name: 'lanner_audit_truncated_events_total', help: 'Audit events kube-apiserver truncated (audit.k8s.io/truncated: objects removed); needed_by_rules="true" when a rule tried to read their requestObject/responseObject', labelNames: ['needed_by_rules'], registers })
  const webhookRequests = new Counter({ name: 'lanner_webhook_requests_total', help: 'Requests to the audit webhook path', registers })
  const webhookAnswers = new Counter({ name: 'lanner_webhook_responses_total', help: 'Answers of the audit webhook, by HTTP status', labelNames: ['status'], registers })
  const webhookSeconds = new Histogram({ name: 'lanner_webhook_request_seconds', help: 'Audit webhook request time from arrival to answer', buckets: BATCH_BUCKETS, registers })
  const webhookIssues = new Counter({ name: 'lanner_webhook_issues_total', help: 'Audit decode problems, by code', labelNames: ['code'], registers })
  const inflight = new Gauge({ name: 'lanner_webhook_inflight_batches', help: 'Batches being received or evaluated', registers })
  const inflightBytes = new Gauge({ name: 'lanner_webhook_inflight_bytes', help: 'Body bytes of the batches being received or evaluated, counted as they arrive', registers })
  const unusableBatches = new Counter({ name: 'lanner_webhook_unusable_batches_total', help: 'Webhook bodies that held nothing to evaluate, once per batch (its retries are not counted again), by reason: ERR_AUDIT_BAD_JSON, ERR_AUDIT_NOT_RECOGNIZED, ERR_AUDIT_NOT_OBJECT (acknowledged 200), ERR_WEBHOOK_TOO_LARGE, ERR_WEBHOOK_TOO_COMPLEX (413)', labelNames: ['reason'], registers })
  const duplicateBatches = new Counter({ name: 'lanner_webhook_duplicate_batches_total', help: 'Byte-identical re-deliveries of an already evaluated batch (the apiserver retrying after a lost answer), acknowledged without a second evaluation', registers })
  const duplicateEvents = new Counter({ name: 'lanner_webhook_duplicate_events_total', help: 'Events of those re-deliveries: not evaluated twice, so their alerts are not doubled', registers })

  return {
    registry,
    contentType: registry.contentType,
    text: async () => await registry.metrics(),
    eventsReceived (source, n) { received.inc({ source }, n) },
    eventsEvaluated (source, n) { evaluated.inc({ source }, n) },
    eventsDropped (source, reason, n) { if (n > 0) dropped.inc({ source, reason }, n) },
    batchEvaluated (source, seconds) { batches.inc({ source }); batchSeconds.observe({ source }, seconds) },
    alert (a) { alerts.inc({ rule: a.rule, priority: PRIORITY_NAMES[a.priority], source: a.source }) },
    reload (ok) { if (ok) reloads.inc(); else reloadFailures.inc() },
    activeRules (source, n) { active.set({ source }, n) },
    rulesRejected (n) { rejectedInputs.set(n) },
    syscallDrops (n) { if (n > 0) sysDrops.inc(n) },
    probeRestarts () { probeRestarts.inc() },
    programExit (failed) { programExits.inc({ outcome: failed ? 'error' : 'ok' }) },
    auditTruncated (n, neededByRules) {
      if (neededByRules > 0) truncatedEvents.inc({ needed_by_rules: 'true' }, neededByRules)
      if (n > neededByRules) truncatedEvents.inc({ needed_by_rules: 'false' }, n - neededByRules)
    },
    unusableBatch (reason) { unusableBatches.inc({ reason }) },
    duplicateBatch (events) { duplicateBatches.inc(); if (events > 0) duplicateEvents.inc(events) },
    outputHooks: {
      delivered (output, n) { outDelivered.inc({ output }, n) },
      failed (output, n) { outFailed.inc({ output }, n) },
      dropped (output, n) { outDropped.inc({ output }, n) },
      droppedRule (output, rule, priority, n) { outDroppedRule.inc({ output, rule, priority: PRIORITY_NAMES[priority] ?? 'Debug' }, n) }
    },
    watchOutputQueues (depths) { queueDepths = depths },
    webhook: {
      batchReceived () { webhookRequests.inc() },
      batchAnswered (status, seconds) { webhookAnswers.inc({ status: String(status) }); webhookSeconds.observe(seconds) },
      // rejected events are counted in lanner_events_dropped_total by their code (audit-handler.ts): one event, one reason
      events (accepted) { received.inc({ source: 'k8s_audit' }, accepted) },
      issue (code, count) { if (count > 0) webhookIssues.inc({ code }, count) },
      inFlight (n) { inflight.set(n) },
      inFlightBytes (n) { inflightBytes.set(n) }
    }
  }
}
