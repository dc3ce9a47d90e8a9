// `lanner serve --source syscall` records only the event types its rules need and follows a
// reload: with a rule about openat only, the probe's logged set has no mkdir and a mkdir rule
// added later fires after SIGHUP, with the set changed in place (same helper). Skipped (with the
// reason) where the kernel or privileges cannot run the probe.
import t from 'tap'
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { startServe, until, type LogLine } from '../helpers/serve-child.ts'
import { probeUnsupported, skipUnlessRequired } from '../helpers/probe-required.ts'

const PROBE_LIMIT_MS = 60000

function rule (name: string, condition: string): string {
  return `- rule: ${name}\n  desc: test\n  condition: ${condition}\n  output: "${name} (file=%fs.path.name proc=%proc.name)"\n  priority: NOTICE\n  source: syscall\n`
}

t.test('the probe follows the rules\' event types across a reload', { skip: skipUnlessRequired(process.getuid?.() !== 0 ? 'needs root for the eBPF probe' : undefined) ?? false }, async (t) => {
  const dir = t.testdir({})
  const made = path.join(dir, `made-${process.pid}`)
  const rules = path.join(dir, 'rules.yaml')
  const openRule = rule('Marker Opened', `evt.type = openat and evt.dir=< and fd.name = "${path.join(dir, 'marker')}"`)
  writeFileSync(rules, openRule)
  const alerts = path.join(dir, 'alerts.jsonl')
  const serve = startServe(t, ['serve', '--source', 'syscall', '-r', rules,
    '-o', 'json_output=true', '-o', 'stdout_output.enabled=false', '-o', 'webserver.enabled=false', '-o', 'watch_config_files=false',
    '-o', `file_output={enabled: true, filename: "${alerts}"}`])
  const { child } = serve

  const state = await until(() => serve.stderr().includes('syscall probe running') ? 'up' : (child.exitCode !== null ? 'exited' : undefined), 'the probe to start', PROBE_LIMIT_MS, 50)
  if (state === 'exited') {
    await serve.exited
    const reason = /ERR_SYSCALL_\w+[^\n]*/.exec(serve.stderr())?.[0]
    if (reason?.startsWith('ERR_SYSCALL_UNSUPPORTED') === true) { probeUnsupported(t, reason); return }
    t.fail(`serve exited early: ${serve.stderr().slice(-2000)}`)
    return
  }
  const first = await until(() => serve.logs.find((l) => l.msg === 'probe event types'), 'the probe event types log line', 60_000, 50) as LogLine & { kinds: string[], anyType: boolean }
  t.ok(first.kinds.includes('openat'), 'openat recorded')
  t.ok(first.kinds.includes('execve') && first.kinds.includes('close'), 'what the process and fd tables need is recorded')
  t.ok(first.kinds.includes('chdir') && first.kinds.includes('fchdir'), 'so are chdir and fchdir, which no rule names: proc.cwd follows them')
  t.ok(first.kinds.includes('setsid') && first.kinds.includes('setpgid'), 'and setsid and setpgid: proc.sid and proc.vpgid follow them')
  t.notOk(first.kinds.includes('mkdir') || first.kinds.includes('mkdirat'), 'mkdir is not')
  t.equal(first.anyType, false)

  writeFileSync(rules, openRule + rule('Dir Made', `evt.type in (mkdir, mkdirat) and evt.dir=< and fs.path.name = "${made}"`))
  child.kill('SIGHUP')
  const changed = await until(() => serve.logs.find((l) => l.msg === 'probe event types changed for the new rules'), 'the probe set to change', 60_000, 50) as LogLine & { kinds: string[], applied: string }
  t.ok(changed.kinds.includes('mkdir') && changed.kinds.includes('mkdirat'), 'mkdir added')
  t.equal(changed.applied, 'live', 'changed in the running helper')

  // the reload has landed: mkdir until the alert shows (bounded by until's limit)
  const line = await until(() => {
    mkdirSync(made)
    rmdirSync(made)
    try { return readFileSync(alerts, 'utf8').split('\n').find((l) => l.includes('"rule":"Dir Made"')) } catch { return undefined }
  }, 'the mkdir alert', 60_000, 200)
  t.match(JSON.parse(line), { rule: 'Dir Made', source: 'syscall', output_fields: { 'fs.path.name': made } })
  t.equal(serve.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('eBPF probe attached')).length, 1, 'one helper attached, no restart')
  child.kill('SIGTERM')
  t.equal((await serve.exited).code, 0, 'SIGTERM exits 0')
})
