// The error and warning code catalog. One entry per stable code; a retired code is never reused.
// Each area keeps its own table (codes-*.ts) so modules can grow their codes independently;
// this file only merges them.
import { RULE_CODES } from './codes-rules.ts'
import { CONFIG_CODES } from './codes-config.ts'
import { RUNTIME_CODES } from './codes-runtime.ts'
import type { CodeInfo } from './code-info.ts'

export type { CodeInfo }

export const CODES = Object.freeze({
  ...RULE_CODES,
  ...CONFIG_CODES,
  ...RUNTIME_CODES
}) satisfies Record<string, CodeInfo>

export type ErrorCode = keyof typeof CODES
