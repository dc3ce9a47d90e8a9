// The probe helper's C units depend one way, like the TypeScript modules: each unit's functions
// are declared in its own header only (a header declaring another file's functions hides a
// dependency back, as lanner-opts.h once did for lanner-probe.c's out_append/write_conf), and the
// units' includes form no cycle. The old layout, kept below as text, shows the check failing.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HELPER = fileURLToPath(new URL('../../src/syscall/helper', import.meta.url))

type Files = Record<string, string>

function withoutComments (text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
}

/** non-static functions defined at the top level of a .c file (the line holding the name and '(') */
function definedFunctions (c: string): string[] {
  const names: string[] = []
  const re = /^(?!static\b)[A-Za-z_][\w \t*]*?\b([A-Za-z_]\w*)\s*\([^;{]*\)\s*\{/gm
  for (const m of withoutComments(c).matchAll(re)) if (m[1] !== 'main') names.push(m[1]!)
  return names
}

/** functions a header declares (prototypes) */
function declaredFunctions (h: string): string[] {
  const names: string[] = []
  for (const m of withoutComments(h).matchAll(/^[A-Za-z_][\w \t*]*?\b([A-Za-z_]\w*)\s*\([^;{]*\)\s*;/gm)) names.push(m[1]!)
  return names
}

function unitOf (file: string): string {
  return file.replace(/\.(c|h)$/, '')
}

/** "x.h declares y.c's f" for every prototype whose definition lives in another unit */
function misplacedDeclarations (files: Files): string[] {
  const home = new Map<string, string>()
  for (const [name, text] of Object.entries(files)) if (name.endsWith('.c')) for (const f of definedFunctions(text)) home.set(f, unitOf(name))
  const out: string[] = []
  for (const [name, text] of Object.entries(files)) {
    if (!name.endsWith('.h')) continue
    for (const f of declaredFunctions(text)) {
      const definedIn = home.get(f)
      if (definedIn !== undefined && definedIn !== unitOf(name)) out.push(`${name} declares ${definedIn}.c's ${f}`)
    }
  }
  return out.sort()
}

/** unit → the helper units whose headers it includes (its .c and .h together) */
function unitGraph (files: Files): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>()
  for (const [name, text] of Object.entries(files)) {
    const from = unitOf(name)
    const deps = g.get(from) ?? new Set<string>()
    g.set(from, deps)
    for (const m of withoutComments(text).matchAll(/^#include "([^"]+)"/gm)) {
      // only the helper's own headers: bpf/lanner-probe.h (the record ABI) is not a helper unit
      const to = unitOf(m[1]!)
      if (to !== from && m[1]! in files) deps.add(to)
    }
  }
  return g
}

/** "a → b → a" for each unit that reaches itself */
function includeCycles (files: Files): string[] {
  const g = unitGraph(files)
  const found = new Set<string>()
  function walk (start: string, at: string, path: string[]): void {
    for (const next of g.get(at) ?? []) {
      if (next === start) { found.add([...path, start].join(' → ')); continue }
      if (!path.includes(next)) walk(start, next, [...path, next])
    }
  }
  for (const unit of [...g.keys()].sort()) walk(unit, unit, [unit])
  return [...found].sort()
}

function helperFiles (): Files {
  const files: Files = {}
  for (const name of readdirSync(HELPER)) if (/\.(c|h)$/.test(name)) files[name] = readFileSync(join(HELPER, name), 'utf8')
  return files
}

t.test('the scan sees the helper units and their functions', async (t) => {
  const files = helperFiles()
  t.ok(definedFunctions(files['lanner-out.c'] ?? '').includes('out_append'), 'out_append is defined in lanner-out.c')
  t.ok(definedFunctions(files['lanner-opts.c'] ?? '').includes('parse_opts'), 'parse_opts is defined in lanner-opts.c')
  t.notOk(definedFunctions(files['lanner-opts.c'] ?? '').includes('kind_of'), 'static functions are private to their unit')
  t.ok(declaredFunctions(files['lanner-out.h'] ?? '').includes('out_conf'), 'lanner-out.h declares out_conf')
  t.same([...unitGraph(files).get('lanner-opts') ?? []].sort(), ['lanner-out', 'lanner-tables'], 'opts uses the output and the tables')
})

t.test('each unit declares only its own functions, and the includes form no cycle', async (t) => {
  const files = helperFiles()
  t.same(misplacedDeclarations(files), [])
  t.same(includeCycles(files), [])
})

t.test('the old layout (opts.h declaring lanner-probe.c\'s output functions) fails both checks', async (t) => {
  const old: Files = {
    'lanner-probe.c': '#include "lanner-opts.h"\nint out_append(const void *p, size_t n)\n{\n\treturn 0;\n}\nint main(void)\n{\n\treturn 0;\n}\n',
    'lanner-opts.h': 'int parse_opts(int argc, char **argv, struct opts *o);\n/* provided by lanner-probe.c */\nint out_append(const void *p, size_t n);\n',
    'lanner-opts.c': '#include "lanner-opts.h"\nint parse_opts(int argc, char **argv, struct opts *o)\n{\n\treturn out_append(argv, 0);\n}\n'
  }
  t.same(misplacedDeclarations(old), ['lanner-opts.h declares lanner-probe.c\'s out_append'])
  // the cycle the misplaced declaration hid, once opts names the unit it really uses
  const honest: Files = { ...old, 'lanner-opts.c': '#include "lanner-opts.h"\n#include "lanner-probe.h"\n', 'lanner-probe.h': 'int out_append(const void *p, size_t n);\n' }
  t.same(includeCycles(honest), ['lanner-opts → lanner-probe → lanner-opts', 'lanner-probe → lanner-opts → lanner-probe'])
})
