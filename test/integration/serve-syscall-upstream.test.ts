// `lanner serve --source syscall` with today's upstream rules (../shared stable, incubating and
// sandbox files, unchanged) on the real probe: each row performs one real, minimal and reversible
// action on this machine and expects the upstream rule's alert for it. Every file made is unique
// to this run and removed in teardown; nothing existing is written. Programs run under names of
// their own (lanner-*) so each alert is told apart from the machine's other activity.
// Skips (with the reason) without root, BTF, clang, python3 or a cgroup v1 cpu hierarchy.
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, constants, copyFileSync, chmodSync, existsSync, openSync, writeSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ROOT } from './cli-child.ts'
import { probeSkipReason } from '../fixtures/syscall/probe-harness.ts'
import { createPodCgroup, podCgroupSkipReason, runInCgroup } from '../helpers/pod-cgroup.ts'
import { standaloneNodeEnv, startSyscallServe, writeSyscallServeConfig, type JsonAlert } from '../helpers/serve-syscall.ts'
import { PTY_SHELL } from '../helpers/pty-shell.ts'
import { probeUnsupported, skipUnlessRequired } from '../helpers/probe-required.ts'

const RULES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml']
  .map((f) => path.resolve(ROOT, '../shared/reference/falco-rules', f))

function python3Missing (): string | undefined {
  try { execFileSync('python3', ['-c', 'import os; os.memfd_create'], { stdio: 'ignore' }); return undefined } catch { return 'python3 with os.memfd_create missing' }
}

/** the program file PATH finds (not a shell builtin of that name) */
function which (prog: string): string {
  for (const d of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = path.join(d, prog)
    if (existsSync(p)) return realpathSync(p)
  }
  throw new Error(`${prog} not found in PATH`)
}

/** runs a program to its end (bounded), output discarded; resolves with its exit code */
async function run (argv: string[], opts: { cwd?: string } = {}): Promise<number | null> {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore', cwd: opts.cwd })
  const guard = setTimeout(() => { child.kill('SIGKILL') }, 15_000)
  const code = await new Promise<number | null>((resolve) => { child.on('exit', resolve); child.on('error', () => resolve(-1)) })
  clearTimeout(guard)
  return code
}

interface Row {
  rule: string
  /** what the action does, for the test name */
  action: string
  /** does it; files it makes are removed by `made` */
  act(): Promise<void>
  /** our alert among every alert of the rule */
  ours(a: JsonAlert): boolean
  /** what the alert must say */
  expect: RegExp
}

// every reason goes through skipUnlessRequired: in CI as root a missing tool fails instead of skipping
const skip = probeSkipReason() ?? skipUnlessRequired(python3Missing()) ?? podCgroupSkipReason()
if (skip !== undefined) {
  t.plan(0, skip)
} else {
  const tag = randomBytes(4).toString('hex')
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'lanner-upstream-')))
  const made: string[] = [dir]
  t.teardown(() => { for (const p of made) rmSync(p, { recursive: true, force: true }) })
  /** a name for a program of ours: a symlink, so its comm (proc.name) is the link's name */
  function named (name: string, target: string): string {
    const p = path.join(dir, name)
    symlinkSync(target, p)
    return p
  }
  const python = realpathSync(execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim())

  // a listener on loopback for the reverse shell to call back to
  const held: Socket[] = []
  const listener = createServer((s) => { s.on('error', () => {}); held.push(s) })
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  const port = (listener.address() as AddressInfo).port
  t.teardown(() => { for (const s of held) s.destroy(); listener.close() })
  const containerId = randomBytes(32).toString('hex')
  const dropContainerId = randomBytes(32).toString('hex')
  // an mtime nothing else has: 2001-02-03 04:05:06.123456789 UTC
  const DROPPED_MTIME = '2001-02-03 04:05:06.123456789 UTC'
  const DROPPED_MTIME_NS = '981173106123456789'

  const etcFile = `/etc/lanner-e2e-${tag}`
  const binFile = `/usr/bin/lanner-e2e-${tag}`
  const shmExe = `/dev/shm/lanner-e2e-${tag}`
  const logFile = `/var/log/lanner-e2e-${tag}.log`
  const linkPath = path.join(dir, 'shadow-link')
  made.push(etcFile, binFile, shmExe, logFile)
  const fields = (a: JsonAlert, k: string): unknown => a.output_fields[k]

  const rows: Row[] = [
    {
      rule: 'Read sensitive file untrusted',
      action: 'a program of no trusted name reads /etc/shadow',
      async act () { await run([named('lanner-reader', which('cat')), '/etc/shadow']) },
      ours: (a) => fields(a, 'proc.name') === 'lanner-reader',
      expect: /Sensitive file opened for reading by non-trusted program \| file=\/etc\/shadow .* process=lanner-reader .*command=lanner-reader \/etc\/shadow/
    },
    {
      rule: 'Read sensitive file untrusted',
      action: 'a program of no trusted name changes directory to /etc (no exec) and reads shadow by its relative name',
      // fd.name is /etc/shadow only if the process table followed the chdir: a stale cwd misses it
      async act () { await run([named('lanner-cdreader', python), '-c', `import os; os.chdir('/etc'); open('shadow').read()  # cd-${tag}`]) },
      ours: (a) => fields(a, 'proc.name') === 'lanner-cdreader',
      expect: new RegExp(`Sensitive file opened for reading by non-trusted program \\| file=/etc/shadow .* process=lanner-cdreader .*command=lanner-cdreader -c .*# cd-${tag}`)
    },
    {
      rule: 'Write below etc',
      action: 'a new file below /etc (removed after)',
      async act () { await run([named('lanner-writer', which('touch')), etcFile]) },
      ours: (a) => fields(a, 'fd.name') === etcFile && fields(a, 'proc.name') === 'lanner-writer',
      expect: new RegExp(`File below /etc opened for writing \\| file=${etcFile} .*process=lanner-writer `)
    },
    {
      rule: 'Write below binary dir',
      action: 'a new file in /usr/bin (removed after)',
      async act () { await run([path.join(dir, 'lanner-writer'), binFile]) },
      ours: (a) => fields(a, 'fd.name') === binFile && fields(a, 'proc.name') === 'lanner-writer',
      expect: new RegExp(`File below a known binary directory opened for writing \\| file=${binFile} .*process=lanner-writer `)
    },
    {
      rule: 'Create Symlink Over Sensitive Files',
      action: 'a symlink in a temp dir pointing at /etc/shadow',
      async act () { await run([named('lanner-linker', which('ln')), '-s', '/etc/shadow', linkPath]) },
      ours: (a) => fields(a, 'evt.arg.linkpath') === linkPath || a.output.includes(`linkpath=${linkPath} `),
      expect: new RegExp(`Symlinks created over sensitive files \\| target=/etc/shadow linkpath=${linkPath} evt_type=symlink(at)? .*process=lanner-linker `)
    },
    {
      rule: 'PTRACE attached to process',
      action: 'PTRACE_ATTACH to a child of its own, then detach',
      async act () {
        await run([named('lanner-tracer', python), '-c', `
import ctypes, os, subprocess, time
libc = ctypes.CDLL(None, use_errno=True)
child = subprocess.Popen(['sleep', '5'])
libc.ptrace(16, child.pid, None, None)
os.waitpid(child.pid, 0)
libc.ptrace(17, child.pid, None, None)
child.kill()
child.wait()
`])
      },
      ours: (a) => fields(a, 'proc.name') === 'lanner-tracer',
      expect: /Detected ptrace PTRACE_ATTACH attempt \| .*evt_type=ptrace .*process=lanner-tracer /
    },
    {
      rule: 'Fileless execution via memfd_create',
      action: 'a copy of true executed from a memfd',
      async act () {
        await run([python, '-c', `
import os
fd = os.memfd_create('lanner-e2e', 0)
os.write(fd, open('${which('true')}', 'rb').read())
os.execve(fd, ['lanner-memfd', 'marker-${tag}'], {})
`])
      },
      ours: (a) => a.output.includes(`marker-${tag}`),
      expect: new RegExp(`Fileless execution via memfd_create \\| .*evt_type=execve(at)? .*process=memfd:\\S+ proc_exepath=memfd:lanner-e2e parent=\\S+ command=\\S+ marker-${tag} terminal=0 exe_flags=EXE_WRITABLE\\|EXE_FROM_MEMFD$`)
    },
    {
      rule: 'Execution from /dev/shm',
      action: 'a copy of true run from /dev/shm (removed after)',
      async act () {
        copyFileSync(which('true'), shmExe)
        chmodSync(shmExe, 0o755)
        await run([shmExe, `shm-${tag}`])
      },
      ours: (a) => a.output.includes(`shm-${tag}`),
      expect: new RegExp(`File execution detected from /dev/shm \\| .*evt_type=execve .*process=lanner-e2e-\\w+ proc_exepath=${shmExe} .*command=lanner-e2e-\\w+ shm-${tag}`)
    },
    {
      rule: 'Drop and execute new binary in container',
      action: 'in a container, a copy of true written to an overlayfs upper layer (mtime set by touch) and run',
      async act () {
        // the container's root: an overlay whose upper layer gets the dropped file, as in a runtime
        const ovl = path.join(dir, 'ovl')
        for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(path.join(ovl, d), { recursive: true })
        execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${ovl}/lower,upperdir=${ovl}/upper,workdir=${ovl}/work`, path.join(ovl, 'merged')])
        try {
          const dropped = path.join(ovl, 'merged', `lanner-dropped-${tag}`)
          copyFileSync(which('true'), dropped)
          chmodSync(dropped, 0o755)
          execFileSync('touch', ['-m', '-d', DROPPED_MTIME, dropped])
          const cg = createPodCgroup(t, dropContainerId)
          await runInCgroup(cg, `${dropped} drop-${tag}`)
        } finally {
          execFileSync('umount', [path.join(ovl, 'merged')])
        }
      },
      ours: (a) => a.output.includes(`drop-${tag}`),
      // the executable's inode times, read in-kernel at exec: mtime is what touch set
      expect: new RegExp(`Executing binary not part of base image \\| proc_exe=\\S+lanner-dropped-${tag} .*proc_exe_ino_ctime=1\\d{18} proc_exe_ino_mtime=${DROPPED_MTIME_NS} proc_exe_ino_ctime_duration_proc_start=[1-9]\\d* .*command=lanner-dropped-\\S* drop-${tag} .*exe_flags=\\S*EXE_UPPER_LAYER`)
    },
    {
      rule: 'Clear Log Activities',
      action: 'a log file of its own under /var/log truncated by a shell redirection (removed after)',
      async act () {
        // created without O_TRUNC (Node's 'w'/'wx' include it): only the shell's redirection truncates
        const fd = openSync(logFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
        writeSync(fd, 'line\n')
        closeSync(fd)
        await run([named('lanner-clearer', which('sh')), '-c', `: > ${logFile}`])
      },
      ours: (a) => fields(a, 'fd.name') === logFile && fields(a, 'proc.name') === 'lanner-clearer',
      expect: new RegExp(`Log files were tampered \\| file=${logFile} .*process=lanner-clearer `)
    },
    {
      rule: 'Basic Interactive Reconnaissance',
      action: 'id typed into an interactive bash on a real pty (its own process group there)',
      async act () { await run([python, ptyShell, '-1', '', `id lanner-typed-${tag}`]) },
      ours: (a) => a.output.includes(`lanner-typed-${tag}`),
      expect: new RegExp(`Basic Interactive Reconnaissance \\| evt_type=execve .*process=id .*command=id lanner-typed-${tag} terminal=[1-9]\\d* `)
    },
    {
      rule: 'Redirect STDOUT/STDIN to Network Connection in Container',
      action: 'in a container, a shell whose stdin/stdout are dup2\'d from a connected socket (loopback listener)',
      async act () {
        const cg = createPodCgroup(t, containerId)
        await runInCgroup(cg, `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}; exec sh -c "exit 0" <&3 >&3'`)
      },
      ours: (a) => fields(a, 'container.id') === containerId.slice(0, 12) || a.output.includes(`:${port} `),
      expect: new RegExp(`Redirect stdout/stdin to network connection \\| .*fd\\.sip=127\\.0\\.0\\.1 connection=127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port} lport=\\d+ rport=${port} fd_type=ipv4 fd_proto=tcp evt_type=dup[23]? `)
    }
  ]

  const ptyShell = path.join(dir, 'pty-shell.py')
  writeFileSync(ptyShell, PTY_SHELL)
  // a witness for the quiet case below: every `id lanner-…` exec, with what the recon rule tests
  const witness = path.join(dir, 'witness.yaml')
  writeFileSync(witness, `- rule: e2e recon witness
  desc: id run by this test
  condition: evt.type in (execve, execveat) and proc.name = id and proc.args startswith "lanner-"
  output: "recon witness (args=%proc.args tty=%proc.tty leader=%proc.is_vpgid_leader)"
  priority: NOTICE
- rule: e2e memfd witness
  desc: an executable run from a memfd by this test
  condition: evt.type in (execve, execveat) and proc.is_exe_from_memfd = true and proc.args startswith "lanner-"
  output: "memfd witness (exepath=%proc.exepath args=%proc.args)"
  priority: NOTICE
`)
  const { config, alertsFile } = writeSyscallServeConfig(dir, [...RULES, witness])
  const started = await startSyscallServe(t, config, alertsFile, standaloneNodeEnv(dir))
  if (typeof started === 'string') {
    probeUnsupported(t, started)
  } else {
    const { serve, alertWhere } = started
    const loadErrors = serve.logs.filter((l) => typeof l.code === 'string' && l.code.startsWith('LOAD_ERR'))
    t.same(loadErrors, [], 'stable, incubating and sandbox load without errors')
    // every field the upstream files use has data (the last were the executable's inode times)
    const noData = serve.logs.filter((l) => l.code === 'LOAD_FIELD_NO_DATA')
    t.same(noData, [], 'no LOAD_FIELD_NO_DATA warning at start')

    for (const row of rows) {
      t.test(`${row.rule}: ${row.action}`, async (t) => {
        await row.act()
        const hit = await alertWhere((a) => a.rule === row.rule && row.ours(a))
        t.ok(hit, `'${row.rule}' fired`)
        t.match(hit?.output, row.expect)
        if (hit !== undefined && !row.expect.test(hit.output)) t.comment(hit.output)
        t.equal(hit?.source, 'syscall')
      })
    }

    t.test('Basic Interactive Reconnaissance stays quiet for id run by a script on the pty (not its group\'s leader)', async (t) => {
      await run([python, ptyShell, '-1', `id lanner-script-${tag}; true`])
      const seen = await alertWhere((a) => a.rule === 'e2e recon witness' && a.output.includes(`lanner-script-${tag}`))
      t.ok(seen, 'the exec was seen')
      t.match(seen?.output, new RegExp(`tty=[1-9]\\d* leader=false\\)$`), 'on the terminal, in the shell\'s process group')
      t.equal(started.alerts().find((a) => a.rule === 'Basic Interactive Reconnaissance' && a.output.includes(`lanner-script-${tag}`)), undefined)
    })

    t.test('Fileless execution via memfd_create stays quiet for runc\'s own memfd clone (memfd:runc_cloned:/proc/self/exe)', async (t) => {
      await run([python, '-c', `
import os
fd = os.memfd_create('runc_cloned:/proc/self/exe', 0)
os.write(fd, open('${which('true')}', 'rb').read())
os.execve(fd, ['runc', 'lanner-runc-${tag}'], {})
`])
      const seen = await alertWhere((a) => a.rule === 'e2e memfd witness' && a.output.includes(`lanner-runc-${tag}`))
      t.ok(seen, 'the exec was seen')
      t.match(seen?.output, `memfd witness (exepath=memfd:runc_cloned:/proc/self/exe args=lanner-runc-${tag})`)
      t.equal(started.alerts().find((a) => a.rule === 'Fileless execution via memfd_create' && a.output.includes(`lanner-runc-${tag}`)), undefined, 'the upstream exception holds')
    })

    t.test('SIGTERM exits 0', async (t) => {
      serve.child.kill('SIGTERM')
      t.equal((await serve.exited).code, 0)
    })
  }
}
