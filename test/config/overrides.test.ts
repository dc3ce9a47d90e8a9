// `-o key=value`: dotted keys, list indexes and appends, YAML-typed values, validated like the file.
import t from 'tap'
import { applyOverrides, loadConfig, parseOverride } from '../../src/config/index.ts'

t.test('values are YAML: booleans, numbers, lists and maps keep their types', async (t) => {
  t.same(parseOverride('json_output=true').value, true)
  t.same(parseOverride('webserver.listen_port=8080').value, 8080)
  t.same(parseOverride('rules_files=[a.yaml, b.yaml]').value, ['a.yaml', 'b.yaml'])
  t.same(parseOverride('http_output.url=http://x:1/y?a=b').value, 'http://x:1/y?a=b', 'only the first = splits')
  t.same(parseOverride('program_output.program=').value, null, 'an empty value is null')
})

t.test('keys: dotted paths, indexes, [] appends; intermediate maps and lists are created', async (t) => {
  const raw: Record<string, unknown> = { plugins: [{ name: 'k8saudit' }], rules: [{ disable: { rule: 'a' } }] }
  applyOverrides(raw, ['plugins[0].open_params=http://:1/x', 'rules[].disable.tag=shell', 'a.b.c=1', 'l[0].x=2'].map(parseOverride))
  t.same(raw, {
    plugins: [{ name: 'k8saudit', open_params: 'http://:1/x' }],
    rules: [{ disable: { rule: 'a' } }, { disable: { tag: 'shell' } }],
    a: { b: { c: 1 } },
    l: [{ x: 2 }]
  })
})

t.test('malformed overrides are ERR_CONFIG_OVERRIDE', async (t) => {
  for (const bad of ['json_output', '=true', 'a..b=1', 'a[x]=1', 'a.=1', 'a b=1', 'x=[unclosed']) {
    t.throws(() => parseOverride(bad), { code: 'ERR_CONFIG_OVERRIDE' }, bad)
  }
  t.throws(() => applyOverrides({ a: 1 }, [parseOverride('a.b=1')]), { code: 'ERR_CONFIG_OVERRIDE' }, 'key inside a scalar')
  t.throws(() => applyOverrides({ a: [] }, [parseOverride('a[3]=1')]), { code: 'ERR_CONFIG_OVERRIDE' }, 'index past the end')
})

t.test('overrides apply in order over the file and are validated like it', async (t) => {
  const c = loadConfig({ overrides: ['json_output=true', 'json_output=false', 'priority=error', 'lanner.webhook.listen=:0'] })
  t.equal(c.json.enabled, false, 'the last override wins')
  t.equal(c.minPriority, 3)
  t.equal(c.webhook.port, 0)
  const err = t.throws(() => loadConfig({ overrides: ['json_output=maybe'] }), { code: 'ERR_CONFIG_INVALID' }) as any
  t.equal(err.location.itemName, 'json_output')
  t.equal(err.location.pos, undefined, 'an override has no file position')
})
