// The webhook's pure parts: PEM splitting and clientAuth mapping, the bearer check, the admission
// counter, the batch verdict and the warning throttle.
import t from 'tap'
import { buildHttpsOptions, splitPem } from '../../src/webhook/index.ts'
import { createAdmission, type AdmissionSlot } from '../../src/webhook/admission.ts'
import { createBearerCheck } from '../../src/webhook/bearer.ts'
import { createLogThrottle } from '../../src/webhook/log-throttle.ts'
import { judgeBatch } from '../../src/webhook/replies.ts'
import { buildFastify, DEFAULT_REQUEST_TIMEOUT_MS } from '../../src/webhook/listen.ts'

const CERT = '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----'
const CERT2 = '-----BEGIN CERTIFICATE-----\nREVG\n-----END CERTIFICATE-----'
const KEY = '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----'
const EC_KEY = '-----BEGIN EC PARAMETERS-----\nBggq\n-----END EC PARAMETERS-----\n-----BEGIN EC PRIVATE KEY-----\nRUM=\n-----END EC PRIVATE KEY-----'

t.test('splitPem finds every block and ignores text around them', async (t) => {
  const blocks = splitPem(`subject=CN=x\n${CERT}\nissuer=...\n${EC_KEY}\n${CERT2}\n`)
  t.same(blocks.map((b) => b.label), ['CERTIFICATE', 'EC PARAMETERS', 'EC PRIVATE KEY', 'CERTIFICATE'])
  t.same(splitPem('no pem here'), [])
})

t.test('buildHttpsOptions takes the key from a combined PEM and keeps the whole chain', async (t) => {
  const out = buildHttpsOptions({ cert: `${CERT}\n${KEY}\n${CERT2}`, clientAuth: 'none' })
  t.equal(out.cert, `${CERT}\n${CERT2}`, 'leaf and intermediate, key left out')
  t.equal(out.key, KEY)
  t.equal(out.requestCert, false)
  t.equal(out.ca, undefined)
})

t.test('buildHttpsOptions pins TLS 1.2 as the minimum, whatever node or NODE_OPTIONS default to', async (t) => {
  t.equal(buildHttpsOptions({ cert: CERT, key: KEY, clientAuth: 'none' }).minVersion, 'TLSv1.2')
  t.equal(buildHttpsOptions({ cert: CERT, key: KEY, ca: CERT2, clientAuth: 'require' }).minVersion, 'TLSv1.2')
})

t.test('buildHttpsOptions accepts traditional EC keys and skips EC PARAMETERS', async (t) => {
  const out = buildHttpsOptions({ cert: CERT, key: EC_KEY, clientAuth: 'none' })
  t.match(out.key, /^-----BEGIN EC PRIVATE KEY-----/)
})

t.test("clientAuth maps onto requestCert/rejectUnauthorized and needs a CA", async (t) => {
  const base = { cert: CERT, key: KEY, ca: CERT2 }
  t.match(buildHttpsOptions({ ...base, clientAuth: 'require' }), { requestCert: true, rejectUnauthorized: true, ca: CERT2 })
  t.match(buildHttpsOptions({ ...base, clientAuth: 'request' }), { requestCert: true, rejectUnauthorized: false, ca: CERT2 })
  t.throws(() => buildHttpsOptions({ cert: CERT, key: KEY, clientAuth: 'require' }), { code: 'ERR_WEBHOOK_TLS' })
  t.throws(() => buildHttpsOptions({ cert: KEY, clientAuth: 'none' }), { code: 'ERR_WEBHOOK_TLS' })
  t.throws(() => buildHttpsOptions({ cert: CERT, clientAuth: 'none' }), { code: 'ERR_WEBHOOK_TLS' })
})

t.test('the bearer check wants exactly "Bearer <token>"', async (t) => {
  const check = createBearerCheck('abc')
  t.ok(check('Bearer abc'))
  t.ok(check('bearer abc'), 'the scheme is case-insensitive (RFC 7235)')
  t.ok(check('Bearer  abc '), 'extra blanks around the token')
  t.notOk(check('Bearer abcd'))
  t.notOk(check('Bearer ab'))
  t.notOk(check('Bearer '))
  t.notOk(check('abc'))
  t.notOk(check('Basic abc'))
  t.notOk(check(undefined))
})

t.test('admission: uploads hold no batch slot; slots are taken when evaluation starts, released once, drains reported', async (t) => {
  const seen: number[] = []
  const adm = createAdmission({ maxBatches: 2, onInFlight: (n) => seen.push(n) })
  const a = adm.tryAcquire() as AdmissionSlot
  const b = adm.tryAcquire() as AdmissionSlot
  const c = adm.tryAcquire() as AdmissionSlot
  t.type(c, 'object', 'a third upload is admitted: receiving a body holds no batch slot')
  t.ok(a.startBatch())
  t.ok(b.startBatch())
  t.notOk(c.startBatch(), 'the third batch is refused while two are evaluated')
  t.equal(adm.inFlight, 2)
  c.release()
  let drained = false
  const d = adm.drained().then(() => { drained = true })
  a.release()
  a.release()
  t.equal(adm.inFlight, 1, 'a double release counts once')
  await Promise.resolve()
  t.notOk(drained)
  t.equal(b.busy, true)
  b.release()
  await d
  t.ok(drained)
  t.same(seen, [1, 2, 3, 2, 1, 0], 'the gauge follows admitted requests')
  // "at once": before any macrotask, i.e. before setImmediate's callback
  const idle = await Promise.race([adm.drained().then(() => 'drained'), new Promise((resolve) => { setImmediate(resolve, 'still pending') })])
  t.equal(idle, 'drained', 'drained() resolves at once when idle')
})

t.test('admission: bytes are counted as they arrive; a Content-Length reserves nothing', async (t) => {
  const adm = createAdmission({ maxBatches: 4, maxBytes: 1000 })
  const a = adm.tryAcquire(900) as AdmissionSlot
  t.equal(adm.inFlightBytes, 0, 'announcing 900 bytes holds none')
  const b = adm.tryAcquire(900) as AdmissionSlot
  t.type(b, 'object', 'so a second announcing 900 is admitted too')
  t.ok(a.grow(600))
  t.equal(adm.tryAcquire(500), 'bytes', 'a Content-Length that cannot fit next to bytes really held is refused')
  t.notOk(b.grow(500), 'crossing the budget while others hold bytes is refused')
  t.ok(b.grow(400))
  t.equal(adm.inFlightBytes, 1000)
  a.release()
  b.release()
  t.equal(adm.inFlightBytes, 0)
  const alone = adm.tryAcquire() as AdmissionSlot
  t.ok(alone.grow(5000), 'alone, a body may pass the budget (up to the body limit)')
  alone.release()
})

t.test('judgeBatch: 400 only for a body-level issue with nothing accepted', async (t) => {
  t.same(judgeBatch({ accepted: 3, rejected: 0, issues: [] }), { ok: true })
  t.same(judgeBatch({ accepted: 0, rejected: 0, issues: [] }), { ok: true }, 'an empty EventList is fine')
  t.same(judgeBatch({ accepted: 0, rejected: 2, issues: [{ code: 'ERR_AUDIT_NO_TIMESTAMP', message: 'x', index: 0 }] }), { ok: true })
  t.same(judgeBatch({ accepted: 0, rejected: 0, issues: [{ code: 'ERR_AUDIT_BAD_JSON', message: 'bad' }] }),
    { ok: false, code: 'ERR_AUDIT_BAD_JSON', message: 'bad' })
  t.same(judgeBatch({ accepted: 0, rejected: 2, issues: [{ code: 'ERR_AUDIT_NO_TIMESTAMP', message: 'x', index: 0 }, { code: 'ERR_AUDIT_NOT_RECOGNIZED', message: 'nr', index: 1 }] }),
    { ok: true }, 'a flawed event among non-events: the body is audit data, 200')
  t.same(judgeBatch({ accepted: 0, rejected: 2, issues: [{ code: 'ERR_AUDIT_NOT_RECOGNIZED', message: 'pod', index: 0 }, { code: 'ERR_AUDIT_NOT_OBJECT', message: 'num', index: 1 }] }),
    { ok: false, code: 'ERR_AUDIT_NOT_RECOGNIZED', message: 'pod' }, 'items none of which is an Event: 400')
  t.same(judgeBatch({ accepted: 1, rejected: 0, issues: [{ code: 'ERR_AUDIT_NOT_RECOGNIZED', message: 'nr', index: 1 }] }), { ok: true },
    'an unrecognized item inside a batch that had good events is per-event')
})

t.test('the log throttle lets one line per key per interval through and counts the rest', async (t) => {
  let now = 0
  const th = createLogThrottle(1000, () => now)
  t.equal(th.take('a'), 0)
  t.equal(th.take('a'), undefined)
  t.equal(th.take('b'), 0, 'keys are independent')
  t.equal(th.take('a'), undefined)
  now = 1000
  t.equal(th.take('a'), 2, 'two were held back')
  t.equal(th.take('a'), undefined)
})

t.test('every server gets a request timeout, so slow clients cannot hold sockets forever', async (t) => {
  // fastify's default (0) leaves a trickled body unbounded; node bounds headers on its own
  const admin = buildFastify({ logger: false }, undefined)
  t.teardown(() => admin.close())
  t.equal(admin.server.requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS)
  // a setting, not a behaviour: the webhook's own 10 s bound is exercised over a real socket in
  // webhook-headers-timeout.test.ts; the admin server keeps node's default
  t.equal(admin.server.headersTimeout, 60_000, "the admin server keeps node's 60 s bound on trickled headers")
  const tuned = buildFastify({ logger: false, requestTimeout: 60_000 }, undefined)
  t.teardown(() => tuned.close())
  t.equal(tuned.server.requestTimeout, 60_000, "a caller's own value wins")
})

t.test('admission: a slot freed before evaluation (the client hung up) starts no batch and counts no more bytes', async (t) => {
  const adm = createAdmission({ maxBatches: 1, maxBytes: 1000 })
  const gone = adm.tryAcquire() as AdmissionSlot
  t.ok(gone.grow(100))
  gone.release()
  t.equal(adm.inFlightBytes, 0)
  t.ok(gone.grow(500), 'a late chunk is let through (the request is over)...')
  t.equal(adm.inFlightBytes, 0, '...and not counted: nothing is held for a request that ended')
  t.equal(gone.bytes, 100)
  t.notOk(gone.startBatch(), 'no batch for it')
  t.equal(adm.inFlight, 0)
  const next = adm.tryAcquire() as AdmissionSlot
  t.ok(next.startBatch(), 'the only batch slot is still free')
  t.ok(next.startBatch(), 'asking again for a batch already started is not a second slot')
  t.equal(adm.inFlight, 1)
  next.release()
  t.equal(adm.inFlight, 0)
  t.equal(adm.open, 0)
})
