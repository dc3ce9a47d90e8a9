/**
 * The logger every module receives (house style: only app/ imports pino; everything else is given
 * a Logger and logs through `logger.child({ module })`). The pino-compatible subset: a pino Logger
 * is one, and so is a small test double. A module that needs less takes a Pick of it.
 */
export interface Logger {
  child(bindings: Record<string, unknown>): Logger
  debug(objOrMsg: object | string, msg?: string): void
  info(objOrMsg: object | string, msg?: string): void
  warn(objOrMsg: object | string, msg?: string): void
  error(objOrMsg: object | string, msg?: string): void
}
