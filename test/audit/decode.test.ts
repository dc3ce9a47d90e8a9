// decodeAuditPayload: the body shapes the apiserver and log files produce, and how bad parts of a
// batch are reported without losing the good ones.
import t from 'tap'
import { decodeAuditPayload } from '../../src/audit/index.ts'

const OPTS = { maxEventBytes: 262144 }

function event (id: string, extra: Record<string, unknown> = {}) {
  return { kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: id, stage: 'ResponseComplete', stageTimestamp: '2024-01-02T03:04:05.000000006Z', ...extra }
}

t.test('a single Event', async (t) => {
  const { events, issues } = decodeAuditPayload(JSON.stringify(event('a')), OPTS)
  t.same(issues, [])
  t.equal(events.length, 1)
  t.equal(events[0]?.obj.auditID, 'a')
  t.equal(events[0]?.time, BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1_000_000n + 6n)
  t.same(events[0]?.cache, [], 'a fresh memo array')
})

t.test('an EventList, a Buffer body, nested arrays', async (t) => {
  const list = { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [event('a'), event('b')] }
  t.same(decodeAuditPayload(Buffer.from(JSON.stringify(list)), OPTS).events.map((e) => e.obj.auditID), ['a', 'b'])
  const nested = [event('a'), [event('b'), { ...list, items: [event('c')] }]]
  t.same(decodeAuditPayload(JSON.stringify(nested), OPTS).events.map((e) => e.obj.auditID), ['a', 'b', 'c'])
  t.same(decodeAuditPayload(nested, OPTS).events.map((e) => e.obj.auditID), ['a', 'b', 'c'], 'an already-parsed value')
  t.same(decodeAuditPayload('[]', OPTS), { events: [], issues: [], issueCounts: {}, rejected: 0 }, 'an empty array is fine')
})

t.test('EventList items are events whatever their kind (kube-apiserver writes them without TypeMeta)', async (t) => {
  const bare = (id: string) => {
    const { kind: _k, apiVersion: _a, ...rest } = event(id)
    return rest
  }
  const body = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: [bare('a'), event('b'), { ...bare('c'), kind: 'Pod' }] })
  const { events, issues } = decodeAuditPayload(body, OPTS)
  t.same(events.map((e) => e.obj.auditID), ['a', 'b', 'c'], 'no kind, kind Event, any other kind: all events')
  t.same(issues, [])
  t.same(decodeAuditPayload(JSON.stringify(bare('x')), OPTS).issues.map((i) => i.code), ['ERR_AUDIT_NOT_RECOGNIZED'],
    'a single top-level object still needs kind: Event')
  t.same(decodeAuditPayload(JSON.stringify([bare('x')]), OPTS).issues.map((i) => i.code), ['ERR_AUDIT_NOT_RECOGNIZED'],
    'so does an element of a top-level array (as in Falco)')
})

t.test('invalid JSON and foreign documents are one issue', async (t) => {
  t.same(decodeAuditPayload('{"kind":', OPTS).issues.map((i) => i.code), ['ERR_AUDIT_BAD_JSON'])
  t.same(decodeAuditPayload('{"kind": 0}', OPTS).issues.map((i) => i.code), ['ERR_AUDIT_NOT_RECOGNIZED'])
  t.same(decodeAuditPayload('"text"', OPTS).issues.map((i) => i.code), ['ERR_AUDIT_NOT_RECOGNIZED'])
  t.same(decodeAuditPayload('{"kind":"EventList"}', OPTS).issues.map((i) => i.code), ['ERR_AUDIT_NOT_RECOGNIZED'], 'EventList without items')
  t.equal(decodeAuditPayload('{"kind": 0}', OPTS).events.length, 0)
})

t.test('per-event problems keep the rest of the batch', async (t) => {
  const { stageTimestamp: _drop, ...noTs } = event('no-ts')
  const items = [event('a'), noTs, event('bad-ts', { stageTimestamp: 'yesterday' }), 42, { kind: 'Pod' }, event('b'), null]
  const { events, issues } = decodeAuditPayload(JSON.stringify({ kind: 'EventList', items }), OPTS)
  t.same(events.map((e) => e.obj.auditID), ['a', 'b'])
  t.same(issues.map((i) => [i.code, i.index]), [
    ['ERR_AUDIT_NO_TIMESTAMP', 1],
    ['ERR_AUDIT_NO_TIMESTAMP', 2],
    ['ERR_AUDIT_NOT_OBJECT', 3],
    // an item is an event whatever its kind, so a kind-Pod item fails for what it lacks
    ['ERR_AUDIT_NO_TIMESTAMP', 4],
    ['ERR_AUDIT_NOT_OBJECT', 6]
  ])
})

t.test('events over maxEventBytes are dropped, measured as compact JSON', async (t) => {
  const big = event('big', { requestObject: { blob: 'x'.repeat(2000) } })
  const small = event('small')
  const pretty = JSON.stringify({ kind: 'EventList', items: [small, big] }, null, 8)
  const { events, issues } = decodeAuditPayload(pretty, { maxEventBytes: 1000 })
  t.same(events.map((e) => e.obj.auditID), ['small'])
  t.same(issues.map((i) => [i.code, i.index]), [['ERR_AUDIT_EVENT_TOO_LARGE', 1]])
  t.equal(events[0]?.size, Buffer.byteLength(JSON.stringify(small)), 'size is the compact JSON length')
  const whitespace = JSON.stringify(small, null, 40)
  t.equal(decodeAuditPayload(whitespace, { maxEventBytes: JSON.stringify(small).length }).events.length, 1, 'indentation does not count')
  t.equal(decodeAuditPayload(JSON.stringify(big), { maxEventBytes: 0 }).events.length, 1, '0 disables the limit')
})

t.test('size is computed lazily when the body was small enough', async (t) => {
  const body = JSON.stringify(event('é'))
  const [ev] = decodeAuditPayload(body, OPTS).events
  t.equal(ev?.size, Buffer.byteLength(body), 'multi-byte characters count in bytes')
})

t.test('pathological nesting is an issue, not a stack overflow', async (t) => {
  const deep = '['.repeat(5000) + JSON.stringify(event('a')) + ']'.repeat(5000)
  const res = decodeAuditPayload(deep, OPTS)
  t.equal(res.events.length, 0)
  t.same(res.issues.map((i) => i.code), ['ERR_AUDIT_NOT_RECOGNIZED'])
  const shallow = '[[' + JSON.stringify(event('a')) + ']]'
  t.equal(decodeAuditPayload(shallow, OPTS).events.length, 1)
})

t.test('an EventList inside an EventList is an item, not walked into', async (t) => {
  // items are events whatever their kind, so nesting cannot deepen through items: 20000 levels
  // cost one item issue, and arrays are the only recursion left (bounded above)
  const n = 20000
  const deep = '{"kind":"EventList","items":['.repeat(n) + JSON.stringify(event('a')) + ']}'.repeat(n)
  const res = decodeAuditPayload(Buffer.from(deep), OPTS)
  t.equal(res.events.length, 0)
  t.same(res.issues.map((i) => i.code), ['ERR_AUDIT_NO_TIMESTAMP'], 'the inner list is one item without stageTimestamp')
  t.same(decodeAuditPayload(JSON.stringify({ kind: 'EventList', items: [[event('a')]] }), OPTS).issues.map((i) => i.code),
    ['ERR_AUDIT_NOT_OBJECT'], 'an array item is not an event')
  const mixed = [[{ kind: 'EventList', items: [event('a')] }], { kind: 'EventList', items: [event('b')] }]
  t.same(decodeAuditPayload(JSON.stringify(mixed), OPTS).events.map((e) => e.obj.auditID), ['a', 'b'], 'arrays of EventLists still walk')
})

t.test('a UTF-8 byte order mark is ignored', async (t) => {
  t.equal(decodeAuditPayload('\ufeff' + JSON.stringify(event('a')), OPTS).events.length, 1)
  t.equal(decodeAuditPayload(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(event('a')))]), OPTS).events.length, 1)
})
