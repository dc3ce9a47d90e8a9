// Error answers in one shape, {statusCode, code, error, message} (what fastify's serializer emits),
// and the mapping from a decoded batch's result to its HTTP answer. Pure apart from reply.send.
import { STATUS_CODES } from 'node:http'
import type { FastifyReply } from 'fastify'
import { CODES, type CodeInfo, type ErrorCode } from '../errors/index.ts'
import type { HandleBodyResult } from './types.ts'

export interface ErrorBody {
  statusCode: number
  code: string
  error: string
  message: string
}

export function errorBody (statusCode: number, code: string, message: string): ErrorBody {
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

/** Issues that condemn the whole body: retrying the same bytes can never succeed. */
const BODY_LEVEL_CODES: ReadonlySet<string> = new Set(['ERR_AUDIT_BAD_JSON', 'ERR_AUDIT_NOT_RECOGNIZED'])

export type BatchVerdict =
  | { ok: true }
  | { ok: false, code: string, message: string }

/**
 * 400 when nothing was accepted because of a body-level issue; otherwise 200, even when some events
 * were refused (a retry would refuse them again; they are counted and logged instead).
 */
export function judgeBatch (result: HandleBodyResult): BatchVerdict {
  if (result.accepted > 0) return { ok: true }
  const fatal = result.issues.find((i) => BODY_LEVEL_CODES.has(i.code))
  if (fatal === undefined) return { ok: true }
  return { ok: false, code: fatal.code, message: fatal.message }
}
