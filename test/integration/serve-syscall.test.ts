// `lanner serve --source syscall` end to end on the real kernel: the probe starts, a child process
// opens a marker file, the rule's alert reaches the file output, SIGTERM exits 0. Skipped (with the
// reason) where the kernel or privileges cannot run the probe.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { runLanner } from './cli-child.ts'
import { startServe, until } from '../helpers/serve-child.ts'
import { probeUnsupported, skipUnlessRequired } from '../helpers/probe-required.ts'

// the probe compiles and loads first: allow more than the default wait
const PROBE_LIMIT_MS = 60000

t.test('--dry-run --source syscall uses the built-in syscall rules', async (t) => {
  const r = await runLanner(['serve', '--source', 'syscall', '--dry-run'])
  t.match(r.stdout, /source: syscall/)
  t.match(r.stdout, /syscall_rules\.yaml \(built-in defaults\)/)
  t.notMatch(r.stdout, /webhook:/, 'no webhook in syscall mode')
})

t.test('syscall mode: an open of a marker file raises the rule’s alert', { skip: skipUnlessRequired(process.getuid?.() !== 0 ? 'needs root for the eBPF probe' : undefined) ?? false }, async (t) => {
  const dir = t.testdir({})
  const marker = path.join(dir, `marker-${process.pid}`)
  writeFileSync(path.join(dir, 'rules.yaml'), `- rule: Marker Opened
  desc: a test process opened the marker file
  condition: evt.type in (open, openat, openat2) and evt.dir=< and fd.name = "${marker}"
  output: "marker opened (file=%fd.name proc=%proc.name cmdline=%proc.cmdline)"
  priority: NOTICE
  source: syscall
`)
  const alerts = path.join(dir, 'alerts.jsonl')
  const serve = startServe(t, ['serve', '--source', 'syscall', '-r', path.join(dir, 'rules.yaml'),
    '-o', 'json_output=true', '-o', 'stdout_output.enabled=false', '-o', 'webserver.enabled=false',
    '-o', `file_output={enabled: true, filename: "${alerts}"}`])
  const { child } = serve

  const state = await until(() => serve.stderr().includes('syscall probe running') ? 'up' : (child.exitCode !== null ? 'exited' : undefined), 'the probe to start', PROBE_LIMIT_MS, 50)
  if (state === 'exited') {
    await serve.exited
    const stderr = serve.stderr()
    const reason = /ERR_SYSCALL_\w+[^\n]*/.exec(stderr)?.[0]
    if (reason?.startsWith('ERR_SYSCALL_UNSUPPORTED') === true) { probeUnsupported(t, reason); return }
    t.fail(`serve exited early: ${stderr.slice(-2000)}`)
    return
  }
  writeFileSync(marker, 'x')
  execFileSync('cat', [marker])
  const line = await until(() => { try { return readFileSync(alerts, 'utf8').split('\n').find((l) => l.includes('"proc.name":"cat"')) } catch { return undefined } }, 'the alert', PROBE_LIMIT_MS, 50)
  const alert = JSON.parse(line)
  t.match(alert, { rule: 'Marker Opened', priority: 'Notice', source: 'syscall', output_fields: { 'fd.name': marker, 'proc.name': 'cat', 'proc.cmdline': `cat ${marker}` } })
  child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0, 'SIGTERM exits 0')
})
