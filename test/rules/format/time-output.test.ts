// Time fields in alert outputs: Falco's text forms in the message, ns integers in output_fields,
// for both sources (their tables share src/fields/time-fields.ts).
import t from 'tap'
import { compileOutput } from '../../../src/rules/format/output-format.ts'
import { valueJson, valueText } from '../../../src/rules/format/values.ts'
import { k8sAuditSource, type K8sAuditEvent } from '../../../src/audit/fields/index.ts'
import { syscallFields } from '../../../src/syscall/fields/index.ts'
import { createEnricher } from '../../../src/syscall/enrich.ts'
import { userDbFrom } from '../../../src/syscall/state/users.ts'
import { fakeProc, rec } from '../../syscall/state/fake-proc.ts'

// 2016-08-04T16:17:57.881781397Z, beyond 2^53 like every real event time
const NS = 1470327477881781397n
const TEMPLATE = '%evt.time %evt.datetime %evt.time.iso8601 %evt.rawtime'
const MESSAGE = '16:17:57.881781397 2016-08-04 16:17:57.881781397 2016-08-04T16:17:57.881781397+0000 1470327477881781397'
const FIELDS = {
  'evt.time': valueJson(NS),
  'evt.datetime': valueJson(NS),
  'evt.time.iso8601': valueJson(NS),
  'evt.rawtime': valueJson(NS)
}

t.test('k8s_audit: text forms in the message, the ns value in output_fields', async (t) => {
  const ev: K8sAuditEvent = { obj: { auditID: 'a' }, time: NS, cache: [] }
  const r = compileOutput(TEMPLATE, k8sAuditSource.fields).render(ev)
  t.equal(r.message, MESSAGE)
  t.same(r.outputFields, FIELDS)
  t.equal(r.outputFields['evt.rawtime'], NS, 'exact: beyond 2^53 the integer stays a bigint (written as a bare JSON number)')
})

t.test('syscall: the same', async (t) => {
  const fp = fakeProc([{ pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], cwd: '/' }])
  t.teardown(fp.cleanup)
  const en = createEnricher({ procRoot: fp.root, users: userDbFrom([], []), hostname: 'node-1' })
  const ev = en.enrich(rec('openat', { pid: 1, ts: NS, res: 3, args: { dirfd: -100, name: '/etc/hosts', flags: 0 } }))
  const r = compileOutput(TEMPLATE, syscallFields).render(ev)
  t.equal(r.message, MESSAGE)
  t.same(r.outputFields, FIELDS)
})

t.test('the string and integer time fields keep their own forms', async (t) => {
  const ev: K8sAuditEvent = { obj: { auditID: 'a' }, time: NS, cache: [] }
  const r = compileOutput('%evt.time.s|%evt.datetime.s|%evt.rawtime.s|%evt.rawtime.ns', k8sAuditSource.fields).render(ev)
  t.equal(r.message, '16:17:57|2016-08-04 16:17:57|1470327477|881781397')
  t.same(r.outputFields, { 'evt.time.s': '16:17:57', 'evt.datetime.s': '2016-08-04 16:17:57', 'evt.rawtime.s': 1470327477, 'evt.rawtime.ns': 881781397 })
})

t.test('print modes on values', async (t) => {
  t.equal(valueText(5n, 'time'), '00:00:00.000000005', 'nine fractional digits, zero-padded')
  t.equal(valueText(0n, 'datetime'), '1970-01-01 00:00:00.000000000')
  t.equal(valueText(NS, 'iso8601'), '2016-08-04T16:17:57.881781397+0000')
  t.equal(valueText(NS), '1470327477881781397', 'no mode: the integer')
  t.equal(valueText(undefined, 'time'), '<NA>')
  t.equal(valueJson(5n, 'time'), 5, 'JSON keeps the number')
  t.equal(valueJson(NS, 'datetime'), valueJson(NS))
})
