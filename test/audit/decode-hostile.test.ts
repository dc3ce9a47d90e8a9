// What one hostile body costs the decoder: bad items are counted by code with a few examples, never
// an object each, and the sender's text is quoted short. Fails if the decoder goes back to an
// issue per item or copies attacker strings into messages verbatim.
import t from 'tap'
import { decodeAuditPayload, MAX_EXAMPLES_PER_CODE } from '../../src/audit/decode.ts'
import { auditEvent, encodeEventList } from '../helpers/apiserver-client.ts'

const OPTS = { maxEventBytes: 4 * 1024 * 1024 }

t.test('200,000 empty items: counted, a few examples kept', async (t) => {
  const body = '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[' + Array(200_000).fill('{}').join(',') + ']}'
  const res = decodeAuditPayload(body, OPTS)
  t.equal(res.events.length, 0)
  t.equal(res.rejected, 200_000, 'every item refused')
  t.same(res.issueCounts, { ERR_AUDIT_NO_TIMESTAMP: 200_000 })
  t.equal(res.issues.length, MAX_EXAMPLES_PER_CODE, 'only a few example objects')
  t.same(res.issues.map((i) => i.index), [0, 1, 2], 'the examples keep their item index')
})

t.test('mixed codes: each code counted and exemplified, good events kept in order', async (t) => {
  const items: unknown[] = []
  for (let i = 0; i < 50; i++) items.push(auditEvent(i), 7, {}, null)
  const body = encodeEventList([]).replace('"items":[]', `"items":${JSON.stringify(items)}`)
  const res = decodeAuditPayload(body, OPTS)
  t.equal(res.events.length, 50)
  t.same(res.issueCounts, { ERR_AUDIT_NOT_OBJECT: 100, ERR_AUDIT_NO_TIMESTAMP: 50 })
  t.equal(res.rejected, 150)
  t.equal(res.issues.filter((i) => i.code === 'ERR_AUDIT_NOT_OBJECT').length, MAX_EXAMPLES_PER_CODE)
  t.equal(res.issues.filter((i) => i.code === 'ERR_AUDIT_NO_TIMESTAMP').length, MAX_EXAMPLES_PER_CODE)
})

t.test('a 3 MB stageTimestamp is quoted in 64 characters', async (t) => {
  const huge = 'x'.repeat(3 * 1024 * 1024)
  const res = decodeAuditPayload(encodeEventList([auditEvent(1, { stageTimestamp: huge })]), OPTS)
  t.equal(res.issues.length, 1)
  t.ok(res.issues[0]!.message.length < 200, `message is ${res.issues[0]!.message.length} characters`)
  t.match(res.issues[0]!.message, /^stageTimestamp is not RFC3339: "x{63}…\(\d+ chars\)$/)
})

t.test('a JSON parse error quotes little of the body', async (t) => {
  const body = '{"kind":"EventList","items":[' + 'A'.repeat(100_000) + ']}'
  const res = decodeAuditPayload(body, OPTS)
  t.same(res.issueCounts, { ERR_AUDIT_BAD_JSON: 1 })
  t.equal(res.rejected, 0, 'a body-level problem refuses no item')
  t.ok(res.issues[0]!.message.length < 200, `message is ${res.issues[0]!.message.length} characters`)
})

t.test('decodeAuditPayloadInTurns: the same result as the one-go decode, with a turn every 1024 items', async (t) => {
  const { decodeAuditPayloadInTurns, decodeAuditPayload: once } = await import('../../src/audit/decode.ts')
  const list = '{"kind":"EventList","items":[' + Array.from({ length: 5000 }, (_, i) => i % 3 === 0 ? '{}' : JSON.stringify(auditEvent(i))).join(',') + ']}'
  const bodies = [list, `[${JSON.stringify({ ...auditEvent(1), kind: 'Event' })}, 5, [[]]]`, JSON.stringify({ ...auditEvent(2), kind: 'Event' }), '{"kind":', '"x"']
  for (const body of bodies) {
    let pauses = 0
    const inTurns = await decodeAuditPayloadInTurns(body, OPTS, async () => { pauses++ })
    const sync = once(body, OPTS)
    t.same({ ...inTurns, events: inTurns.events.map((e) => [e.obj, e.time]) }, { ...sync, events: sync.events.map((e) => [e.obj, e.time]) }, `same result for ${body.slice(0, 30)}`)
    if (body === list) t.equal(pauses, 4, '5000 items: a turn after each 1024')
  }
})

t.test('decodeAuditPayloadInTurns: lists nested in arrays give the loop its turns too', async (t) => {
  const { decodeAuditPayloadInTurns, decodeAuditPayload: once } = await import('../../src/audit/decode.ts')
  const items = Array.from({ length: 5000 }, (_, i) => i % 3 === 0 ? '{}' : JSON.stringify(auditEvent(i))).join(',')
  // the same 5000 items wrapped in an array (an array of EventLists, Falco's array form), or in
  // arrays of arrays: one top-level element, so a turn per top-level item never came
  const wrapped: Array<[string, number]> = [
    [`[{"kind":"EventList","items":[${items}]}]`, 5000],
    [`[[${items}]]`, 5000],
    [`[{"kind":"EventList","items":[${items}]}, [[${items}]]]`, 10_000]
  ]
  for (const [body, walked] of wrapped) {
    let pauses = 0
    const inTurns = await decodeAuditPayloadInTurns(body, OPTS, async () => { pauses++ })
    const sync = once(body, OPTS)
    t.same({ ...inTurns, events: inTurns.events.map((e) => [e.obj, e.time]) }, { ...sync, events: sync.events.map((e) => [e.obj, e.time]) }, `same result for ${body.slice(0, 30)}`)
    t.ok(pauses >= Math.floor(walked / 1024), `${walked} nested items: ${pauses} turns (one per 1024)`)
  }
})
