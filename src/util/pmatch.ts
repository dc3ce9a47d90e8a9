// Path-prefix matching (`pmatch`): both sides split on `/` with empty components dropped; a path
// matches when some pattern's components are a prefix of its components. Pattern components may
// be globs, matched per component (wildcards never cross `/`).
import { compileGlob, hasGlobMeta, type GlobMatcher } from './glob.ts'

type Component = string | GlobMatcher

export function splitPath (p: string): string[] {
  return p.split('/').filter((c) => c.length > 0)
}

/** Already in the form "/a/b" (absolute, no empty components, no trailing slash)? */
function isClean (p: string): boolean {
  return p.charCodeAt(0) === 47 && !p.includes('//') && (p.length === 1 || p.charCodeAt(p.length - 1) !== 47)
}

/**
 * Compile the patterns once. Literal patterns on clean absolute paths are plain string prefix
 * tests (no allocation); anything else splits the path into components.
 */
export function compilePmatch (patterns: readonly string[]): (path: string) => boolean {
  const literals: string[] = []
  const globbed: Component[][] = []
  let matchAll = false
  for (const p of patterns) {
    const comps = splitPath(p)
    if (comps.length === 0) matchAll = true
    else if (comps.some(hasGlobMeta)) globbed.push(comps.map((c) => hasGlobMeta(c) ? compileGlob(c) : c))
    else literals.push('/' + comps.join('/'))
  }
  if (matchAll) return () => true
  return function pmatch (path: string): boolean {
    if (literals.length > 0) {
      const p = isClean(path) ? path : '/' + splitPath(path).join('/')
      for (let i = 0; i < literals.length; i++) {
        const l = literals[i] as string
        if (p.startsWith(l) && (p.length === l.length || p.charCodeAt(l.length) === 47)) return true
      }
    }
    if (globbed.length === 0) return false
    const parts = splitPath(path)
    outer: for (const comps of globbed) {
      if (comps.length > parts.length) continue
      for (let i = 0; i < comps.length; i++) {
        const c = comps[i] as Component
        const part = parts[i] as string
        if (typeof c === 'string' ? c !== part : !c.test(part)) continue outer
      }
      return true
    }
    return false
  }
}
