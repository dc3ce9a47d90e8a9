// The stdout channel on a real process's own stdout (its default stream), as `lanner serve | jq`
// runs it: when the reader goes away the sends fail with EPIPE, later ones at once, and the
// process lives on (an unheard 'error' on process.stdout would kill it, and every output with it).
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const OUTPUTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/outputs/index.ts')

const WRITER = `
import { createStdoutChannel } from ${JSON.stringify(OUTPUTS)}
const ch = createStdoutChannel()
await ch.send(['first alert'])
process.stderr.write('sent\\n')
// the parent closes its end of the pipe, then says go
await new Promise((resolve) => process.stdin.once('data', resolve))
const results = []
for (let i = 0; i < 3; i++) {
  try { await ch.send(['alert ' + i]); results.push('sent') } catch (err) { results.push(err.message) }
}
process.stderr.write('results ' + JSON.stringify(results) + '\\n')
await ch.close()
`

t.test('a reader that exits: sends fail with EPIPE, the later ones at once, and the process keeps running', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', WRITER], { stdio: ['pipe', 'pipe', 'pipe'] })
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>
  const guard = setTimeout(() => { child.kill('SIGKILL') }, 60_000)
  t.teardown(() => { clearTimeout(guard); child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  const stderrLine = (prefix: string): Promise<string> => new Promise((resolve, reject) => {
    function check (): void {
      const line = stderr.split('\n').find((l) => l.startsWith(prefix))
      if (line !== undefined) { child.stderr.off('data', onData); resolve(line) }
    }
    function onData (c: Buffer): void { stderr += c.toString(); check() }
    child.stderr.on('data', onData)
    child.once('exit', () => { reject(new Error(`writer exited before '${prefix}': ${stderr}`)) })
    check()
  })
  await stderrLine('sent')
  t.equal(stdout, 'first alert\n', 'while the reader is there, the alert is on stdout')
  child.stdout.destroy() // the reader goes away (jq exits)
  child.stdin.end('go\n') // ending stdin also lets the writer exit once done
  const results = JSON.parse((await stderrLine('results ')).slice('results '.length)) as string[]
  t.same(results, Array.from({ length: 3 }, () => '1 of 1 lines not written to stdout: EPIPE'), 'each send fails, naming EPIPE')
  const [code, signal] = await exited
  t.same([code, signal], [0, null], 'the writer finished normally: EPIPE did not kill it')
})
