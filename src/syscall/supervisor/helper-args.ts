// What the helper is told: the event kinds it records (checked against the ABI's kind table), its
// command line, and the control line that changes the kinds while it runs.
import { ConfigError } from '../../errors/index.ts'
import { KIND_IDS } from '../abi.ts'

/** The event kinds recorded on exit (procexit: process exits) and on enter. */
export interface KindSet { kinds: readonly string[], enter: readonly string[] }

/** The options that become the helper's command line. */
export interface HelperArgOptions {
  ringBytes?: number
  statsIntervalMs?: number
  confTimeoutMs?: number
}

/** Throws ConfigError (naming `key`) for a kind the probe does not produce. */
export function checkKinds (key: string, kinds: readonly string[] | undefined): void {
  if (kinds === undefined) return
  for (const k of kinds) {
    if (!Object.hasOwn(KIND_IDS, k)) {
      throw new ConfigError('ERR_CONFIG_INVALID', `${key}: '${k}' is not an event type the probe produces (${Object.keys(KIND_IDS).join(', ')})`)
    }
  }
}

function checkInt (key: string, v: number | undefined, min: number, max: number): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= max)) {
    throw new ConfigError('ERR_CONFIG_INVALID', `${key}: expected an integer from ${min} to ${max}, got ${v}`)
  }
}

/** Same members, any order. */
export function sameKinds (a: KindSet, b: KindSet): boolean {
  return sameList(a.kinds, b.kinds) && sameList(a.enter, b.enter)
}

function sameList (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  const s = new Set(a)
  return b.every(function has (x) { return s.has(x) })
}

/** procexit is fixed when the BPF programs load: switching it needs a new helper. */
export function procexitChanged (a: KindSet, b: KindSet): boolean {
  return a.kinds.includes('procexit') !== b.kinds.includes('procexit')
}

function listArg (list: readonly string[]): string {
  return list.length === 0 ? 'none' : list.join(',')
}

/** The helper's argv for this set; throws ConfigError for an out-of-range option. */
export function helperArgs (opts: HelperArgOptions, set: KindSet): string[] {
  checkInt('ringBytes', opts.ringBytes, 4096, 1 << 30)
  checkInt('statsIntervalMs', opts.statsIntervalMs, 10, 3_600_000)
  checkInt('confTimeoutMs', opts.confTimeoutMs, 10, 600_000)
  const args: string[] = ['--kinds', listArg(set.kinds)]
  if (set.enter.length > 0) args.push('--enter', listArg(set.enter))
  if (opts.ringBytes !== undefined) args.push('--ring-bytes', String(opts.ringBytes))
  if (opts.statsIntervalMs !== undefined) args.push('--stats-ms', String(opts.statsIntervalMs))
  return args
}

/** `kinds <seq> <exit-list|none> <enter-list|none>`: what lanner-opts.c reads on its stdin. */
export function kindsLine (seq: number, set: KindSet): string {
  return `kinds ${seq} ${listArg(set.kinds)} ${listArg(set.enter)}\n`
}
