// `lanner replay big.log | slow-consumer`: a replay is a batch job, so a slow output must slow the
// replay down, not lose alerts. Output queues far smaller than the alerts of one read chunk, and a
// stdout that accepts nothing until the test lets it: every alert must still come out.
import t from 'tap'
import { Writable } from 'node:stream'
import { writeFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import path from 'node:path'
import { loadConfig } from '../../src/config/index.ts'
import { runReplay } from '../../src/app/replay/replay.ts'
import { auditEvent, createRule } from './fixtures.ts'

/** A stdout that holds every write until open() is called, then takes everything. */
function gatedStdout (): Writable & { lines: string[], open(): void, firstWrite: Promise<void> } {
  const held: Array<() => void> = []
  let isOpen = false
  let sawWrite!: () => void
  const firstWrite = new Promise<void>((resolve) => { sawWrite = resolve })
  const lines: string[] = []
  const w = new Writable({
    highWaterMark: 1,
    write (chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''))
      sawWrite()
      if (isOpen) cb(); else held.push(() => { cb() })
    }
  })
  return Object.assign(w, {
    lines,
    firstWrite,
    open () { isOpen = true; for (const release of held.splice(0)) release() }
  })
}

t.test('replay waits for slow outputs instead of dropping alerts', async (t) => {
  const n = 300
  const dir = t.testdir({ 'rules.yaml': createRule('ConfigMap Created') })
  const file = path.join(dir, 'audit.jsonl')
  writeFileSync(file, Array.from({ length: n }, (_, i) => JSON.stringify(auditEvent({ name: `cm-${i}` }))).join('\n') + '\n')
  const config = loadConfig({
    rules: [path.join(dir, 'rules.yaml')],
    overrides: ['json_output=true', 'log_level=debug', 'lanner.log_format=json', 'lanner.outputs={queue_size: 8, drain_timeout_ms: 60000}']
  })
  const stdout = gatedStdout()
  const logs = new PassThrough()
  const paused = new Promise<{ pending: number, highWater: number }>((resolve) => {
    let text = ''
    logs.on('data', function scan (b: Buffer) {
      text += b.toString()
      for (const line of text.split('\n').slice(0, -1)) {
        const o = JSON.parse(line) as { msg: string, pending: number, highWater: number }
        if (o.msg.startsWith('replay paused')) resolve(o)
      }
      text = text.slice(text.lastIndexOf('\n') + 1)
    })
  })
  const run = runReplay(config, [file], { stdout, stdin: new PassThrough(), logDest: logs })
  await stdout.firstWrite
  // the replay itself says it stopped reading for the stuck consumer (without back-pressure it
  // would queue past the outputs and drop, and this line would never come: the test times out)
  const pause = await paused
  t.equal(pause.highWater, 4, 'half of queue_size 8')
  t.ok(pause.pending >= pause.highWater, `paused with ${pause.pending} alerts pending`)
  t.ok(stdout.lines.length < n, `paused while the consumer had taken ${stdout.lines.length} of ${n}`)
  stdout.open()
  const result = await run
  t.equal(result.code, 0)
  t.match(result.report[0], new RegExp(`${n} event\\(s\\) read .* ${n} alert\\(s\\)`))
  t.equal(stdout.lines.length, n, 'every alert reached stdout')
  t.same(stdout.lines.map((l) => JSON.parse(l).output_fields['ka.target.name']), Array.from({ length: n }, (_, i) => `cm-${i}`), 'in order')
})
