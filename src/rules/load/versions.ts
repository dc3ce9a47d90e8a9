// required_engine_version and required_plugin_versions: semver parsing and Falco's
// "compatible with" rule (same major, not older).
import { fail, type Issues } from './context.ts'
import type { EngineVersionItem, PluginRequirement, PluginVersionsItem } from './items.ts'

/** The rules-engine version Lanner reports (Falco's engine numbering, so Falco rules files load). */
export const ENGINE_VERSION = '0.63.0'

/**
 * Plugins whose fields a source supplies natively, with the plugin version whose field set it
 * stands for. Rules files name these in `required_plugin_versions`: since Falco 0.41 every
 * upstream syscall rules file requires the `container` plugin (container.* and k8s.pod/ns
 * fields), which Lanner fills from cgroups and the pod watch itself; audit rules require
 * k8saudit and json. container 0.6.1 is the version Falco's chart deploys (collectors.containerEngine
 * pluginRef). Any other plugin (k8smeta, cloudtrail, …) Lanner does not provide.
 */
export const BUILTIN_PLUGINS: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.freeze({
  k8s_audit: Object.freeze({ k8saudit: '0.18.0', json: '0.7.4' }),
  syscall: Object.freeze({ container: '0.6.1' })
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

/**
 * Each entry is satisfied as Falco's check_plugin_requirements decides (falco_engine.cpp): the
 * entry's plugin and then its alternatives are tried in order, and the FIRST one Lanner provides
 * decides — compatible (same major, provided >= required: sinsp_version::compatible_with) or an
 * error naming both versions. None provided: an error saying Lanner does not provide it.
 */
export function checkPluginVersions (issues: Issues, it: PluginVersionsItem, provided: Readonly<Record<string, string>>): void {
  for (const e of it.entries) {
    const candidates = [e.req, ...e.alternatives]
    for (const r of candidates) {
      if (parseSemver(r.version) === undefined) throw fail(issues, 'LOAD_ERR_YAML_VALIDATE', `Plugin version string ${r.version} is not valid`, it.ctx, e.offset)
    }
    const decides = candidates.find((r) => provided[r.name] !== undefined)
    if (decides === undefined) {
      throw fail(issues, 'LOAD_ERR_EXTENSION', notProvidedMessage(candidates, provided), it.ctx, e.offset)
    }
    const have = provided[decides.name] as string
    const hv = parseSemver(have)
    if (hv === undefined || !compatibleWith(hv, parseSemver(decides.version) as Semver)) {
      throw fail(issues, 'LOAD_ERR_EXTENSION', `Plugin '${decides.name}' version '${have}' is not compatible with required plugin version '${decides.version}' (Lanner provides ${decides.name} ${have})`, it.ctx, e.offset)
    }
  }
}

function notProvidedMessage (candidates: readonly PluginRequirement[], provided: Readonly<Record<string, string>>): string {
  const wanted = candidates.map((r) => `${r.name} (>= ${r.version})`).join(', ')
  const names = candidates.map((r) => `'${r.name}'`).join(' or ')
  const has = Object.entries(provided).map(([n, v]) => `${n} ${v}`).join(', ')
  const elsewhere = Object.entries(BUILTIN_PLUGINS).find(([, ps]) => candidates.some((r) => ps[r.name] !== undefined))
  if (elsewhere !== undefined) {
    return `Plugin requirement not satisfied, must load one of: ${wanted}. Lanner supplies those fields in its ${elsewhere[0]} source, which this instance does not run`
  }
  return `Plugin requirement not satisfied, must load one of: ${wanted}. Lanner does not provide plugin ${names} and cannot load plugins; ` +
    `it supplies the fields of ${has === '' ? 'no plugin' : has} itself`
}
