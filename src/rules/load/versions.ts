// required_engine_version and required_plugin_versions: semver parsing and Falco's
// "compatible with" rule (same major, not older).
import { fail, type Issues } from './context.ts'
import type { EngineVersionItem, PluginVersionsItem } from './items.ts'

/** The rules-engine version Lanner reports (Falco's engine numbering, so Falco rules files load). */
export const ENGINE_VERSION = '0.63.0'

/** Plugins a source stands in for: Lanner implements these natively for `k8s_audit`. */
export const BUILTIN_PLUGINS: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.freeze({
  k8s_audit: Object.freeze({ k8saudit: '0.18.0', json: '0.7.4' })
})

type Semver = [number, number, number]
const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:[-+].*)?$/

export function parseSemver (text: string): Semver | undefined {
  const m = SEMVER_RE.exec(text.trim())
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])]
}

/** `have` satisfies `want`: same major and have ≥ want. */
export function compatibleWith (have: Semver, want: Semver): boolean {
  if (have[0] !== want[0]) return false
  if (have[1] !== want[1]) return have[1] > want[1]
  return have[2] >= want[2]
}

/** Check a required_engine_version item; returns the required version as semver text. */
export function checkEngineVersion (issues: Issues, it: EngineVersionItem, engine: string): string {
  const have = parseSemver(engine) ?? [0, 0, 0]
  // a bare integer N is Falco's old form: minor version N of the current major
  const want = /^\d+$/.test(it.version) ? [have[0], Number(it.version), 0] as Semver : parseSemver(it.version)
  if (want === undefined) throw fail(issues, 'LOAD_ERR_YAML_VALIDATE', `Unable to parse engine version '${it.version}' as a semver string. Expected "x.y.z" semver format.`, it.ctx)
  if (!compatibleWith(have, want)) {
    throw fail(issues, 'LOAD_ERR_EXTENSION', `Rules require engine version ${want.join('.')}, but engine version is ${engine}`, it.ctx)
  }
  return want.join('.')
}

/** The higher of two semver texts (undefined counts as lowest). */
export function maxVersion (a: string | undefined, b: string): string {
  const pa = a === undefined ? undefined : parseSemver(a)
  const pb = parseSemver(b)
  if (pa === undefined || pb === undefined) return b
  return compatibleWith(pa, pb) || pa[0] > pb[0] ? a as string : b
}

/** Each entry needs its plugin or one of its alternatives at a compatible version. */
export function checkPluginVersions (issues: Issues, it: PluginVersionsItem, provided: Readonly<Record<string, string>>): void {
  for (const e of it.entries) {
    for (const r of [e.req, ...e.alternatives]) {
      if (parseSemver(r.version) === undefined) throw fail(issues, 'LOAD_ERR_YAML_VALIDATE', `Plugin version string ${r.version} is not valid`, it.ctx, e.offset)
    }
    const candidates = [e.req, ...e.alternatives]
    const ok = candidates.some((r) => {
      const have = provided[r.name]
      const hv = have === undefined ? undefined : parseSemver(have)
      return hv !== undefined && compatibleWith(hv, parseSemver(r.version) as Semver)
    })
    if (ok) continue
    const present = candidates.find((r) => provided[r.name] !== undefined)
    const msg = present !== undefined
      ? `Plugin '${present.name}' version '${provided[present.name] ?? ''}' is not compatible with required plugin version '${present.version}'`
      : `Plugin '${e.req.name}' is required but not loaded`
    throw fail(issues, 'LOAD_ERR_EXTENSION', msg, it.ctx, e.offset)
  }
}
