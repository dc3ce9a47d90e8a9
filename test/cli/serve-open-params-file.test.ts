// The k8saudit plugin's open_params naming a file (`file://…` or a bare path) makes `lanner serve`
// replay it and exit. A path that cannot be read is an error naming it, for serve and for
// --dry-run, as for `lanner replay` (it was "0 event(s) read" and exit 0: a typo looked like a
// quiet log).
import t from 'tap'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { runLanner } from '../integration/cli-child.ts'
import { auditEvent, encodeEventList } from '../helpers/apiserver-client.ts'

function falcoYaml (openParams: string): string {
  return `
webserver: {enabled: false}
load_plugins: [k8saudit, json]
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    open_params: "${openParams}"
  - name: json
    library_path: libjson.so
`
}

t.test('open_params naming a missing file: serve and --dry-run exit 1 naming the path', async (t) => {
  const dir = t.testdir({})
  const missing = path.join(dir, 'no-such-audit.log')
  for (const form of [missing, `file://${missing}`]) {
    const file = path.join(dir, 'falco.yaml')
    writeFileSync(file, falcoYaml(form))
    const serve = await runLanner(['serve', '-c', file])
    t.equal(serve.code, 1, `serve with open_params ${form}: exit 1`)
    t.match(serve.stderr, `ERR_AUDIT_READ_FAILED: cannot read ${missing} (the k8saudit plugin's open_params): no such file or directory (ENOENT)`, 'one clear line naming the path and the setting')
    t.equal(serve.stdout, '', 'nothing evaluated')
    const dry = await runLanner(['serve', '--dry-run', '-c', file])
    t.equal(dry.code, 1, `--dry-run with open_params ${form}: exit 1`)
    t.match(dry.stderr, `cannot read ${missing}`)
  }
})

t.test('open_params naming a readable file: serve replays it and exits 0', async (t) => {
  const dir = t.testdir({ 'audit.log': encodeEventList([auditEvent(1)]) })
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, falcoYaml(path.join(dir, 'audit.log')))
  const serve = await runLanner(['serve', '-c', file])
  t.equal(serve.code, 0, serve.stderr)
  t.match(serve.stderr, /replay: 1 event\(s\) read from 1 file\(s\)/)
})

t.test('--dry-run with open_params naming a file reports the file, not a webhook that will not start', async (t) => {
  const dir = t.testdir({ 'audit.log': encodeEventList([auditEvent(1)]) })
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, falcoYaml(path.join(dir, 'audit.log')))
  const dry = await runLanner(['serve', '--dry-run', '-c', file])
  t.equal(dry.code, 0, dry.stderr)
  t.match(dry.stdout, `audit events from: ${path.join(dir, 'audit.log')} (read once, then exit; no webhook)`)
  t.notMatch(dry.stdout, /^webhook/m, 'no webhook address or authentication line')
  t.notMatch(dry.stderr, /plain HTTP|insecure|anyone/i, 'no warning about a webhook that does not run')
  t.match(dry.stdout, /^ok$/m)
})
