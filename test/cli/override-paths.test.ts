// `-o` values naming files resolve against the working directory (like -c and -r), paths in the
// config file against the file's directory; the two together, through loadConfig and a real
// `lanner serve --dry-run` started in another directory.
import t from 'tap'
import path from 'node:path'
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadConfig } from '../../src/config/index.ts'
import { runLanner } from '../integration/cli-child.ts'
import { createRule } from '../app/fixtures.ts'

t.test('loadConfig: -o paths against cwd, file paths against the file', async (t) => {
  const root = t.testdir({ conf: {}, work: {} })
  const file = path.join(root, 'conf', 'falco.yaml')
  writeFileSync(file, 'rules_files: [in-file.yaml]\nfile_output: {enabled: true, filename: alerts.log}\n')
  const cwd = path.join(root, 'work')
  const c = loadConfig({
    file,
    cwd,
    overrides: ['lanner.webhook.tls={cert: tls/a.crt, key: tls/a.key}', 'lanner.webhook.bearer_token_file=tok', 'rules_files[]=extra.yaml', 'http_output.ca_cert=/abs/ca.pem']
  })
  t.equal(c.webhook.tls?.cert, path.join(cwd, 'tls/a.crt'), 'a mapping value: each path in it')
  t.equal(c.webhook.tls?.key, path.join(cwd, 'tls/a.key'))
  t.equal(c.webhook.bearerTokenFile, path.join(cwd, 'tok'))
  t.same(c.rulesPaths, [path.join(root, 'conf', 'in-file.yaml'), path.join(cwd, 'extra.yaml')], 'a list: the file\'s entry against the file, the appended one against cwd')
  t.equal(c.outputs.file.filename, path.join(root, 'conf', 'alerts.log'), 'untouched file values stay relative to the file')
  t.equal(c.outputs.http.caCert, '/abs/ca.pem', 'absolute stays absolute')
  const notPaths = loadConfig({ cwd, overrides: ['lanner.webhook.path=/audit', 'json_output=true'] })
  t.equal(notPaths.webhook.path, '/audit', 'only keys that name files are touched')
})

t.test('serve --dry-run from another directory: -o rules and TLS files are found relative to it', async (t) => {
  const root = t.testdir({ conf: { 'falco.yaml': 'json_output: true\n' }, work: { 'r.yaml': createRule('From Cwd') } })
  mkdirSync(path.join(root, 'work', 'sub'))
  const r = await runLanner(['serve', '-c', path.join(root, 'conf', 'falco.yaml'), '--dry-run', '-o', 'rules_files=[r.yaml]', '-o', 'lanner.webhook.tls={cert: sub/none.crt, key: sub/none.key}'], { cwd: path.join(root, 'work') })
  t.equal(r.code, 1)
  t.match(r.stderr, `cannot read '${path.join(root, 'work', 'sub', 'none.crt')}'`, 'the TLS path is the working directory\'s')
  const ok = await runLanner(['serve', '-c', path.join(root, 'conf', 'falco.yaml'), '--dry-run', '-o', 'rules_files=[r.yaml]'], { cwd: path.join(root, 'work') })
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, `rules: ${path.join(root, 'work', 'r.yaml')}`)
})

t.test('the -o syntax hint', async (t) => {
  const r = await runLanner(['serve', '--dry-run', '-o', 'a..b=1'])
  t.equal(r.code, 1)
  t.match(r.stderr, /expected key\.subkey=value, key\[INDEX\]\.subkey=value or key\[\]=value \(append\)/)
})

t.test('-o of the k8saudit open_params naming a file: against cwd too; URLs untouched', async (t) => {
  const root = t.testdir({ conf: {}, work: {} })
  const file = path.join(root, 'conf', 'falco.yaml')
  writeFileSync(file, 'load_plugins: [k8saudit]\nplugins:\n  - {name: k8saudit, library_path: libk8saudit.so, open_params: "http://:9765/k8s-audit"}\n')
  const cwd = path.join(root, 'work')
  const bare = loadConfig({ file, cwd, overrides: ['plugins[0].open_params=audit.log'] })
  t.equal(bare.replayFile, path.join(cwd, 'audit.log'), 'a bare path typed with -o is the working directory\'s')
  const url = loadConfig({ file, cwd, overrides: ['plugins[0].open_params=file://logs/audit.log'] })
  t.equal(url.replayFile, path.join(cwd, 'logs/audit.log'), 'a relative file:// path too')
  const http = loadConfig({ file, cwd, overrides: ['plugins[0].open_params=https://:9443/audit'] })
  t.equal(http.webhook.port, 9443, 'a webhook URL stays a URL')
  t.equal(http.webhook.path, '/audit')
  t.equal(http.replayFile, undefined)
  writeFileSync(file, 'load_plugins: [k8saudit]\nplugins:\n  - {name: k8saudit, library_path: libk8saudit.so, open_params: "in-file.log"}\n')
  t.equal(loadConfig({ file, cwd }).replayFile, path.join(root, 'conf', 'in-file.log'), 'the file\'s own value stays relative to the file')
})
