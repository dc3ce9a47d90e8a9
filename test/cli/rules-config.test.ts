// `lanner rules validate -c falco.yaml`: rules using static.* fields and the config's
// append_output validate as serve would load them; without -c static fields are unknown.
import t from 'tap'
import { execFile } from 'node:child_process'
import path from 'node:path'

const ROOT = new URL('../../', import.meta.url).pathname

function lanner (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: ROOT, timeout: 60_000, env: { ...process.env, CLUSTER: 'prod' } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

const RULES = `- rule: Prod create
  desc: d
  condition: ka.verb = create and static.cluster = prod
  output: created %ka.target.name
  priority: NOTICE
  source: k8s_audit
`

t.test('static fields come from -c; a bad append_output field fails validation', async (t) => {
  const dir = t.testdir({
    'rules.yaml': RULES,
    'falco.yaml': 'static_fields:\n  cluster: ${CLUSTER}\n',
    'bad.yaml': 'static_fields: {cluster: x}\nappend_output:\n  - extra_output: "%ka.nosuch"\n'
  })
  const without = await lanner('rules', 'validate', path.join(dir, 'rules.yaml'))
  t.equal(without.code, 1)
  t.match(without.stderr, /static\.cluster/)
  const withConfig = await lanner('rules', 'validate', path.join(dir, 'rules.yaml'), '-c', path.join(dir, 'falco.yaml'))
  t.equal(withConfig.code, 0, withConfig.stderr)
  t.match(withConfig.stdout, /rules\.yaml: Ok/)
  const bad = await lanner('rules', 'validate', '-c', path.join(dir, 'bad.yaml'), path.join(dir, 'rules.yaml'))
  t.equal(bad.code, 1)
  t.match(bad.stderr, /append_output \(falco\.yaml\) for rule 'Prod create'/)
  const usage = await lanner('rules', 'validate', path.join(dir, 'rules.yaml'), '-c')
  t.equal(usage.code, 2)
})
