// `lanner rules validate` shows rules built on fields Lanner never fills (LOAD_FIELD_NO_DATA),
// as a user runs it: a real child process on a real file.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = new URL('../../', import.meta.url).pathname

function lanner (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

const RULES = `- rule: Healthcheck shell
  desc: a shell run as a container health check
  condition: evt.type = execve and proc.name = bash and proc.is_container_healthcheck = true
  output: "shell %proc.name"
  priority: NOTICE
`

t.test('validate: the dead rule is valid, and loudly reported', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lanner-nodata-'))
  const file = join(dir, 'dead.yaml')
  await writeFile(file, RULES)
  const text = await lanner('rules', 'validate', file)
  t.equal(text.code, 0, 'warnings do not fail validation')
  t.match(text.stdout, `${file}: Ok`)
  t.match(text.stderr, `${file}:3:57: LOAD_FIELD_NO_DATA: Rule 'Healthcheck shell' uses field 'proc.is_container_healthcheck', which Lanner never fills`)
  t.match(text.stderr, 'so this rule can never match')

  const json = await lanner('rules', 'validate', file, '--json')
  t.equal(json.code, 0)
  const res = JSON.parse(json.stdout) as { falco_load_results: Array<{ successful: boolean, warnings: Array<{ code: string, message: string, context: { locations: Array<{ item_name: string }> } }> }> }
  const w = res.falco_load_results[0]?.warnings.find((x) => x.code === 'LOAD_FIELD_NO_DATA')
  t.equal(res.falco_load_results[0]?.successful, true)
  t.equal(w?.context.locations[0]?.item_name, 'Healthcheck shell')
  t.match(w?.message, /can never match$/)
})
