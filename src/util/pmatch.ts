// Path-prefix matching (`pmatch`): both sides split on `/` with empty components dropped; a path
// matches when some pattern's components are a prefix of its components. Pattern components may
// be globs, matched per component (wildcards never cross `/`).
import { compileGlob, hasGlobMeta } from './glob.ts'

type Component = string | RegExp

export function splitPath (p: string): string[] {
  return p.split('/').filter((c) => c.length > 0)
}

/** Compile the patterns once; the returned matcher allocates only the split of its input. */
export function compilePmatch (patterns: readonly string[]): (path: string) => boolean {
  const compiled: Component[][] = patterns.map((p) => splitPath(p).map((c) => hasGlobMeta(c) ? compileGlob(c) : c))
  // literal-only patterns are also kept as joined prefixes for a quick exact lookup
  const exact = new Set<string>()
  const globbed: Component[][] = []
  for (const comps of compiled) {
    if (comps.every((c) => typeof c === 'string')) exact.add(comps.join('/'))
    else globbed.push(comps)
  }
  return function pmatch (path: string): boolean {
    const parts = splitPath(path)
    if (exact.size > 0) {
      let prefix = ''
      if (exact.has('')) return true
      for (let i = 0; i < parts.length; i++) {
        prefix = i === 0 ? parts[0] as string : prefix + '/' + (parts[i] as string)
        if (exact.has(prefix)) return true
      }
    }
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
