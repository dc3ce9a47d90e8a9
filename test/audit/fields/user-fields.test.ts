// User-defined JSONPath fields: values, lists, absence, and the errors for bad definitions.
import t from 'tap'
import { createK8sAuditSource, createUserFields, k8sAuditSource } from '../../../src/audit/fields/index.ts'
import { eventOf, fixtureEvent } from '../../fixtures/audit/load.ts'

const pod = fixtureEvent('pod-full.json')

t.test('a user field reads the first match, or every match as a list', async (t) => {
  const source = createK8sAuditSource({
    userFields: [
      { name: 'my.first_image', jsonpath: '$.requestObject.spec.containers[*].image' },
      { name: 'my.all_images', jsonpath: '$..image', list: true },
      { name: 'my.host_network', jsonpath: '$.requestObject.spec.hostNetwork' },
      { name: 'my.spec_ctx', jsonpath: '$.requestObject.spec.securityContext' },
      { name: 'my.nothing', jsonpath: '$.nope.deeper' }
    ]
  })
  const get = (n: string) => source.fields.bind(n, undefined)(pod)
  t.equal(get('my.first_image'), 'docker.io/library/nginx:1.25')
  t.same(get('my.all_images'), ['registry.local:5000/tools/init:1.2@sha256:abcd', 'docker.io/library/nginx:1.25', 'busybox', 'busybox:1.36'])
  t.equal(get('my.host_network'), 'true', 'booleans as text, like the built-ins')
  t.equal(get('my.spec_ctx'), '{"runAsUser":1000,"runAsGroup":3000,"fsGroup":2000,"supplementalGroups":[4000,5000]}')
  t.equal(get('my.nothing'), undefined)
  t.equal(source.fields.info('my.all_images')?.isList, true)
  t.equal(source.fields.bind('ka.verb', undefined)(pod), 'create', 'built-ins are still there')
  t.equal(source.name, 'k8s_audit')
  t.equal(source.time(pod), pod.time)
})

t.test('filter expressions run in safe mode and never throw per event', async (t) => {
  const [field] = createUserFields([{ name: 'my.privileged_names', jsonpath: '$.requestObject.spec.containers[?(@.securityContext.privileged===true)].name', list: true }])
  const extract = field!.bind(undefined)
  t.same(extract(pod), ['sidecar'])
  t.equal(extract(eventOf({ requestObject: { spec: { containers: [null, 5] } } })), undefined)
})

t.test('no user fields gives the stock source', async (t) => {
  t.equal(createK8sAuditSource({}), k8sAuditSource)
  t.equal(createK8sAuditSource(), k8sAuditSource)
})

t.test('bad definitions fail with a code', async (t) => {
  t.throws(() => createK8sAuditSource({ userFields: [{ name: 'ka.verb', jsonpath: '$.verb' }] }), { code: 'ERR_AUDIT_USER_FIELD_CONFLICT' }, 'shadows a built-in')
  t.throws(() => createK8sAuditSource({ userFields: [{ name: 'my.a', jsonpath: '$.a' }, { name: 'my.a', jsonpath: '$.b' }] }), { code: 'ERR_AUDIT_USER_FIELD_CONFLICT' }, 'defined twice')
  t.throws(() => createUserFields([{ name: 'nodot', jsonpath: '$.a' }]), { code: 'ERR_AUDIT_USER_FIELD_INVALID' })
  t.throws(() => createUserFields([{ name: 'my.a b', jsonpath: '$.a' }]), { code: 'ERR_AUDIT_USER_FIELD_INVALID' })
  t.throws(() => createUserFields([{ name: 'my.a', jsonpath: 'user.name' }]), { code: 'ERR_AUDIT_USER_FIELD_INVALID' }, 'must start at $')
  t.throws(() => createUserFields([{ name: 'my.a', jsonpath: '$.a[0' }]), { code: 'ERR_AUDIT_USER_FIELD_INVALID' }, 'unbalanced bracket')
})

t.test('a filter skips elements it cannot read', async (t) => {
  const [field] = createUserFields([{ name: 'my.names', jsonpath: '$.requestObject.spec.containers[?(@.securityContext.privileged===true)].name', list: true }])
  const ev = eventOf({ requestObject: { spec: { containers: [{ name: 'plain' }, { name: 'root', securityContext: { privileged: true } }] } } })
  t.same(field!.bind(undefined)(ev), ['root'])
})

t.test('script expressions in a configured JSONPath cannot run code (safe eval, not native)', async (t) => {
  // The path comes from config, so a hostile or careless one must not reach Function or process.
  const g = globalThis as { __lannerPwned?: unknown }
  const hostile = [
    "$..[?(@.constructor.constructor('globalThis.__lannerPwned = process.pid')())]",
    "$[?(@.constructor.constructor('globalThis.__lannerPwned = 1')())]",
    "$.requestObject.spec.containers[?(this.constructor.constructor('globalThis.__lannerPwned = 2')())]",
    "$[(@.constructor.constructor('globalThis.__lannerPwned = 3')())]"
  ]
  for (const jsonpath of hostile) {
    let fields: ReturnType<typeof createUserFields> | undefined
    try {
      fields = createUserFields([{ name: 'my.hostile', jsonpath, list: true }])
    } catch (err) {
      t.equal((err as { code?: string }).code, 'ERR_AUDIT_USER_FIELD_INVALID', `rejected at load: ${jsonpath}`)
      continue
    }
    const extract = fields[0]!.bind(undefined)
    t.doesNotThrow(() => extract(pod), `evaluates without throwing: ${jsonpath}`)
    t.doesNotThrow(() => extract(eventOf({ requestObject: { spec: { containers: [{ name: 'a' }] } } })))
    t.equal(g.__lannerPwned, undefined, `no code ran: ${jsonpath}`)
  }
  delete g.__lannerPwned
})
