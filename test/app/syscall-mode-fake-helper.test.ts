// Syscall mode (app/syscall-mode/syscall-mode.ts) run in process the way serve runs it (app/service.ts
// runService), over a fake probe helper (LANNER_PROBE_HELPER: a node script that sends the real
// HELLO frame and close records in the ABI's layout; no privileges needed) and a node outside
// Kubernetes: the admin server comes up first, the probe starts with the event types the rules
// need (those it cannot produce named), /readyz turns 200 once records flow, a rules reload that
// needs other types restarts the helper with them (it never answers its control line, like an
// older prebuilt helper) or, when that relaunch fails, is reported as an error while the reload
// stands, and the stop ends the helper and closes the admin port. A helper that
// never attaches fails the start and takes the admin server down with it.
// The same through a spawned `lanner serve`: test/integration/serve-syscall-kinds-change.test.ts.
import t, { type Test } from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { loadConfig } from '../../src/config/index.ts'
import { buildApp, type App } from '../../src/app/build.ts'
import { createLogger } from '../../src/app/log/logger.ts'
import { runService } from '../../src/app/service.ts'
import type { RunningMode } from '../../src/app/audit-mode/audit-mode.ts'
import { request } from '../helpers/apiserver-client.ts'
import { until } from '../helpers/serve-child.ts'
import { fakeHelperHello, writeCloseRecord, writeFakeHelper } from '../helpers/serve-syscall.ts'

type LogLine = Record<string, unknown> & { level: number, msg: string }

function rule (name: string, condition: string): string {
  return `- rule: ${name}\n  desc: test rule\n  condition: ${condition}\n  output: "${name} (file=%fd.name)"\n  priority: NOTICE\n  source: syscall\n`
}

// chroot is a Falco event type the probe does not record: loaded, never matching, named in the log
const RULES_A = rule('Marker Opened', 'evt.type = openat and evt.dir = < and fd.name = "/nonexistent/marker"') + rule('Root Changed', 'evt.type = chroot and evt.dir = <') +
  // a field Lanner never fills: a detection gap the start-up log must show (warn, not debug)
  rule('Healthcheck Shell', 'evt.type = execve and evt.dir = < and proc.name = bash and proc.is_container_healthcheck = true')
// no evt.type: the rule matches any type, so the probe falls back to its default set
const RULES_ANY = rule('Marker Process', 'proc.name = no-such-process-here')

/** A node outside Kubernetes for this test file: no kubeconfig, no in-cluster service. */
function standaloneNode (t: Test, dir: string, helper: string): void {
  const saved = { KUBECONFIG: process.env.KUBECONFIG, KUBERNETES_SERVICE_HOST: process.env.KUBERNETES_SERVICE_HOST, HOME: process.env.HOME, LANNER_PROBE_HELPER: process.env.LANNER_PROBE_HELPER }
  process.env.KUBECONFIG = path.join(dir, 'no-kubeconfig')
  process.env.HOME = dir
  process.env.LANNER_PROBE_HELPER = helper
  delete process.env.KUBERNETES_SERVICE_HOST
  t.teardown(() => { for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v } })
}

async function syscallApp (t: Test, dir: string, webserver: string): Promise<{ app: App, logs: LogLine[] }> {
  const file = path.join(dir, 'falco.yaml')
  writeFileSync(file, `rules_files: [rules.yaml]\nwatch_config_files: false\nstdout_output: {enabled: false}\nwebserver: ${webserver}\nlanner: {source: syscall}\n`)
  const config = loadConfig({ file })
  const logOut = new PassThrough()
  const logs: LogLine[] = []
  logOut.on('data', (b: Buffer) => { for (const l of b.toString().trimEnd().split('\n')) logs.push(JSON.parse(l)) })
  const app = await buildApp(config, { stdout: new PassThrough(), logger: createLogger({ ...config.log, format: 'json' }, logOut), defaultMetrics: false })
  t.teardown(async () => { await app.dispatcher.close(1000) })
  return { app, logs }
}

t.test('serving over a helper: event types from the rules, ready once records flow, a reload restarts the helper with the new types, stop ends it', { timeout: 180_000 }, async (t) => {
  const dir = t.testdir({ 'rules.yaml': RULES_A })
  const rec = writeCloseRecord(dir)
  const launches = path.join(dir, 'launches')
  // counts its launches, keeps each one's argv; launch 3 exits before its HELLO (a relaunch that
  // fails); the others send a record every 50 ms; control lines are never answered
  const helper = writeFakeHelper(dir, 'fake-probe.mjs', `import { existsSync, readFileSync, writeFileSync } from 'node:fs'
const n = (existsSync(${JSON.stringify(launches)}) ? Number(readFileSync(${JSON.stringify(launches)}, 'utf8')) : 0) + 1
writeFileSync(${JSON.stringify(launches)}, String(n))
writeFileSync(${JSON.stringify(dir)} + '/args-' + n, JSON.stringify(process.argv.slice(2)))
if (n === 3) process.exit(1)
${fakeHelperHello()}
const rec = readFileSync(${JSON.stringify(rec)})
setInterval(() => { process.stdout.write(rec) }, 50)
process.stdin.resume()
process.on('SIGTERM', () => process.exit(0))
`)
  const args = (n: number): string => (JSON.parse(readFileSync(path.join(dir, `args-${n}`), 'utf8')) as string[]).join(' ')
  standaloneNode(t, dir, helper)
  const { app, logs } = await syscallApp(t, dir, '{enabled: true, listen_address: 127.0.0.1, listen_port: 0}')
  const logged = (msg: string): LogLine | undefined => logs.find((l) => l.msg.startsWith(msg))
  const ruleNames = (): string[] => (app.rules.current()?.rules ?? []).map((r) => r.name).sort()

  let stop!: (sig: string) => void
  let mode!: RunningMode
  let onReady!: () => void
  const served = new Promise<void>((resolve) => { onReady = resolve })
  const run = runService(app, { onFatal: (l) => { t.fail(l) }, stopSignal: new Promise((resolve) => { stop = resolve }), onReady: (m) => { mode = m; onReady() } })
  // a failed assertion must not leave the instance serving (its probe, ports and timers)
  t.teardown(async () => { stop('SIGTERM'); await run.catch(() => 1) })
  await served
  t.equal(mode.port, undefined, 'no webhook in syscall mode')
  const admin = `http://127.0.0.1:${mode.adminPort ?? 0}`
  t.equal((await request(`${admin}/healthz`)).status, 200)

  const running = logged('syscall probe running')
  t.type(running?.pid, 'number')
  t.match(logged('rule uses a field Lanner never fills'), { level: 40, code: 'LOAD_FIELD_NO_DATA', rule: 'Healthcheck Shell', warning: /rules\.yaml:\d+:\d+: LOAD_FIELD_NO_DATA: .*proc\.is_container_healthcheck/ })
  t.match(logged('probe event types'), { level: 30, msg: 'probe event types', anyType: false, typesNotProduced: ['chroot'] })
  t.match(args(1), /--kinds \S*\bopenat\b/, 'the helper records what the rules need')
  t.notMatch(args(1), /\bmkdir\b/, 'and not the default set')
  await until(async () => (await request(`${admin}/readyz`)).status === 200, '/readyz 200 once records flow')

  // change 1: a rule for any event type; the helper never answers on its control line, so it is
  // replaced by one started with the new set
  writeFileSync(path.join(dir, 'rules.yaml'), RULES_ANY)
  t.equal(await app.rules.reload('test'), true)
  const changed = await until(() => logged('probe event types changed'), 'the probe set to change')
  t.match(changed, { level: 30, msg: 'probe event types changed for the new rules (a rule matches any event type: default set)', applied: 'restarted', anyType: true })
  t.equal(changed.typesNotProduced, undefined, 'no unproduced type to name')
  t.match(args(2), /--kinds \S*\bmkdir\b/, 'the default set (mkdir included)')

  // change 2: back to the first rules; this time the replacement (launch 3) fails to start: an
  // error naming the failure, and the rules reload itself stands
  writeFileSync(path.join(dir, 'rules.yaml'), RULES_A)
  t.equal(await app.rules.reload('test'), true, 'a probe that cannot follow does not fail the rules reload')
  const failed = await until(() => logged('probe event types could not be changed'), 'the failed change to be reported')
  t.match(failed, { level: 50, code: 'ERR_SYSCALL_PROBE_FAILED', msg: 'probe event types could not be changed now: the helper with the new set failed to start and is restarted with it' })
  t.same(ruleNames(), ['Healthcheck Shell', 'Marker Opened', 'Root Changed'])

  stop('SIGTERM')
  t.equal(await run, 0)
  await t.rejects(request(`${admin}/healthz`), { code: 'ECONNREFUSED' }, 'the admin server is closed')
})

t.test('a helper that never attaches: the start fails with the probe error and the admin server is closed', { timeout: 120_000 }, async (t) => {
  const dir = t.testdir({ 'rules.yaml': RULES_A })
  const helper = writeFakeHelper(dir, 'broken-probe.mjs', "process.stderr.write('libbpf: failed to load object\\n')\nprocess.exit(1)\n")
  standaloneNode(t, dir, helper)
  // a free port for the admin server, known in advance so that its release can be checked
  const probe = net.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const adminPort = (probe.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => { resolve() }))
  const { app } = await syscallApp(t, dir, `{enabled: true, listen_address: 127.0.0.1, listen_port: ${adminPort}}`)
  await t.rejects(runService(app, { onFatal: (l) => { t.fail(l) }, stopSignal: new Promise(() => {}) }), { code: 'ERR_SYSCALL_PROBE_FAILED' })
  const again = net.createServer()
  await new Promise<void>((resolve, reject) => { again.once('error', reject); again.listen(adminPort, '127.0.0.1', resolve) })
  t.equal((again.address() as net.AddressInfo).port, adminPort, 'the admin port is free again')
  await new Promise<void>((resolve) => again.close(() => { resolve() }))
})
