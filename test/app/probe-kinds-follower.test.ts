// ProbeKindsFollower (src/app/syscall-mode/probe-kinds-follower.ts) on the real probe supervisor (startProbe)
// over a fake helper (no privileges needed) that says HELLO and answers no control line: what the
// follower leaves alone (rules installed before the probe is attached, after stop, or needing the
// kinds the probe already records) and the lines it logs. The change paths themselves, through a
// spawned serve: test/integration/serve-syscall-kinds-change.test.ts, serve-syscall-kinds.test.ts.
import t from 'tap'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { createLogger } from '../../src/app/log/logger.ts'
import { ProbeKindsFollower } from '../../src/app/syscall-mode/probe-kinds-follower.ts'
import { loadRules, type Ruleset } from '../../src/rules/index.ts'
import { startProbe, syscallSource } from '../../src/syscall/index.ts'
import { fakeHelperHello, writeFakeHelper } from '../helpers/serve-syscall.ts'
import { lineCollector } from './fixtures.ts'

function rules (condition: string): Ruleset {
  const res = loadRules([{ name: 'r.yaml', content: `- rule: R\n  desc: d\n  condition: ${condition}\n  output: o\n  priority: NOTICE\n  source: syscall\n` }], { sources: [syscallSource] })
  if (res.ruleset === undefined) throw new Error(JSON.stringify(res.errors))
  return res.ruleset
}

t.test('the follower changes nothing before attach, after stop, or when the probe records the kinds already', async (t) => {
  const dir = t.testdir({})
  const launches = path.join(dir, 'launches')
  const bin = writeFakeHelper(dir, 'fake-probe.mjs', `import { appendFileSync } from 'node:fs'
appendFileSync(${JSON.stringify(launches)}, 'x')
${fakeHelperHello()}
process.stdin.resume()
process.on('SIGTERM', () => process.exit(0))
`)
  const { stream, lines } = lineCollector()
  const log = createLogger({ level: 'debug', stderr: true, format: 'json' }, stream)
  let current: Ruleset | undefined = rules('evt.type = openat and evt.dir = <')
  const follower = new ProbeKindsFollower({ current: () => current }, log)
  const initial = follower.kindsNow()
  const probe = await startProbe({ helperPath: bin, kinds: initial.kinds, enterKinds: initial.enterKinds, onRecords () {}, confTimeoutMs: 200 })
  t.teardown(() => probe.stop())

  current = rules('evt.type in (mkdir, mkdirat) and evt.dir = <')
  await follower.follow()
  t.same(probe.kinds, initial.kinds, 'not attached yet: the probe keeps its start-up set')

  follower.attach(probe)
  current = rules('evt.type = openat and evt.dir = <')
  await follower.follow()
  t.same(probe.kinds, initial.kinds, 'the same kinds: no change asked')

  follower.stop()
  current = rules('evt.type in (mkdir, mkdirat) and evt.dir = <')
  await follower.follow()
  t.same(probe.kinds, initial.kinds, 'stopped: installs during shutdown change nothing')
  t.equal(readFileSync(launches, 'utf8'), 'x', 'one helper, never replaced')
  t.same(lines.filter((l) => l !== ''), [], 'nothing logged')

  follower.logKinds(follower.kindsNow(), 'probe event types', { extra: 1 })
  t.match(JSON.parse(lines[0] as string), { msg: 'probe event types', extra: 1, anyType: false, kinds: ['execve'] })
})

t.test('without rules the follower asks for the default set', async (t) => {
  const { stream } = lineCollector()
  const follower = new ProbeKindsFollower({ current: () => undefined }, createLogger({ level: 'info', stderr: true, format: 'json' }, stream))
  t.match(follower.kindsNow(), { anyType: true, unproduced: [] })
})
