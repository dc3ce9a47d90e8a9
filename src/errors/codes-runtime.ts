// Codes for running sources and sinks: webhook, audit decoding, outputs, syscall probe, k8s.
import type { CodeInfo } from './code-info.ts'

// The three body-level audit codes (NOT_RECOGNIZED, BAD_JSON, NOT_OBJECT) carry no statusCode: the
// webhook acknowledges such a batch 200 with the code in the body, since kube-apiserver would only
// resend the same bytes (decided in src/webhook/replies.ts judgeBatch; docs/falco-compatibility.md).
export const RUNTIME_CODES = {
  ERR_AUDIT_NOT_RECOGNIZED: { severity: 'error', summary: 'data not recognized as a k8s audit event' },
  ERR_AUDIT_BAD_JSON: { severity: 'error', summary: 'body is not valid JSON' },
  ERR_AUDIT_NO_TIMESTAMP: { severity: 'error', summary: "audit event has no valid stageTimestamp" },
  ERR_AUDIT_EVENT_TOO_LARGE: { severity: 'error', summary: 'audit event larger than the per-event limit' },
  ERR_AUDIT_NOT_OBJECT: { severity: 'error', summary: 'an EventList item or array element is not an audit event object' },
  ERR_AUDIT_READ_FAILED: { severity: 'error', summary: 'audit file or stdin cannot be read' },
  ERR_AUDIT_USER_FIELD_CONFLICT: { severity: 'error', summary: 'user-defined k8s_audit field name is taken or repeated' },
  ERR_AUDIT_USER_FIELD_INVALID: { severity: 'error', summary: 'user-defined k8s_audit field has a bad name or JSONPath' },
  ERR_WEBHOOK_METHOD: { severity: 'error', summary: 'method not allowed', statusCode: 405 },
  ERR_WEBHOOK_CONTENT_TYPE: { severity: 'error', summary: 'content type is not JSON', statusCode: 400 },
  ERR_WEBHOOK_TOO_LARGE: { severity: 'error', summary: 'request body over the maximum size', statusCode: 413 },
  ERR_WEBHOOK_TOO_COMPLEX: { severity: 'error', summary: 'request body holds more JSON values than lanner.webhook.max_body_values', statusCode: 413 },
  ERR_WEBHOOK_UPLOAD_TOO_SLOW: { severity: 'error', summary: 'request headers or body arrived slower than the minimum upload rate', statusCode: 408 },
  ERR_WEBHOOK_OVERLOADED: { severity: 'error', summary: 'too many batches in flight; retry later', statusCode: 429 },
  ERR_WEBHOOK_UNAUTHORIZED: { severity: 'error', summary: 'missing or wrong bearer token', statusCode: 401 },
  ERR_WEBHOOK_SHUTTING_DOWN: { severity: 'error', summary: 'shutting down; retry later', statusCode: 503 },
  ERR_WEBHOOK_NOT_FOUND: { severity: 'error', summary: 'no such path', statusCode: 404 },
  ERR_WEBHOOK_BAD_REQUEST: { severity: 'error', summary: 'request body could not be read (length mismatch, aborted upload)', statusCode: 400 },
  ERR_WEBHOOK_HANDLER_FAILED: { severity: 'error', summary: 'batch evaluation failed; retry later', statusCode: 500 },
  ERR_WEBHOOK_TLS: { severity: 'error', summary: 'TLS certificate, key or CA is missing or malformed' },
  ERR_ADMIN_METRICS: { severity: 'error', summary: 'collecting metrics for /metrics failed', statusCode: 500 },
  ERR_OUTPUT_FAILED: { severity: 'error', summary: 'output channel failed' },
  ERR_OUTPUT_QUEUE_FULL: { severity: 'error', summary: 'output queue full; alert dropped' },
  ERR_OUTPUT_TIMEOUT: { severity: 'error', summary: 'output did not take an alert within its deadline' },
  ERR_SYSCALL_UNSUPPORTED: { severity: 'error', summary: 'kernel cannot run the eBPF probe' },
  ERR_SYSCALL_PROBE_FAILED: { severity: 'error', summary: 'eBPF probe helper failed' },
  ERR_SYSCALL_SHORT_RECORD: { severity: 'error', summary: 'ring buffer record shorter than its header says' },
  ERR_SYSCALL_UNKNOWN_OP: { severity: 'error', summary: 'ring buffer record of an unknown kind' },
  ERR_SYSCALL_USERS_FILE_REFUSED: { severity: 'warning', summary: "a container's (or the node's) /etc/passwd or /etc/group is not a regular file, is over 1 MiB or loops through symlinks: not read, its user.name/group.name are <NA>" },
  ERR_K8S_WATCH: { severity: 'error', summary: 'Kubernetes watch failed' },
  ERR_SERVE_FAILED: { severity: 'error', summary: 'serve stopped on an unexpected error (a system error prints its own code instead, e.g. EADDRINUSE)' }
} as const satisfies Record<string, CodeInfo>
