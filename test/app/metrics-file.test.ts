// metrics.output_file as Falco writes it (stats_writer.cpp: `jmsg["sample"]`, `jmsg["output_fields"]`,
// `m_file_output << jmsg.dump() << std::endl`, the file opened in append mode): nlohmann::json keeps
// object keys sorted, so a line reads {"output_fields":{…sorted…},"sample":N}.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createMetricsFileWriter, metricsFileLine } from '../../src/app/metrics/metrics-file.ts'

t.test('a line: output_fields sorted by byte, evt.time as the exact epoch nanoseconds, then sample', async (t) => {
  const line = metricsFileLine(1764950400123456789n, { 'falco.num_evts': 3, 'evt.source': 'syscall', 'falco.rules.Write below etc': 1, 'falco.hostname': 'node-1', 'scap.n_drops_perc': 0.5, 'falco.memory_pss_mb': null }, 7)
  t.equal(line, '{"output_fields":{"evt.source":"syscall","evt.time":1764950400123456789,"falco.hostname":"node-1","falco.memory_pss_mb":null,"falco.num_evts":3,"falco.rules.Write below etc":1,"scap.n_drops_perc":0.5},"sample":7}\n')
  t.equal(JSON.parse(line).sample, 7)
})

t.test('an evt.time already among the fields is replaced by the snapshot time, not doubled', async (t) => {
  const line = metricsFileLine(5n, { 'evt.time': 1, a: 'x' }, 1)
  t.equal(line, '{"output_fields":{"a":"x","evt.time":5},"sample":1}\n')
})

t.test('the writer appends (an existing file is kept) and counts samples from 1', async (t) => {
  const dir = t.testdir()
  const file = path.join(dir, 'metrics.jsonl')
  writeFileSync(file, 'earlier run\n')
  const errors: string[] = []
  const w = createMetricsFileWriter((f, e) => { errors.push(`${f}: ${e.message}`) })
  await w.write(file, 1n, { x: 1 })
  await w.write(file, 2n, { x: 2 })
  t.equal(readFileSync(file, 'utf8'), 'earlier run\n{"output_fields":{"evt.time":1,"x":1},"sample":1}\n{"output_fields":{"evt.time":2,"x":2},"sample":2}\n')
  t.same(errors, [])
})

t.test('a file that cannot be written is reported once while the error stays the same, again after a success', async (t) => {
  const dir = t.testdir()
  const missing = path.join(dir, 'no-such-dir', 'metrics.jsonl')
  const errors: string[] = []
  const w = createMetricsFileWriter((f, e) => { errors.push(`${f}: ${(e as NodeJS.ErrnoException).code}`) })
  await w.write(missing, 1n, {})
  await w.write(missing, 2n, {})
  t.same(errors, [`${missing}: ENOENT`], 'one report for two failed ticks')
  const ok = path.join(dir, 'ok.jsonl')
  await w.write(ok, 3n, {})
  t.match(readFileSync(ok, 'utf8'), /"sample":3\}\n$/, 'samples count ticks, written or not, as Falco counts ticks')
  await w.write(missing, 4n, {})
  t.equal(errors.length, 2, 'after a success, the next failure is reported again')
})
