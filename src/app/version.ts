// Lanner's version, read once from package.json (src/ and dist/ both sit one level below the
// package root, which the container image keeps next to dist/).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { PACKAGE_ROOT } from '../config/defaults.ts'

function readVersion (): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}

export const VERSION: string = readVersion()

/** What `/version` answers and the start-up log carries. */
export function versionInfo (): { version: string, node: string, platform: string } {
  return { version: VERSION, node: process.version, platform: `${process.platform}/${process.arch}` }
}
