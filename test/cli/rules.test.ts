// `lanner rules validate|list` as users run it: a real child process, real files, exit codes.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readRulesPaths } from '../../src/rules/index.ts'

const ROOT = new URL('../../', import.meta.url).pathname

function lanner (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ code, stdout, stderr })
    })
  })
}

const GOOD = `- list: verbs
  items: [create, update]
- rule: Write by anonymous
  desc: anonymous writes
  condition: ka.verb in (verbs) and ka.user.name = "system:anonymous"
  output: "anonymous %ka.verb (user=%ka.user.name)"
  priority: WARNING
  source: k8s_audit
  tags: [k8s, b]
`
const BAD = `- rule: Broken
  desc: d
  condition: >
    ka.verb = create and
    ka.usr.name = bob
  output: "%ka.verb"
  priority: INFO
  source: k8s_audit
`
const WARN = `${GOOD}- macro: unused
  condition: ka.verb = get
`

t.test('validate: exit codes, located errors with snippets, warnings', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lanner-rules-'))
  await writeFile(join(dir, 'good.yaml'), GOOD)
  await writeFile(join(dir, 'bad.yaml'), BAD)
  await writeFile(join(dir, 'warn.yaml'), WARN)

  const ok = await lanner('rules', 'validate', join(dir, 'good.yaml'))
  t.equal(ok.code, 0)
  t.equal(ok.stdout, `${join(dir, 'good.yaml')}: Ok\n`)

  const bad = await lanner('rules', 'validate', join(dir, 'bad.yaml'))
  t.equal(bad.code, 1)
  t.equal(bad.stdout, `${join(dir, 'bad.yaml')}: Invalid\n`)
  t.match(bad.stderr, `${join(dir, 'bad.yaml')}:5:5: RULE_COMPILE_UNKNOWN_FIELD: `)
  t.match(bad.stderr, "(rule 'Broken')\n        ka.usr.name = bob\n        ^\n")

  const warn = await lanner('rules', 'validate', join(dir, 'warn.yaml'))
  t.equal(warn.code, 0, 'warnings do not fail')
  t.match(warn.stderr, `warning: ${join(dir, 'warn.yaml')}:10:3: LOAD_UNUSED_MACRO: `)
})

t.test('validate --json: Falco-style load results per file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lanner-rules-'))
  await writeFile(join(dir, 'good.yaml'), WARN)
  await writeFile(join(dir, 'bad.yaml'), BAD)
  const res = await lanner('rules', 'validate', '--json', join(dir, 'good.yaml'), join(dir, 'bad.yaml'), join(dir, 'missing.yaml'))
  t.equal(res.code, 1)
  const out = JSON.parse(res.stdout) as { falco_load_results: Array<{ name: string, successful: boolean, errors: Array<Record<string, any>>, warnings: Array<Record<string, any>> }> }
  const [good, bad, missing] = out.falco_load_results
  t.match(good, { name: join(dir, 'good.yaml'), successful: true, errors: [] })
  t.match(good?.warnings, [{ code: 'LOAD_UNUSED_MACRO', codes: ['LOAD_UNUSED_MACRO'], context: { locations: [{ item_type: 'macro', item_name: 'unused', position: { line: 10, column: 3 } }] } }])
  t.match(bad, { successful: false })
  t.match(bad?.errors, [{ code: 'LOAD_ERR_COMPILE_CONDITION', codes: ['LOAD_ERR_COMPILE_CONDITION', 'RULE_COMPILE_UNKNOWN_FIELD'], context: { locations: [{ item_type: 'rule', item_name: 'Broken', position: { name: join(dir, 'bad.yaml'), line: 5, column: 5 } }] } }])
  t.match(missing?.errors, [{ code: 'LOAD_ERR_FILE_READ' }])
})

t.test('list: text table and JSON', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lanner-rules-'))
  await writeFile(join(dir, 'r.yaml'), GOOD)
  const text = await lanner('rules', 'list', join(dir, 'r.yaml'))
  t.equal(text.code, 0)
  const lines = text.stdout.trimEnd().split('\n')
  t.match(lines[0], /^NAME\s+SOURCE\s+PRIORITY\s+TAGS\s+ENABLED$/)
  t.match(lines[1], /^Write by anonymous\s+k8s_audit\s+Warning\s+b,k8s\s+true$/)
  const json = await lanner('rules', 'list', '--json', join(dir, 'r.yaml'))
  t.same(JSON.parse(json.stdout), { rules: [{ name: 'Write by anonymous', source: 'k8s_audit', priority: 'Warning', tags: ['b', 'k8s'], enabled: true, desc: 'anonymous writes' }] })
  const broken = await lanner('rules', 'list', join(dir, 'nope.yaml'))
  t.equal(broken.code, 1)
})

t.test('usage errors exit 2', async (t) => {
  t.equal((await lanner('rules', 'validate')).code, 2)
  t.equal((await lanner('rules', 'frobnicate', 'x')).code, 2)
  t.equal((await lanner('rules', 'validate', '--bogus', 'x')).code, 2)
  t.equal((await lanner('rules', '--help')).code, 0)
})

t.test('readRulesPaths: directories contribute .yaml/.yml files in lexical order', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lanner-rulesd-'))
  await writeFile(join(dir, 'b.yml'), '[]')
  await writeFile(join(dir, 'a.yaml'), '[]')
  await writeFile(join(dir, 'c.txt'), 'ignored')
  await mkdir(join(dir, 'sub.yaml'))
  await symlink(join(dir, 'a.yaml'), join(dir, 'link.yaml'))
  await symlink(join(dir, 'gone'), join(dir, 'dangling.yaml'))
  const inputs = await readRulesPaths([dir, join(dir, 'c.txt'), join(dir, 'missing.yaml')])
  t.same(inputs.map((i) => [i.name.slice(dir.length + 1), i.readError === undefined]),
    [['a.yaml', true], ['b.yml', true], ['dangling.yaml', false], ['link.yaml', true], ['c.txt', true], ['missing.yaml', false]])
})

t.test('validate reports every error of a file, in file order, not only the first', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lanner-rules-'))
  const rule = (name: string, condition: string, output = 'o', priority = 'WARNING'): string =>
    `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: "${output}"\n  priority: ${priority}\n  source: k8s_audit\n`
  await writeFile(join(dir, 'many.yaml'), [
    rule('A', 'ka.verb = create and ka.nope = 1'),
    rule('B', 'ka.verb = ('),
    rule('C', 'ka.verb = create', '%ka.bogus'),
    rule('D', 'ka.verb = create', 'o', 'NOPE'),
    rule('E', 'ka.verb = create')
  ].join(''))
  const res = await lanner('rules', 'validate', join(dir, 'many.yaml'))
  t.equal(res.code, 1)
  const located = res.stderr.split('\n').filter((l) => l.startsWith(join(dir, 'many.yaml') + ':')).map((l) => /:(\d+):\d+: (\w+):.*\(rule '(\w)'\)/.exec(l)?.slice(1))
  t.same(located, [['3', 'RULE_COMPILE_UNKNOWN_FIELD', 'A'], ['9', 'RULE_PARSE_UNEXPECTED_TOKEN', 'B'], ['16', 'RULE_COMPILE_UNKNOWN_FIELD', 'C'], ['23', 'LOAD_ERR_YAML_VALIDATE', 'D']], 'four errors, each at its line')
  const json = JSON.parse((await lanner('rules', 'validate', '--json', join(dir, 'many.yaml'))).stdout)
  t.equal(json.falco_load_results[0].errors.length, 4, '--json lists them all too')
})

t.test('list | head: a closed stdout ends the command quietly', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lanner-rules-'))
  // far more than a pipe buffer of output, so the writer really meets the closed pipe
  let many = ''
  for (let i = 0; i < 3000; i++) many += `- rule: Rule number ${i} with a long enough name to fill the table\n  desc: d\n  condition: ka.verb = create\n  output: o\n  priority: INFO\n  source: k8s_audit\n  tags: [k8s, padding_${i}]\n`
  await writeFile(join(dir, 'many.yaml'), many)
  const r = await new Promise<{ code: number, stdout: string, stderr: string }>((resolve) => {
    execFile('sh', ['-c', `"${process.execPath}" --import tsx src/main.ts rules list "${join(dir, 'many.yaml')}" | head -n 2; echo "lanner=\${PIPESTATUS:-n/a}"`], { cwd: ROOT, timeout: 60_000, shell: undefined }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : 1, stdout, stderr })
    })
  })
  t.equal(r.code, 0)
  t.equal(r.stdout.split('\n').filter((l) => l.startsWith('NAME') || l.startsWith('Rule number')).length, 2, 'head got its lines')
  t.equal(r.stderr, '', 'no EPIPE stack trace')
})
