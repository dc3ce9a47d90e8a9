export { AppError, RuleError, ConfigError, formatLocated, type SourcePos, type Location } from './app-error.ts'
export { CODES, type ErrorCode, type CodeInfo } from './codes.ts'
