// `lanner replay … | head`: stdout closed by its reader. When stdout is the only output the replay
// ends quietly (exit 0, nothing on stderr), as `rules list | head` does. When other outputs are
// configured (a file, falcosidekick over HTTP) every alert still reaches them: the closed stdout is
// that one output's failure, not the end of the replay (it was: the file got none of the alerts
// and the exit code was 0).
import t from 'tap'
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../integration/cli-child.ts'
import { auditEvent } from '../helpers/apiserver-client.ts'

const RULE = `- rule: Pod deleted
  desc: every pod deletion
  condition: ka.verb = delete and ka.target.resource = pods
  output: Pod deleted (pod=%ka.target.name user=%ka.user.name)
  priority: WARNING
  source: k8s_audit
`
const EVENTS = 3000

function fixture (dir: string): { rules: string, log: string } {
  const rules = join(dir, 'rules.yaml')
  const log = join(dir, 'audit.log')
  writeFileSync(rules, RULE)
  // JSON lines, far more alerts than a pipe buffer holds, so the writer meets the closed pipe
  const lines: string[] = []
  for (let i = 0; i < EVENTS; i++) {
    lines.push(JSON.stringify({ ...auditEvent(i, { verb: 'delete', requestURI: `/api/v1/namespaces/default/pods/pod-${i}`, responseStatus: { metadata: {}, code: 200 } }), kind: 'Event' }))
  }
  writeFileSync(log, lines.join('\n') + '\n')
  return { rules, log }
}

function replayIntoHead (args: string): Promise<{ status: string, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    // bash for PIPESTATUS: lanner's own exit status, not head's
    execFile('bash', ['-c', `"${process.execPath}" --import tsx src/main.ts replay ${args} | head -c 100 >/dev/null; echo "lanner=\${PIPESTATUS[0]}"`],
      { cwd: ROOT, timeout: 120_000 }, (_err, stdout, stderr) => { resolve({ status: stdout.trim(), stdout, stderr }) })
  })
}

t.test('stdout the only output: a closed stdout ends the replay quietly', async (t) => {
  const f = fixture(t.testdir({}))
  const r = await replayIntoHead(`-r "${f.rules}" "${f.log}"`)
  t.equal(r.status, 'lanner=0')
  t.equal(r.stderr, '', 'no EPIPE stack trace, no error line')
})

t.test('with a file output too: every alert reaches the file although stdout was closed', async (t) => {
  const dir = t.testdir({})
  const f = fixture(dir)
  const alerts = join(dir, 'alerts.log')
  const r = await replayIntoHead(`-r "${f.rules}" -o file_output.enabled=true -o "file_output.filename=${alerts}" "${f.log}"`)
  t.equal(r.status, 'lanner=0', r.stderr)
  const lines = readFileSync(alerts, 'utf8').split('\n').filter((l) => l.includes('Pod deleted'))
  t.equal(lines.length, EVENTS, 'the file output got every alert')
  t.match(r.stderr, /ERR_OUTPUT_FAILED/, 'the stdout failure is reported')
  t.match(r.stderr, new RegExp(`replay: ${EVENTS} event\\(s\\) read from 1 file\\(s\\), ${EVENTS} alert\\(s\\)`), 'the replay ran to its end')
})
