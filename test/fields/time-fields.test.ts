// One time-field builder for every source: same names, types, print modes, descriptions and values.
import t from 'tap'
import { timeFields } from '../../src/fields/time-fields.ts'
import { k8sAuditSource } from '../../src/audit/fields/index.ts'
import { syscallFields } from '../../src/syscall/fields/index.ts'

const NAMES = ['evt.time', 'evt.time.s', 'evt.time.iso8601', 'evt.datetime', 'evt.datetime.s', 'evt.rawtime', 'evt.rawtime.s', 'evt.rawtime.ns']

t.test('the builder: names, types and print modes', async (t) => {
  const defs = timeFields<{ ts: bigint }>((ev) => ev.ts)
  t.same(defs.map((d) => d.name), NAMES)
  t.same(defs.map((d) => d.type), ['abstime', 'string', 'abstime', 'abstime', 'string', 'abstime', 'int', 'int'])
  t.same(defs.map((d) => d.print), ['time', undefined, 'iso8601', 'datetime', undefined, undefined, undefined, undefined])
  const ev = { ts: 1709287200_123456789n } // 2024-03-01T10:00:00.123456789Z
  t.same(defs.map((d) => d.bind(undefined)(ev)), [ev.ts, '10:00:00', ev.ts, ev.ts, '2024-03-01 10:00:00', ev.ts, 1709287200, 123456789])
})

t.test('both tables carry the same time fields', async (t) => {
  for (const name of NAMES) {
    const k = k8sAuditSource.fields.info(name)
    t.equal(k?.name, name)
    t.same(k, syscallFields.info(name), name)
  }
})
