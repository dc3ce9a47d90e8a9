// The duplicate filter in front of the audit batch handler: a byte-identical re-delivery of an
// evaluated batch is acknowledged without a second evaluation; anything else is evaluated.
import t from 'tap'
import { createDuplicateBatchFilter } from '../../src/app/audit-mode/duplicate-batches.ts'
import type { HandleBodyResult } from '../../src/webhook/index.ts'
import { auditEvent, encodeEventList } from '../helpers/apiserver-client.ts'

function setup (opts: { capacity?: number, windowMs?: number } = {}) {
  let clock = 0
  const duplicates: number[] = []
  const evaluated: string[] = []
  let fail = false
  const handle = async (body: Buffer): Promise<HandleBodyResult> => {
    if (fail) throw new Error('evaluation failed')
    evaluated.push(body.toString())
    const items = (JSON.parse(body.toString()) as { items?: unknown[] }).items ?? []
    return { accepted: items.length, rejected: 0, issues: [] }
  }
  const filtered = createDuplicateBatchFilter({ metrics: { duplicateBatch: (n) => { duplicates.push(n) } }, now: () => clock, ...opts })(handle)
  return { filtered, duplicates, evaluated, tick: (ms: number) => { clock += ms }, failNext: (v: boolean) => { fail = v } }
}

const A = Buffer.from(encodeEventList([auditEvent(1), auditEvent(2)]))
const B = Buffer.from(encodeEventList([auditEvent(3)]))

t.test('a re-delivery of the same bytes is not evaluated again', async (t) => {
  const s = setup()
  t.same(await s.filtered(A), { accepted: 2, rejected: 0, issues: [] })
  t.same(await s.filtered(A), { accepted: 0, rejected: 0, issues: [] }, 'acknowledged, nothing evaluated')
  t.same(await s.filtered(B), { accepted: 1, rejected: 0, issues: [] })
  t.equal(s.evaluated.length, 2)
  t.same(s.duplicates, [2], 'counted with its events')
  const differentByOneByte = Buffer.from(A.toString().replace('pod-1', 'pod-9'))
  t.equal((await s.filtered(differentByOneByte)).accepted, 2, 'one byte different: a batch of its own')
})

t.test('a batch that failed, or held nothing, is evaluated when it comes again', async (t) => {
  const s = setup()
  s.failNext(true)
  await t.rejects(s.filtered(A))
  s.failNext(false)
  t.equal((await s.filtered(A)).accepted, 2, 'the retry of a failed batch is evaluated for real')
  const empty = Buffer.from('{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[]}\n')
  await s.filtered(empty)
  await s.filtered(empty)
  t.equal(s.evaluated.filter((b) => b === empty.toString()).length, 2, 'nothing accepted: nothing remembered')
})

t.test('digests expire after the window and the oldest go first beyond the capacity', async (t) => {
  const s = setup({ windowMs: 1000, capacity: 2 })
  await s.filtered(A)
  s.tick(1001)
  t.equal((await s.filtered(A)).accepted, 2, 'after the window: evaluated')
  const C = Buffer.from(encodeEventList([auditEvent(4)]))
  await s.filtered(B)
  await s.filtered(C)
  t.equal((await s.filtered(A)).accepted, 2, 'A was the oldest of three: forgotten')
  t.equal((await s.filtered(C)).accepted, 0, 'C is remembered')
})
