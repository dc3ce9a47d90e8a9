// Dependencies flow one way: sources and fields feed the engine; the engine knows no HTTP and no
// eBPF; sources and outputs talk to it only through the shared types. This reads every import in
// src/ (static and dynamic) and checks each module against the table below.
import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = fileURLToPath(new URL('../src', import.meta.url))

/** module → the src/ modules it may import (type-only imports included: they are coupling too) */
const ALLOWED: Record<string, readonly string[]> = {
  util: [],
  errors: ['util'],
  events: ['errors'],
  rules: ['errors', 'events', 'fields', 'util'],
  fields: ['errors', 'events', 'util', 'syscall', 'k8s', 'audit'],
  audit: ['errors', 'events', 'fields', 'rules', 'util'],
  webhook: ['errors', 'events', 'util'],
  outputs: ['errors', 'events', 'util', 'config'],
  syscall: ['errors', 'events', 'fields', 'util', 'k8s'],
  k8s: ['errors', 'events', 'util', 'rules', 'syscall'],
  config: ['errors', 'events', 'util'],
  setup: ['config', 'errors', 'util'],
  app: ['audit', 'config', 'errors', 'events', 'fields', 'k8s', 'outputs', 'rules', 'syscall', 'util', 'webhook'],
  cli: ['app', 'config', 'errors', 'fields', 'rules', 'setup', 'audit', 'util']
}
/** packages that mean HTTP or the kernel: only the edges may import them */
const EDGE_PACKAGES: Record<string, readonly string[]> = {
  fastify: ['webhook'],
  '@kubernetes/client-node': ['k8s'],
  pino: ['app'],
  'prom-client': ['app']
}

function files (dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}
const moduleOf = (file: string): string => relative(SRC, file).split('/')[0] ?? ''
const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

const violations: string[] = []
let crossModuleImports = 0
for (const file of files(SRC)) {
  const mod = moduleOf(file)
  if (mod.endsWith('.ts')) continue // main.ts, index.ts: entry points
  const text = readFileSync(file, 'utf8')
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? ''
    if (spec.startsWith('.')) {
      const target = moduleOf(resolve(dirname(file), spec))
      if (target !== mod) crossModuleImports++
      if (target !== mod && !(ALLOWED[mod] ?? []).includes(target)) violations.push(`${relative(SRC, file)} imports ${target} (${spec})`)
    } else {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0] ?? spec
      const owners = EDGE_PACKAGES[pkg]
      if (owners !== undefined && !owners.includes(mod)) violations.push(`${relative(SRC, file)} imports package ${pkg}`)
    }
  }
}

t.test('every module imports only what the dependency table allows', async (t) => {
  t.ok(crossModuleImports > 50, `the scan saw the imports (${crossModuleImports})`)
  t.same(violations, [])
})

t.test('the engine knows no HTTP and no eBPF', async (t) => {
  for (const forbidden of ['webhook', 'syscall', 'outputs', 'app', 'k8s', 'config']) t.notOk(ALLOWED.rules?.includes(forbidden), `rules may not import ${forbidden}`)
})
