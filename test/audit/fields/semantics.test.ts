// The rules of §4 that are not about one field: index/key arguments, absent vs empty, wrong JSON
// types, value rendering, JSON Pointer escapes, and per-event caching.
import t from 'tap'
import { k8sAuditSource, imageRepository, parsePointer } from '../../../src/audit/fields/index.ts'
import { eventOf, fixtureEvent, fixtureObject } from '../../fixtures/audit/load.ts'

const table = k8sAuditSource.fields
const pod = fixtureEvent('pod-full.json')
const role = fixtureEvent('clusterrole.json')

function podWith (spec: Record<string, unknown>) {
  return eventOf({ kind: 'Event', auditID: 'x', requestObject: { spec } })
}

t.test('an index picks one element of the underlying array, still as a list', async (t) => {
  t.same(table.bind('ka.req.pod.containers.image', '1')(pod), ['busybox'])
  t.same(table.bind('ka.req.pod.containers.privileged', '0')(pod), ['false'])
  t.equal(table.bind('ka.req.pod.containers.image', '7')(pod), undefined, 'out of range is absent')
  t.equal(table.bind('ka.req.pod.containers.host_port', '1')(pod), undefined, 'the selected container has no ports')
  t.equal(table.bind('ka.req.pod.volumes.hostpath', '1')(pod), undefined, 'volume 1 is an emptyDir')
  t.same(table.bind('ka.req.role.rules.verbs', '1')(role), ['*'], 'only rule 1, flattened')
  t.same(table.bind('ka.sourceips', '1')(pod), ['192.168.1.1'])
})

t.test('arguments are checked when a field is bound', async (t) => {
  t.throws(() => table.bind('ka.req.pod.containers.image', '01'), { code: 'RULE_COMPILE_BAD_FIELD_ARG' }, 'no leading zeros')
  t.throws(() => table.bind('ka.req.pod.containers.image', 'x'), { code: 'RULE_COMPILE_BAD_FIELD_ARG' })
  t.throws(() => table.bind('ka.uri.param', undefined), { code: 'RULE_COMPILE_BAD_FIELD_ARG' }, 'key is required')
  t.throws(() => table.bind('jevt.value', undefined), { code: 'RULE_COMPILE_BAD_FIELD_ARG' })
  t.throws(() => table.bind('ka.verb', '0'), { code: 'RULE_COMPILE_BAD_FIELD_ARG' }, 'no argument allowed')
  t.throws(() => table.bind('ka.user.groups', '0'), { code: 'RULE_COMPILE_BAD_FIELD_ARG' }, 'ka.user.groups takes no index')
  t.throws(() => table.bind('jevt.value', '/a~2b'), { code: 'RULE_COMPILE_BAD_FIELD_ARG' }, 'bad pointer escape')
  t.throws(() => table.bind('ka.nope', undefined), { code: 'RULE_COMPILE_UNKNOWN_FIELD' })
})

t.test('ka.uri.param returns the first value, URL-decoded', async (t) => {
  t.equal(table.bind('ka.uri.param', 'dryRun')(pod), 'All')
  t.equal(table.bind('ka.uri.param', 'label')(pod), 'a b')
  t.equal(table.bind('ka.uri.param', 'missing')(pod), undefined)
  const exec = fixtureEvent('exec.json')
  t.equal(table.bind('ka.uri.param', 'command')(exec), 'sh', 'repeated command= gives the first')
  t.equal(table.bind('ka.uri.param', 'x')(eventOf({ auditID: 'a', requestURI: '/healthz' })), undefined, 'no query string')
})

t.test('ka.uri.params returns every value in order, URL-decoded (a whole exec argv)', async (t) => {
  const exec = fixtureEvent('exec.json')
  t.same(table.bind('ka.uri.params', 'command')(exec), ['sh', '-c', 'id'])
  t.same(table.bind('ka.uri.params', 'label')(pod), ['a b'], 'a single value is a one-element list')
  t.equal(table.bind('ka.uri.params', 'missing')(pod), undefined, 'no such parameter: absent, not an empty list')
  t.equal(table.bind('ka.uri.params', 'x')(eventOf({ auditID: 'a', requestURI: '/healthz' })), undefined, 'no query string')
  t.equal(table.info('ka.uri.params')?.isList, true)
  t.throws(() => table.bind('ka.uri.params', undefined), { code: 'RULE_COMPILE_BAD_FIELD_ARG' }, 'key is required')
})

t.test('wrong JSON types make the whole field absent', async (t) => {
  t.equal(table.bind('ka.req.pod.containers.name', undefined)(podWith({ containers: [{ name: 'a' }, { image: 'x' }] })), undefined, 'a container without a name')
  t.equal(table.bind('ka.req.pod.containers.image', undefined)(podWith({ containers: [{ name: 'a' }] })), undefined, 'a container without an image')
  t.equal(table.bind('ka.req.pod.containers.command', undefined)(podWith({ containers: [{ command: 'sh' }] })), undefined, 'command not an array')
  t.equal(table.bind('ka.req.pod.containers.args', undefined)(podWith({ containers: [{ args: ['a', 1] }] })), undefined, 'non-string arg')
  t.equal(table.bind('ka.req.pod.containers.host_port', undefined)(podWith({ containers: [{ ports: 80 }] })), undefined, 'ports not an array')
  t.equal(table.bind('ka.req.pod.containers.image', undefined)(podWith({ containers: {} })), undefined, 'containers not an array')
  t.equal(table.bind('ka.user.groups', undefined)(eventOf({ auditID: 'a', user: { groups: 'dev' } })), undefined)
  const badRules = eventOf({ auditID: 'a', requestObject: { rules: [{ verbs: 'get' }] } })
  t.equal(table.bind('ka.req.role.rules.verbs', undefined)(badRules), undefined)
})

t.test('empty lists are absent; containers without the setting are skipped', async (t) => {
  const ev = podWith({ containers: [{ name: 'a', image: 'x' }] })
  t.equal(table.bind('ka.req.pod.containers.privileged', undefined)(ev), undefined)
  t.equal(table.bind('ka.req.pod.containers.args', undefined)(ev), undefined)
  t.equal(table.bind('ka.req.container.privileged', undefined)(ev), 'false', 'deprecated: false when no container is privileged')
  t.equal(table.bind('ka.req.container.privileged', undefined)(podWith({})), undefined, 'deprecated: absent without containers')
  t.equal(table.bind('ka.req.binding.subjects.user_names', undefined)(eventOf({ auditID: 'a', requestObject: { subjects: [] } })), undefined)
  t.same(table.bind('ka.req.pod.containers.eff_run_as_user', undefined)(ev), ['0'], 'no runAsUser anywhere: uid 0')
})

t.test('values are text: booleans, numbers and objects', async (t) => {
  const ev = eventOf({ auditID: 'a', responseStatus: { code: 200 }, requestObject: { data: { k: 1, b: true } }, stage: null })
  t.equal(table.bind('ka.response.code', undefined)(ev), '200')
  t.equal(table.bind('ka.req.configmap.obj', undefined)(ev), '{"k":1,"b":true}')
  t.equal(table.bind('ka.stage', undefined)(ev), undefined, 'JSON null is absent for ka.* fields')
  t.equal(table.bind('jevt.value', '/stage')(ev), 'null', 'but is the text null for jevt.value')
  t.equal(table.bind('ka.req.pod.host_network', undefined)(pod), 'true')
})

t.test('jevt.value follows RFC 6901', async (t) => {
  const ev = eventOf({ 'a/b': 1, 'm~n': 'tilde', list: ['x', { y: [true] }], '': 'empty-key', nested: { k: 'v' } })
  const v = (p: string) => table.bind('jevt.value', p)(ev)
  t.equal(v('/a~1b'), '1')
  t.equal(v('/m~0n'), 'tilde')
  t.equal(v('m~0n'), 'tilde', 'the leading / is optional')
  t.equal(v('/list/0'), 'x')
  t.equal(v('/list/1/y/0'), 'true')
  t.equal(v('/list/01'), undefined, 'array indexes have no leading zeros')
  t.equal(v('/list/5'), undefined)
  t.equal(v('/nested'), '{"k":"v"}')
  t.equal(v('/'), 'empty-key', '"/" is the empty key')
  t.equal(v(''), JSON.stringify(ev.obj), 'the empty pointer is the whole document')
  t.equal(v('/nested/k/deeper'), undefined)
  t.same(parsePointer('/a~01'), ['a~1'], '~01 decodes to ~1, not /')
  const stock = fixtureEvent('pod-full.json')
  t.equal(table.bind('jevt.value', '/annotations/authorization.k8s.io~1decision')(stock), 'allow')
})

t.test('image repository keeps registry ports and drops tag and digest', async (t) => {
  t.equal(imageRepository('nginx'), 'nginx')
  t.equal(imageRepository('nginx:1.25'), 'nginx')
  t.equal(imageRepository('docker.io/library/nginx@sha256:ff'), 'docker.io/library/nginx')
  t.equal(imageRepository('myreg:5000/app:1'), 'myreg:5000/app')
  t.equal(imageRepository('myreg:5000/app'), 'myreg:5000/app')
  t.equal(imageRepository('myreg:5000/app:1@sha256:ff'), 'myreg:5000/app')
})

t.test('ka.req.volume.hostpath checks every volume, with * as a prefix match', async (t) => {
  const f = (arg: string) => table.bind('ka.req.volume.hostpath', arg)(pod)
  t.equal(f('/var/run/docker.sock'), 'true', 'third volume, not only the first')
  t.equal(f('/var/*'), 'true')
  t.equal(f('/etc'), 'false')
  t.equal(f('/'), 'true')
})

t.test('ka.target.pod.name needs a pods request without subresource', async (t) => {
  t.equal(table.bind('ka.target.pod.name', undefined)(fixtureEvent('exec.json')), undefined)
  const emptySub = eventOf({ auditID: 'a', objectRef: { resource: 'pods', subresource: '' }, responseObject: { metadata: { name: 'p' } } })
  t.equal(table.bind('ka.target.pod.name', undefined)(emptySub), 'p')
  const svc = eventOf({ auditID: 'a', objectRef: { resource: 'services' }, responseObject: { metadata: { name: 'p' } } })
  t.equal(table.bind('ka.target.pod.name', undefined)(svc), undefined)
})

t.test('extractors are shared per argument and cached per event', async (t) => {
  t.equal(table.bind('ka.req.pod.containers.image', undefined), table.bind('ka.req.pod.containers.image', undefined), 'same closure for the same field')
  const obj = fixtureObject('pod-full.json')
  const ev = eventOf(obj)
  const images = table.bind('ka.req.pod.containers.image', undefined)
  const first = images(ev)
  ;((obj.requestObject as { spec: { containers: unknown[] } }).spec.containers).length = 0
  t.equal(images(ev), first, 'second read comes from the event cache')
  t.equal(images(eventOf(obj)), undefined, 'a new event is read afresh')
  const absent = table.bind('ka.req.configmap.obj', undefined)
  t.equal(absent(ev), undefined)
  ;(obj.requestObject as Record<string, unknown>).data = { now: 'set' }
  t.equal(absent(ev), undefined, 'absent results are cached too')
})
