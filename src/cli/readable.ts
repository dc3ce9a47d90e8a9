// A named input that cannot be read fails the command up front, naming the path and the reason:
// a typo in a path is an error, not "0 events read".
import { accessSync, constants } from 'node:fs'
import { AppError } from '../errors/index.ts'

/** Throws ERR_AUDIT_READ_FAILED when `path` is missing or unreadable; `what` says where it was named. */
export function checkReadable (path: string, what?: string): void {
  try { accessSync(path, constants.R_OK) } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code
    throw new AppError('ERR_AUDIT_READ_FAILED', `cannot read ${path}${what === undefined ? '' : ` (${what})`}: ${why} (${code})`)
  }
}
