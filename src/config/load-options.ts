// What loadConfig and resolveConfig are called with. Its own file so types.ts (Config.loadedWith
// keeps them for a live reload) names them without importing load.ts, which imports types.ts.
import type { SourceName } from './defaults.ts'
import type { Env } from './env-expand.ts'

export interface ResolveOptions {
  /** -r: replaces rules_files */
  rules?: readonly string[]
  /** -t / -T */
  tagsKeep?: readonly string[]
  tagsDrop?: readonly string[]
  /** --source */
  source?: SourceName
  cwd?: string
  configDir?: string
}

export interface LoadConfigOptions extends Omit<ResolveOptions, 'configDir'> {
  /** -c FILE; without it every setting has its default */
  file?: string
  /** -o key=value, in order */
  overrides?: readonly string[]
  cwd?: string
  /** where ${VAR} values come from (default process.env) */
  env?: Env
}
