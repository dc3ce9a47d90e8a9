import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { createDispatcher, createProgramChannel } from '../../src/outputs/index.ts'
import { captureLogger, counters, jsonLine, makeAlert, messageOf, until } from './helpers.ts'

const HOSTILE = 'pwn $(touch INJECTED) `touch INJECTED2`; touch INJECTED3 \' " \\n'

for (const keepAlive of [true, false]) {
  t.test(`a real child receives one alert per line on stdin (keep_alive ${keepAlive})`, async (t) => {
    const dir = t.testdir({})
    const sink = path.join(dir, 'received.log')
    const exits: Array<number | null> = []
    const { c, hooks } = counters()
    const channel = createProgramChannel({
      program: `cd '${dir}' && cat >> '${sink}'`,
      keepAlive,
      onExit: (info) => { exits.push(info.code) }
    })
    const d = createDispatcher({ channels: [channel], format: jsonLine, queueSize: 100, logger: captureLogger(), hooks })
    d.emit(makeAlert(1))
    d.emit(makeAlert(2, HOSTILE))
    d.emit(makeAlert(3))
    await d.flush(30_000)
    await d.close(5000)
    const lines = readFileSync(sink, 'utf8').trimEnd().split('\n').map(messageOf)
    t.same(lines, ['alert 1', HOSTILE, 'alert 3'], 'alerts arrive verbatim, in order')
    for (const f of ['INJECTED', 'INJECTED2', 'INJECTED3']) t.notOk(existsSync(path.join(dir, f)), `event data never reaches a shell (${f})`)
    t.equal(c.delivered.get('program'), 3)
    t.equal(exits.length, keepAlive ? 1 : 3, keepAlive ? 'one child for all alerts' : 'one child per alert')
    t.ok(exits.every((code) => code === 0))
  })
}

t.test('a failing program is counted and logged, and later alerts still run', async (t) => {
  const dir = t.testdir({})
  const sink = path.join(dir, 'received.log')
  const log = captureLogger()
  const { c, hooks } = counters()
  // fails on alerts containing "bad", succeeds otherwise
  const program = `line=$(cat); case "$line" in *bad*) exit 3;; esac; printf '%s\\n' "$line" >> '${sink}'`
  const d = createDispatcher({ channels: [createProgramChannel({ program, keepAlive: false })], format: jsonLine, queueSize: 100, logger: log, hooks })
  d.emit(makeAlert(1, 'bad one'))
  d.emit(makeAlert(2, 'good one'))
  await d.flush(30_000)
  t.equal(c.failed.get('program'), 1)
  t.equal(c.delivered.get('program'), 1)
  t.match(readFileSync(sink, 'utf8'), /good one/)
  t.equal(log.lines.filter((l) => l.obj.code === 'ERR_OUTPUT_FAILED').length, 1)
  await d.close(1000)
})

t.test('a kept-alive child that exits is restarted for the next alert', async (t) => {
  const dir = t.testdir({})
  const sink = path.join(dir, 'received.log')
  const exits: Array<number | null> = []
  // reads exactly one line, then exits: every later alert needs a new child
  const channel = createProgramChannel({ program: `head -n 1 >> '${sink}'`, keepAlive: true, onExit: (i) => { exits.push(i.code) } })
  const d = createDispatcher({ channels: [channel], format: jsonLine, queueSize: 100, logger: captureLogger() })
  d.emit(makeAlert(1))
  await d.flush(30_000)
  await until(() => exits.length === 1, 'first child exit')
  d.emit(makeAlert(2))
  await d.flush(30_000)
  await until(() => { try { return readFileSync(sink, 'utf8').includes('alert 2') } catch { return false } }, 'second alert')
  t.match(readFileSync(sink, 'utf8'), /alert 1[\s\S]*alert 2/, 'the second alert reached a new child, after the first')
  await d.close(5000)
  t.ok(exits.length >= 1, 'exits were reported')
})

t.test("the program's own stdout never reaches Lanner's stdout (the alert stream)", async (t) => {
  const { spawnSync } = await import('node:child_process')
  const script = `
    import { createDispatcher, createProgramChannel } from ${JSON.stringify(new URL('../../src/outputs/index.ts', import.meta.url).href)}
    const d = createDispatcher({ channels: [createProgramChannel({ program: 'cat', keepAlive: false })], format: (a) => 'ALERT ' + a.rule, queueSize: 10, logger: console })
    d.emit({ time: 0n, rule: 'r', priority: 4, source: 's', tags: [], hostname: 'h', message: 'm', outputFields: {} })
    await d.close(5000)
  `
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, '', 'nothing on stdout')
  t.match(r.stderr, /ALERT r/, 'the program output shows on stderr')
})

t.test('close() ends a kept-alive program that ignores EOF and SIGTERM', async (t) => {
  const dir = t.testdir({})
  const sink = path.join(dir, 'received.log')
  const exits: Array<NodeJS.Signals | null> = []
  const channel = createProgramChannel({
    program: `trap '' TERM; while :; do read -r line && printf '%s\\n' "$line" >> '${sink}'; sleep 0.05; done`,
    keepAlive: true,
    closeTimeoutMs: 100,
    onExit: (i) => { exits.push(i.signal) }
  })
  const d = createDispatcher({ channels: [channel], format: jsonLine, queueSize: 10, logger: captureLogger() })
  d.emit(makeAlert(1))
  await d.flush(30_000)
  await until(() => { try { return readFileSync(sink, 'utf8').includes('alert 1') } catch { return false } }, 'the alert')
  await d.close(1000)
  t.same(exits, ['SIGKILL'], 'stubborn child killed; close() returned')
})

t.test('a kept-alive child ended by reopen (SIGHUP) or close reports its exit as requested', async (t) => {
  const exits: Array<{ code: number | null, requested?: boolean }> = []
  const channel = createProgramChannel({ program: 'cat > /dev/null', keepAlive: true, onExit: (i) => { exits.push({ code: i.code, requested: i.requested }) } })
  await channel.send(['one'])
  channel.reopen?.()
  await until(() => exits.length === 1, 'the reopened child to exit')
  await channel.send(['two'])
  await channel.close()
  t.same(exits, [{ code: 0, requested: true }, { code: 0, requested: true }], 'neither exit is a crash to warn about')
})
