// Falco's environment expansion in config values (0.37+): every string value of a config file is
// rewritten when loaded, before validation, so `json_output: ${JSON_OUT}` is checked as the text
// the variable holds. `${NAME}` becomes the variable's value (an unset variable becomes the empty
// string, as in Falco); `$${NAME}` is the escape and becomes the literal `${NAME}`. Keys are not
// expanded (Falco visits values only). An expanded value is not expanded again, so a variable
// holding `${OTHER}` stays literal text and no loop is possible.

export type Env = Readonly<Record<string, string | undefined>>

/** Expand one string the way Falco does; text without `$` is returned as is. */
export function expandEnvString (value: string, env: Env): string {
  if (!value.includes('$')) return value
  let out = ''
  let i = 0
  while (i < value.length) {
    const dollar = value.indexOf('$', i)
    if (dollar < 0) { out += value.slice(i); break }
    out += value.slice(i, dollar)
    if (value.startsWith('$${', dollar)) {
      const close = value.indexOf('}', dollar + 3)
      // no closing brace: Falco leaves the rest untouched
      if (close < 0) { out += value.slice(dollar); break }
      out += value.slice(dollar + 1, close + 1)
      i = close + 1
    } else if (value.startsWith('${', dollar)) {
      const close = value.indexOf('}', dollar + 2)
      if (close < 0) { out += value.slice(dollar); break }
      out += env[value.slice(dollar + 2, close)] ?? ''
      i = close + 1
    } else {
      out += '$'
      i = dollar + 1
    }
  }
  return out
}

/** Expand every string value in a parsed YAML tree, in place; returns the tree. */
export function expandEnvTree<T> (root: T, env: Env): T {
  const seen = new Set<object>()
  function visit (node: unknown): unknown {
    if (typeof node === 'string') return expandEnvString(node, env)
    if (typeof node !== 'object' || node === null || seen.has(node)) return node
    // YAML aliases share one object: expand it once
    seen.add(node)
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = visit(node[i])
    } else {
      const obj = node as Record<string, unknown>
      for (const k of Object.keys(obj)) obj[k] = visit(obj[k])
    }
    return node
  }
  return visit(root) as T
}
