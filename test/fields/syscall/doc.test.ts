import t from 'tap'
import { readFileSync } from 'node:fs'
import { renderSyscallFieldsDoc } from '../../../src/fields/syscall/doc.ts'
import { notSupplied, syscallFields } from '../../../src/fields/syscall/index.ts'

t.test('docs/syscall-fields.md is the generated table (regenerate with src/fields/syscall/doc.ts)', async (t) => {
  const doc = readFileSync(new URL('../../../docs/syscall-fields.md', import.meta.url), 'utf8')
  t.equal(doc, renderSyscallFieldsDoc())
})

t.test('every field has a row saying whether Lanner supplies its data', async (t) => {
  const doc = renderSyscallFieldsDoc()
  for (const f of syscallFields.list()) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${f.name}\` |`))
    t.ok(row, f.name)
    t.equal(row?.includes('| no data |'), notSupplied().has(f.name), `${f.name} data column`)
  }
  t.notOk(notSupplied().has('proc.name'), 'the core fields have data')
  t.notOk(notSupplied().has('fd.sip.name'), 'DNS names come from the names rules compare with, as in Falco (dns-names.ts)')
})
