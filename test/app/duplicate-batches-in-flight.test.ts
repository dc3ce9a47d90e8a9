// A re-delivery that arrives while the first delivery of the same bytes is still being evaluated
// (kube-apiserver gave up waiting on a slow node and sent the batch again): it waits for that
// evaluation and is acknowledged as a duplicate, so no alert is raised twice; if the first
// evaluation failed, the re-delivery is evaluated for real, once however many copies wait.
import t from 'tap'
import { createDuplicateBatchFilter } from '../../src/app/audit-mode/duplicate-batches.ts'
import type { HandleBodyResult } from '../../src/webhook/index.ts'
import { auditEvent, encodeEventList } from '../helpers/apiserver-client.ts'

/** a handler whose evaluations finish only when the test says so */
function slowHandler () {
  const evaluated: string[] = []
  const pending: Array<{ finish: () => void, fail: (err: Error) => void }> = []
  async function handle (body: Buffer): Promise<HandleBodyResult> {
    evaluated.push(body.toString())
    await new Promise<void>((resolve, reject) => { pending.push({ finish: resolve, fail: reject }) })
    const items = (JSON.parse(body.toString()) as { items?: unknown[] }).items ?? []
    return { accepted: items.length, rejected: 0, issues: [] }
  }
  return { handle, evaluated, pending }
}

async function settle (): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
}

const A = Buffer.from(encodeEventList([auditEvent(1), auditEvent(2), auditEvent(3)]))
const B = Buffer.from(encodeEventList([auditEvent(4)]))

t.test('a copy arriving during the first evaluation waits for it and is then a duplicate', async (t) => {
  const h = slowHandler()
  const duplicates: number[] = []
  const filtered = createDuplicateBatchFilter({ metrics: { duplicateBatch: (n) => { duplicates.push(n) } } })(h.handle)
  const first = filtered(A)
  await settle()
  const second = filtered(A)
  const other = filtered(B)
  await settle()
  t.equal(h.evaluated.length, 2, 'the first delivery and the other batch are being evaluated; the copy is not')
  let secondDone = false
  void second.then(() => { secondDone = true })
  await settle()
  t.equal(secondDone, false, 'the copy is not answered before the first delivery is')
  h.pending[0]!.finish()
  h.pending[1]!.finish()
  t.same(await first, { accepted: 3, rejected: 0, issues: [] })
  t.same(await second, { accepted: 0, rejected: 0, issues: [] }, 'acknowledged without a second evaluation')
  t.same(await other, { accepted: 1, rejected: 0, issues: [] }, 'a different batch is never held back by it')
  t.same(duplicates, [3], 'counted as a duplicate with its events')
  t.equal(h.evaluated.length, 2)
})

t.test('the first evaluation fails: its caller sees the error, and the waiting copies are evaluated once', async (t) => {
  const h = slowHandler()
  const duplicates: number[] = []
  const filtered = createDuplicateBatchFilter({ metrics: { duplicateBatch: (n) => { duplicates.push(n) } } })(h.handle)
  const first = filtered(A)
  await settle()
  const copies = [filtered(A), filtered(A)]
  await settle()
  h.pending[0]!.fail(new Error('evaluation failed'))
  await t.rejects(first, { message: 'evaluation failed' })
  await settle()
  t.equal(h.evaluated.length, 2, 'one of the copies is evaluated for real; the other waits for it')
  h.pending[1]!.finish()
  const results = await Promise.all(copies)
  t.same(results.map((r) => r.accepted).sort(), [0, 3], 'one evaluated, one acknowledged as its duplicate')
  t.same(duplicates, [3])
  t.equal(h.evaluated.length, 2, 'never a third evaluation')
})
