// `lanner serve --source syscall` end to end on the real kernel: the probe starts, a child process
// opens a marker file, the rule's alert reaches the file output, SIGTERM exits 0. Skipped (with the
// reason) where the kernel or privileges cannot run the probe.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { runLanner, spawnLanner } from './cli-child.ts'

async function until<T> (get: () => T | undefined | false, what: string, limitMs = 60000): Promise<T> {
  const start = Date.now()
  for (;;) {
    const v = get()
    if (v !== undefined && v !== false) return v
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

t.test('--dry-run --source syscall uses the built-in syscall rules', async (t) => {
  const r = await runLanner(['serve', '--source', 'syscall', '--dry-run'])
  t.match(r.stdout, /source: syscall/)
  t.match(r.stdout, /syscall_rules\.yaml \(built-in defaults\)/)
  t.notMatch(r.stdout, /webhook:/, 'no webhook in syscall mode')
})

t.test('syscall mode: an open of a marker file raises the rule’s alert', { skip: process.getuid?.() !== 0 ? 'needs root for the eBPF probe' : false }, async (t) => {
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
  const child = spawnLanner(['serve', '--source', 'syscall', '-r', path.join(dir, 'rules.yaml'),
    '-o', 'json_output=true', '-o', 'stdout_output.enabled=false', '-o', 'webserver.enabled=false',
    '-o', `file_output={enabled: true, filename: "${alerts}"}`])
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  child.stdout.resume()
  const exited = new Promise<number | null>((resolve) => { child.on('close', (code) => { resolve(code) }) })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })

  const state = await until(() => stderr.includes('syscall probe running') ? 'up' : (child.exitCode !== null ? 'exited' : undefined), 'the probe to start')
  if (state === 'exited') {
    const reason = /ERR_SYSCALL_\w+[^\n]*/.exec(stderr)?.[0]
    if (reason?.startsWith('ERR_SYSCALL_UNSUPPORTED') === true) { t.comment(`skipped: probe unsupported here: ${reason}`); t.pass('nothing to test on this kernel'); return }
    t.fail(`serve exited early: ${stderr.slice(-2000)}`)
    return
  }
  writeFileSync(marker, 'x')
  execFileSync('cat', [marker])
  const line = await until(() => { try { return readFileSync(alerts, 'utf8').split('\n').find((l) => l.includes('"proc.name":"cat"')) } catch { return undefined } }, 'the alert')
  const alert = JSON.parse(line)
  t.match(alert, { rule: 'Marker Opened', priority: 'Notice', source: 'syscall', output_fields: { 'fd.name': marker, 'proc.name': 'cat', 'proc.cmdline': `cat ${marker}` } })
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'SIGTERM exits 0')
})
