// Alerts Lanner raises about itself (source `internal`), so that lost visibility reaches the same
// consumers as detections. Rule names follow Falco's where Falco has the alert, so existing routing
// keeps working; Lanner's own start with 'Lanner internal:'.
import { hostname as osHostname } from 'node:os'
import type { TruncatedRequest } from '../../audit/index.ts'
import type { ErrorCode } from '../../errors/index.ts'
import type { Alert } from '../../events/index.ts'
import type { DropSummary } from '../../outputs/index.ts'

export const DROP_RULE = 'Falco internal: syscall event drop'

export interface DropWindow {
  /** drops since the previous alert */
  drops: number
  /** per-CPU totals from the probe's latest stats */
  dropsPerCpu: readonly number[]
  seconds: number
}

/**
 * Warning rather than Falco's Debug: a detector that silently misses events is the failure users
 * most need to hear about, and a Debug alert is filtered out by most consumers.
 */
export function syscallDropAlert (time: bigint, w: DropWindow, hostname = process.env.FALCO_HOSTNAME ?? osHostname()): Alert {
  return {
    time,
    rule: DROP_RULE,
    priority: 4,
    source: 'internal',
    tags: [],
    hostname,
    message: `Falco internal: syscall event drop. ${w.drops} system calls dropped in last ${Math.max(1, Math.round(w.seconds))} seconds.`,
    outputFields: {
      n_drops: w.drops,
      n_drops_per_cpu: [...w.dropsPerCpu],
      window_seconds: Math.round(w.seconds)
    }
  }
}

/** Aggregates drop reports and lets one alert through per interval. */
export function createDropAlerter (intervalMs: number, emit: (a: Alert) => void, now: () => number = Date.now): { report(time: bigint, delta: number, perCpu: readonly number[]): void } {
  let pending = 0
  let last = 0
  let windowStart = now()
  return {
    /** call with every stats report, also when nothing was dropped: held drops go out then */
    report (time, delta, perCpu) {
      if (delta > 0) pending += delta
      if (pending === 0) return
      const t = now()
      if (last !== 0 && t - last < intervalMs) return
      emit(syscallDropAlert(time, { drops: pending, dropsPerCpu: perCpu, seconds: (t - windowStart) / 1000 }))
      pending = 0
      last = t
      windowStart = t
    }
  }
}

export const RULES_REJECTED_RULE = 'Lanner internal: rules file rejected'

export interface RejectedRules {
  /** the rules input's name: a file path or configmap:<namespace>/<name>/<key> */
  input: string
  /** the input's first error, as `file:line:col: CODE: message` */
  firstError: string
  /** '' only for an input rejected without an error (never expected) */
  firstCode: ErrorCode | ''
  /** the underlying expression error's code for LOAD_ERR_COMPILE_* (RULE_COMPILE_UNKNOWN_FIELD…) */
  firstDetailCode?: ErrorCode | undefined
  errors: number
}

/**
 * Error priority: the instance runs without some of the rules it was given, so detections the
 * security team counts on may be missing. Raised where they see detections, not only in the log.
 */
export function rulesRejectedAlert (time: bigint, r: RejectedRules, hostname = process.env.FALCO_HOSTNAME ?? osHostname()): Alert {
  return {
    time,
    rule: RULES_REJECTED_RULE,
    priority: 3,
    source: 'internal',
    tags: [],
    hostname,
    message: `Lanner internal: rules file rejected. ${r.input} is not loaded (${r.errors} error(s)); the other rules are running. First error: ${r.firstError}`,
    outputFields: {
      rules_file: r.input,
      error_code: r.firstCode,
      error_detail_code: r.firstDetailCode ?? null,
      error: r.firstError,
      n_errors: r.errors
    }
  }
}

export const TRUNCATED_RULE = 'Lanner internal: truncated audit events'

export interface TruncationWindow {
  /** truncated events that reached a rule reading requestObject/responseObject */
  blinded: number
  /** every truncated event in the window */
  truncated: number
  seconds: number
  last: TruncatedRequest
}

/**
 * Warning, like the drop alert: rules that look inside objects (privileged pods, RBAC bindings,
 * ConfigMap contents) evaluated events whose objects kube-apiserver had removed, so they could
 * not match whatever those requests did. A gap in detection, reported where detections go.
 */
export function truncatedEventsAlert (time: bigint, w: TruncationWindow, hostname = process.env.FALCO_HOSTNAME ?? osHostname()): Alert {
  const l = w.last
  const what = `${l.verb ?? '?'} ${l.resource ?? '?'}${l.subresource === undefined ? '' : '/' + l.subresource}` +
    `${l.name === undefined ? '' : ' ' + l.name}${l.namespace === undefined ? '' : ' in ' + l.namespace} by ${l.user ?? '?'}`
  return {
    time,
    rule: TRUNCATED_RULE,
    priority: 4,
    source: 'internal',
    tags: [],
    hostname,
    message: `Lanner internal: truncated audit events. ${w.blinded} audit events in last ${Math.max(1, Math.round(w.seconds))} seconds reached rules that read ` +
      'requestObject/responseObject, but kube-apiserver had removed those objects (audit.k8s.io/truncated), so the rules could not see what ' +
      `the requests created or changed. Last: ${what}.`,
    outputFields: {
      n_events: w.blinded,
      n_truncated: w.truncated,
      window_seconds: Math.max(1, Math.round(w.seconds)),
      last_audit_id: l.auditID ?? null,
      last_verb: l.verb ?? null,
      last_resource: l.resource ?? null,
      last_subresource: l.subresource ?? null,
      last_namespace: l.namespace ?? null,
      last_name: l.name ?? null,
      last_user: l.user ?? null
    }
  }
}

export const UNUSABLE_BATCHES_RULE = 'Lanner internal: unusable audit batches'

export interface UnusableWindow {
  /** batches lost for their content in the window, by reason (error code) */
  byReason: Record<string, number>
  seconds: number
  /** the last one's details */
  last: { reason: string, message: string, bytes: number, remote: string, status: number }
}

/**
 * Error priority: every event of those batches is lost (nothing in them could be evaluated), and
 * kube-apiserver will not send them again (acknowledged, or given up after its retries).
 */
export function unusableBatchesAlert (time: bigint, w: UnusableWindow, hostname = process.env.FALCO_HOSTNAME ?? osHostname()): Alert {
  const total = Object.values(w.byReason).reduce((a, b) => a + b, 0)
  const reasons = Object.entries(w.byReason).map(([r, n]) => `${r} x${n}`).join(', ')
  return {
    time,
    rule: UNUSABLE_BATCHES_RULE,
    priority: 3,
    source: 'internal',
    tags: [],
    hostname,
    message: `Lanner internal: unusable audit batches. ${total} audit batch(es) in last ${Math.max(1, Math.round(w.seconds))} seconds held nothing Lanner ` +
      `could evaluate (${reasons}); their events are lost. Last: ${w.last.message} (${w.last.bytes} bytes from ${w.last.remote}, answered ${w.last.status}).`,
    outputFields: {
      n_batches: total,
      reasons: { ...w.byReason },
      window_seconds: Math.max(1, Math.round(w.seconds)),
      last_reason: w.last.reason,
      last_message: w.last.message,
      last_bytes: w.last.bytes,
      last_remote: w.last.remote,
      last_status: w.last.status
    }
  }
}

export const OUTPUT_DROPS_RULE = 'Lanner internal: output alerts dropped'

/**
 * One output's drops over one interval, as one alert (Warning: under a flood of lower-priority
 * alerts it takes the place of one of them in the full queue, so the flood is reported where
 * the alerts go, not only in Lanner's log and metrics).
 */
export function outputDropsAlert (time: bigint, s: DropSummary, hostname = process.env.FALCO_HOSTNAME ?? osHostname()): Alert {
  const top = Object.entries(s.rules).map(([rule, n]) => `${n} of '${rule}'`).join(', ')
  return {
    time,
    rule: OUTPUT_DROPS_RULE,
    priority: 4,
    source: 'internal',
    tags: [],
    hostname,
    message: `Lanner internal: output ${s.output} dropped ${s.dropped} alerts (queue full): ${top}.`,
    outputFields: { output: s.output, n_dropped: s.dropped, rules: s.rules }
  }
}
