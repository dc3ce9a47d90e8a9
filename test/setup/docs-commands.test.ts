// Every `lanner setup …` command shown in the deployment docs runs as written (flags exist, files
// named in it are read), so the docs cannot drift from the CLI.
import t from 'tap'
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PassThrough } from 'node:stream'
import { runCli } from '../../src/cli/index.ts'

const DOCS = fileURLToPath(new URL('../../docs', import.meta.url))
const PEM_CERT = '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n'
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n'

/** `lanner setup …` commands in code blocks (continuation lines joined, comment markers dropped). */
function commands (text: string): string[] {
  const out: string[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] as string).replace(/^\s*#\s*(with TLS:\s*)?/, '')
    if (!line.startsWith('lanner setup ')) continue
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + (lines[++i] as string).replace(/^\s*#?\s*/, '')
    out.push(line.replace(/\s+#.*$/, '').replace(/\s*>.*$/, '').trim())
  }
  return out
}

t.test('docs commands run', async (t) => {
  const files = readdirSync(DOCS).filter((f) => /^(deploy|setup-|cluster-).*\.md$/.test(f))
  const cmds = files.flatMap((f) => commands(readFileSync(join(DOCS, f), 'utf8')).map((c) => [f, c] as const))
  t.ok(cmds.length >= 6, `${cmds.length} commands found`)
  const cwd = process.cwd()
  t.teardown(() => { process.chdir(cwd) })
  let current = ''
  for (const [file, cmd] of cmds) {
    // each page in a fresh directory, as a reader following it from the top
    if (file !== current) {
      current = file
      process.chdir(mkdtempSync(join(tmpdir(), 'lanner-docs-')))
      for (const f of ['ca.crt', 'client.crt', 'apiserver-client.crt']) writeFileSync(f, PEM_CERT)
      for (const f of ['client.key', 'apiserver-client.key']) writeFileSync(f, PEM_KEY)
    }
    const argv = cmd.split(/\s+/).slice(1)
    const stderr = new PassThrough()
    let err = ''
    stderr.on('data', (d) => { err += String(d) })
    const code = await runCli(argv, { stdout: new PassThrough(), stderr, stdin: new PassThrough() })
    t.equal(code, 0, `${file}: ${cmd}${err === '' ? '' : ` → ${err}`}`)
  }
})
