// Audit ingestion: the AuditEvent model, payload decoding, file/stdin reading (replay's evaluation is app/replay/replay-audit.ts).
export { AuditEvent, compactSize, type AuditObject } from './audit-event.ts'
export { decodeAuditPayload, decodeAuditPayloadInTurns, type AuditIssue, type DecodeOptions, type DecodeResult } from './decode.ts'
export { readAuditSource, type AuditBatch, type ReadOptions } from './read-source.ts'
export { parseRfc3339Nano, formatIsoNanos } from './timestamp.ts'
export {
  TRUNCATED_ANNOTATION, evaluateAuditEvent, isTruncated, newTally, type TruncatedRequest, type TruncationTally
} from './truncated-events.ts'
// The source's field table (ka.*, jevt.*, evt.*) and the SourceDefinition the app registers with the engine.
export {
  createK8sAuditSource, createUserFields, imageRepository, K8S_AUDIT_FIELDS, K8S_AUDIT_SOURCE, k8sAuditSource, parsePointer, resolvePointer,
  type K8sAuditEvent, type UserFieldDef
} from './fields/index.ts'
