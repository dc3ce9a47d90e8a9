// Error answers in one shape, {statusCode, code, error, message} (what fastify's serializer emits),
// and the mapping from a decoded batch's result to its HTTP answer. Pure apart from reply.send.
import { STATUS_CODES } from 'node:http'
import type { FastifyReply } from 'fastify'
import { CODES, type CodeInfo, type ErrorCode } from '../errors/index.ts'
import type { HandleBodyResult } from './types.ts'

export interface ErrorBody {
  statusCode: number
  code: ErrorCode
  error: string
  message: string
}

export function errorBody (statusCode: number, code: ErrorCode, message: string): ErrorBody {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message }
}

/** Status from the catalog (500 when the code has none). */
export function statusOf (code: ErrorCode): number {
  const info: CodeInfo = CODES[code]
  return info.statusCode ?? 500
}

export function sendError (reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  const statusCode = statusOf(code)
  return reply.code(statusCode).type('application/json; charset=utf-8').send(errorBody(statusCode, code, message))
}

/** Issues that condemn the whole body when they carry no event index. */
const BODY_LEVEL_CODES: ReadonlySet<string> = new Set<ErrorCode>(['ERR_AUDIT_BAD_JSON', 'ERR_AUDIT_NOT_RECOGNIZED'])
/** Per-item issues saying the item was not an audit event at all (as opposed to a flawed one). */
const NOT_AN_EVENT_CODES: ReadonlySet<string> = new Set<ErrorCode>(['ERR_AUDIT_NOT_RECOGNIZED', 'ERR_AUDIT_NOT_OBJECT'])

export type BatchVerdict =
  | { ok: true }
  | { ok: false, code: string, message: string }

/**
 * Not ok when nothing was accepted and the body is not audit data: invalid JSON, an unknown
 * document, or items none of which is an object. The route acknowledges that too (200 naming the
 * problem, unusable-batches.ts): kube-apiserver would resend the same bytes five times. Ok even
 * when some or all events were refused for their content (a retry would refuse them again; they
 * are counted and logged instead).
 */
export function judgeBatch (result: HandleBodyResult): BatchVerdict {
  if (result.accepted > 0 || result.issues.length === 0) return { ok: true }
  const fatal = result.issues.find((i) => i.index === undefined && BODY_LEVEL_CODES.has(i.code)) ??
    (result.issues.every((i) => NOT_AN_EVENT_CODES.has(i.code)) ? result.issues[0] : undefined)
  if (fatal === undefined) return { ok: true }
  return { ok: false, code: fatal.code, message: fatal.message }
}
