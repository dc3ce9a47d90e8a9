// The built-in syscall rules stay quiet on a healthy node: ordinary node activity (inspection
// tools, name lookups, loopback HTTP, archives, compilers, account tools reading what they own)
// runs under the real probe through a spawned `lanner serve --source syscall` with the default
// rules, and raises nothing at Warning or above. A positive control at the end (cat /etc/shadow)
// shows the same set-up does alert. Skips (with the reason) where the probe cannot run.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { ROOT } from '../integration/cli-child.ts'
import { startSyscallServe, type JsonAlert } from '../helpers/serve-syscall.ts'
import { probeUnsupported, skipUnlessRequired } from '../helpers/probe-required.ts'

const SEVERE = new Set(['Emergency', 'Alert', 'Critical', 'Error', 'Warning'])

/** Each step runs only where its tool exists and prints `ran <name>`, so the test knows what ran. */
function workload (httpPort: number): string {
  const steps: Array<[string, string]> = [
    ['uname', 'uname -a; hostname; id; date; uptime'],
    ['etc-reads', 'cat /etc/os-release /etc/hosts /etc/resolv.conf /etc/passwd /etc/group; ls -la /etc /etc/pam.d /etc/ssl/certs'],
    ['proc', 'ps aux; cat /proc/meminfo /proc/loadavg /proc/self/status; df -h; free -m'],
    ['lookups', 'getent hosts localhost; getent passwd root; getent group root'],
    ['loopback-http', `curl -sS http://127.0.0.1:${httpPort}/healthz`],
    ['files', 'mkdir -p work && echo data > work/a && cp work/a work/b && mv work/b work/c && sed -i s/data/more/ work/c && sort work/a work/c && grep -r more work && rm -rf work'],
    ['archive', 'tar czf docs.tgz -C /usr/share/doc --exclude="*" . 2>/dev/null || tar czf docs.tgz /etc/os-release; gzip -t docs.tgz; sha256sum docs.tgz; rm -f docs.tgz'],
    ['shell-loop', 'for i in 1 2 3; do sh -c "echo job $i" | cat; done'],
    ['python', 'python3 -c "import json, ssl, socket; print(json.dumps({\\"ok\\": socket.gethostname() != \\"\\"}))"'],
    ['node', `"${process.execPath}" -e "require('node:os').cpus(); console.log('node ok')"`],
    ['compiler', 'printf "int main(void){return 0;}\\n" > t.c && gcc -o t t.c && ./t && rm -f t t.c'],
    ['dpkg', 'dpkg -l | head -n 5; dpkg -S /bin/ls'],
    ['account-tools', 'passwd -S root; chage -l root'],
    ['su', 'su -s /bin/sh nobody -c true'],
    ['ip', 'ip addr show lo; ip route show']
  ]
  const tools: Record<string, string> = { 'loopback-http': 'curl', python: 'python3', compiler: 'gcc', dpkg: 'dpkg', 'account-tools': 'chage', su: 'su', ip: 'ip' }
  return steps.map(([name, cmd]) => {
    const tool = tools[name]
    const guard = tool === undefined ? '' : `command -v ${tool} >/dev/null 2>&1 && `
    return `${guard}{ ${cmd}; } >/dev/null 2>&1 && echo "ran ${name}"`
  }).join('\n') + '\n'
}

function runIn (cwd: string, script: string): Promise<{ code: number | null, stdout: string, sid: number }> {
  // detached: its own session, so the alerts of this run are told apart by proc.sid from any
  // other activity on the machine
  const child = spawn('/bin/sh', ['-c', script], { cwd, detached: true, stdio: ['ignore', 'pipe', 'ignore'] })
  let stdout = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, sid: child.pid as number })))
}

t.test('ordinary node activity raises no Warning-or-worse alert from the default rules', { skip: skipUnlessRequired(process.getuid?.() !== 0 ? 'needs root for the eBPF probe' : undefined) ?? false }, async (t) => {
  const dir = realpathSync(t.testdir({}))
  const benignDir = path.join(dir, 'benign')
  const controlDir = path.join(dir, 'control')
  mkdirSync(benignDir)
  mkdirSync(controlDir)
  const sentinel = path.join(dir, 'sentinel')
  writeFileSync(sentinel, 'x')
  const alerts = path.join(dir, 'alerts.jsonl')
  writeFileSync(path.join(dir, 'witness.yaml'), `
- rule: benign test witness
  desc: every program the workload starts, so the test knows the probe saw it
  condition: evt.type in (execve, execveat) and evt.dir=< and evt.rawres=0 and proc.cwd startswith "${dir}/"
  output: "witness exec (proc=%proc.name cwd=%proc.cwd)"
  priority: DEBUG
- rule: benign test sentinel
  desc: the last step; once its alert is out, every earlier record has been evaluated
  condition: evt.type in (open, openat, openat2) and evt.dir=< and fd.name = "${sentinel}"
  output: "sentinel (proc=%proc.name)"
  priority: DEBUG
`)
  writeFileSync(path.join(dir, 'lanner.yaml'), [
    `rules_files: [${path.join(ROOT, 'rules/syscall_rules.yaml')}, ${path.join(dir, 'witness.yaml')}]`,
    'rule_matching: all',
    'priority: debug',
    'json_output: true',
    'stdout_output: {enabled: false}',
    `file_output: {enabled: true, keep_alive: true, filename: ${alerts}}`,
    'webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0}',
    'append_output: [{match: {source: syscall}, extra_fields: [proc.sid, proc.cwd]}]',
    ''
  ].join('\n'))
  const started = await startSyscallServe(t, path.join(dir, 'lanner.yaml'), alerts)
  if (typeof started === 'string') { probeUnsupported(t, started); return }

  const http = createServer((_req, res) => { res.end('ok\n') })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { http.close() })
  const script = workload((http.address() as AddressInfo).port)
  const benign = await runIn(benignDir, script + `cat "${sentinel}" >/dev/null\n`)
  const ran = benign.stdout.split('\n').filter((l) => l.startsWith('ran ')).map((l) => l.slice(4))
  t.ok(ran.length >= 10, `the workload ran (${ran.join(', ')})`)
  const seen = await started.alertWhere((a) => a.rule === 'benign test sentinel' && a.output_fields['proc.sid'] === benign.sid, 60_000)
  t.ok(seen, 'the sentinel came through: everything before it was evaluated')

  const mine = (a: JsonAlert, sid: number): boolean => a.output_fields['proc.sid'] === sid
  const witnessed = started.alerts().filter((a) => a.rule === 'benign test witness' && mine(a, benign.sid)).length
  t.ok(witnessed >= 30, `the probe saw the workload's programs (${witnessed} execs)`)
  const severe = started.alerts().filter((a) => mine(a, benign.sid) && SEVERE.has(a.priority))
  t.same(severe.map((a) => `${a.priority} ${a.rule}: ${a.output}`), [], 'no Warning-or-worse alert')

  // positive control: the same set-up does alert on a credentials read
  const control = await runIn(controlDir, 'cat /etc/shadow >/dev/null\n')
  const hit = await started.alertWhere((a) => a.rule === 'Read of a credentials file' && mine(a, control.sid), 30_000)
  t.ok(hit, 'cat /etc/shadow is reported (the test can fail)')

  started.serve.child.kill('SIGTERM')
  t.equal((await started.serve.exited).code, 0)
})
