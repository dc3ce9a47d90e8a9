// readAuditSource on real files: JSON lines, whole documents, gzip, stdin, directories, and the
// issues it reports for bad lines and unreadable paths.
import t from 'tap'
import { utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { readAuditSource, type AuditBatch } from '../../src/audit/index.ts'

function ev (id: string): string {
  return JSON.stringify({ kind: 'Event', auditID: id, stageTimestamp: '2024-01-02T03:04:05Z' })
}

async function readAll (path: string, opts: Parameters<typeof readAuditSource>[1] = { maxEventBytes: 262144 }): Promise<AuditBatch[]> {
  const out: AuditBatch[] = []
  for await (const b of readAuditSource(path, opts)) out.push(b)
  return out
}

function ids (batches: AuditBatch[]): unknown[] {
  return batches.flatMap((b) => b.events.map((e) => e.obj.auditID))
}

function issues (batches: AuditBatch[]): unknown[] {
  return batches.flatMap((b) => b.issues.map((i) => [i.code, i.line]))
}

t.test('JSON lines: blank lines, CRLF, bad lines with their numbers, no final newline', async (t) => {
  const dir = t.testdir({
    'audit.log': [ev('a'), '', ev('b') + '\r', '{not json', '{"kind": 0}', ev('c')].join('\n')
  })
  const batches = await readAll(join(dir, 'audit.log'))
  t.same(ids(batches), ['a', 'b', 'c'])
  t.same(issues(batches), [['ERR_AUDIT_BAD_JSON', 4], ['ERR_AUDIT_NOT_RECOGNIZED', 5]])
  t.ok(batches.every((b) => b.file === join(dir, 'audit.log')))
  t.equal(batches.flatMap((b) => b.issues)[0]?.file, join(dir, 'audit.log'), 'issues name their file')
})

t.test('a pretty-printed EventList document is read whole', async (t) => {
  const doc = JSON.stringify({ kind: 'EventList', items: [JSON.parse(ev('a')), JSON.parse(ev('b'))] }, null, 2)
  const dir = t.testdir({ 'list.json': '\n' + doc + '\n' })
  const batches = await readAll(join(dir, 'list.json'))
  t.same(ids(batches), ['a', 'b'])
  t.same(issues(batches), [])
})

t.test('a broken multi-line document is one issue', async (t) => {
  const dir = t.testdir({ 'broken.json': '[\n' + ev('a') + ',\n' })
  const batches = await readAll(join(dir, 'broken.json'))
  t.same(ids(batches), [])
  t.same(batches.flatMap((b) => b.issues.map((i) => i.code)), ['ERR_AUDIT_BAD_JSON'])
})

t.test('one-line arrays and EventLists are ordinary lines', async (t) => {
  const dir = t.testdir({ 'mixed.jsonl': `[${ev('a')},${ev('b')}]\n{"kind":"EventList","items":[${ev('c')}]}\n` })
  t.same(ids(await readAll(join(dir, 'mixed.jsonl'))), ['a', 'b', 'c'])
})

t.test('gzip is detected by its magic bytes', async (t) => {
  const dir = t.testdir({})
  writeFileSync(join(dir, 'audit.log.1'), gzipSync([ev('a'), 'oops', ev('b')].join('\n') + '\n'))
  const batches = await readAll(join(dir, 'audit.log.1'))
  t.same(ids(batches), ['a', 'b'])
  t.same(issues(batches), [['ERR_AUDIT_BAD_JSON', 2]])
})

t.test('a corrupt gzip stream ends that file with an issue, never an exception', async (t) => {
  const dir = t.testdir({})
  const gz = gzipSync([ev('a'), ev('b')].join('\n') + '\n')
  writeFileSync(join(dir, 'bad.gz'), Buffer.concat([gz.subarray(0, gz.length - 6), Buffer.from('garbage!')]))
  const batches = await readAll(join(dir, 'bad.gz'))
  t.same(batches.flatMap((b) => b.issues.map((i) => i.code)), ['ERR_AUDIT_READ_FAILED'])
})

t.test("'-' reads the given stdin stream", async (t) => {
  const stdin = new PassThrough()
  stdin.end(ev('a') + '\n' + ev('b') + '\n')
  const batches = await readAll('-', { maxEventBytes: 262144, stdin })
  t.same(ids(batches), ['a', 'b'])
  t.ok(batches.every((b) => b.file === '-'))
})

t.test('a directory is read file by file, oldest first', async (t) => {
  const dir = t.testdir({ logs: { 'z-old.log': ev('old') + '\n', 'a-new.log': ev('new') + '\n', sub: {} } })
  utimesSync(join(dir, 'logs', 'z-old.log'), 1000, 1000)
  utimesSync(join(dir, 'logs', 'a-new.log'), 2000, 2000)
  const batches = await readAll(join(dir, 'logs'))
  t.same(ids(batches), ['old', 'new'])
  t.same(batches.map((b) => b.file), [join(dir, 'logs', 'z-old.log'), join(dir, 'logs', 'a-new.log')])
})

t.test('a missing path is an issue, not an exception', async (t) => {
  const batches = await readAll('/nonexistent/lanner/audit.log')
  t.same(batches.flatMap((b) => b.issues.map((i) => [i.code, i.file])), [['ERR_AUDIT_READ_FAILED', '/nonexistent/lanner/audit.log']])
})

t.test('large inputs stream in batches', async (t) => {
  const lines: string[] = []
  for (let i = 0; i < 2000; i++) lines.push(ev(`e${i}`))
  const dir = t.testdir({ 'big.log': lines.join('\n') + '\n' })
  const batches = await readAll(join(dir, 'big.log'), { maxEventBytes: 262144, batchSize: 100 })
  t.ok(batches.length >= 10, `several batches (${batches.length})`)
  t.ok(batches.every((b) => b.events.length <= 100), 'no batch is over batchSize')
  t.equal(ids(batches).length, 2000)
  t.equal(ids(batches)[1999], 'e1999', 'in order')
})

t.test('a JSON-lines file whose first line is broken keeps its other lines', async (t) => {
  const dir = t.testdir({ 'cut.log': '{"kind":"Event","auditID":"trunc\n' + ev('a') + '\n' + ev('b') + '\n' })
  const batches = await readAll(join(dir, 'cut.log'))
  t.same(ids(batches), ['a', 'b'])
  t.same(issues(batches), [['ERR_AUDIT_BAD_JSON', 1]])
})
