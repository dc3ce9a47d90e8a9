// The falcosidekick stand-in against falcosidekick's own rules (handlers.go mainHandler,
// types.FalcoPayload.Check, types/priority.go), one body per rule, over real loopback HTTP.
import t from 'tap'
import { request } from 'node:http'
import { sidekickRejects, startFalcosidekick } from './falcosidekick.ts'
import { formatAlertJson } from '../../src/outputs/index.ts'
import { makeAlert } from '../outputs/helpers.ts'

const valid = { output: 'x', priority: 'Warning', rule: 'R', time: '2026-03-01T12:00:00.123456789Z', output_fields: { 'ka.verb': 'create' }, source: 'k8s_audit', tags: ['k8s'], hostname: 'h' }
const body = (over: Record<string, unknown>, drop: string[] = []): string => {
  const o: Record<string, unknown> = { ...valid, ...over }
  for (const k of drop) delete o[k]
  return JSON.stringify(o)
}

t.test('FalcoPayload decoding and Check(), rule by rule', async (t) => {
  t.equal(sidekickRejects(body({})), undefined, 'a complete Falco JSON alert')
  t.equal(sidekickRejects(formatAlertJson(makeAlert(1))), undefined, "the product's own JSON alert line")
  // priority: any case of the eight names; anything else is Default ("") and fails Check()
  for (const p of ['EMERGENCY', 'alert', 'Critical', 'error', 'Warning', 'notice', 'Informational', 'debug']) t.equal(sidekickRejects(body({ priority: p })), undefined, p)
  for (const p of ['info', 'Informationnal', 'warn', '']) t.equal(sidekickRejects(body({ priority: p })), 'priority', `priority ${JSON.stringify(p)}`)
  t.equal(sidekickRejects(body({}, ['priority'])), 'priority')
  t.equal(sidekickRejects(body({ priority: 4 })), 'priority: not a string', 'a number is a decode error')
  t.equal(sidekickRejects(body({ rule: '' })), 'rule')
  t.equal(sidekickRejects(body({}, ['rule'])), 'rule')
  t.equal(sidekickRejects(body({}, ['time'])), 'time')
  t.equal(sidekickRejects(body({ time: '0001-01-01T00:00:00Z' })), 'time', 'the zero time')
  t.equal(sidekickRejects(body({ time: '2026-03-01 12:00:00Z' })), 'time: not RFC 3339', 'time.Time takes RFC 3339 only')
  t.equal(sidekickRejects(body({ time: 1772366400 })), 'time: not a string')
  t.equal(sidekickRejects(body({ time: '2026-03-01T13:00:00+01:00' })), undefined, 'an offset is RFC 3339')
  t.equal(sidekickRejects(body({ output_fields: {} })), 'output_fields')
  t.equal(sidekickRejects(body({}, ['output_fields'])), 'output_fields')
  t.equal(sidekickRejects(body({ output_fields: null })), 'output_fields')
  t.equal(sidekickRejects(body({ output_fields: ['a'] })), 'output_fields: not an object', 'an array is a decode error')
  t.equal(sidekickRejects(body({ tags: 'k8s' })), 'tags: not a list of strings')
  // encoding/json matches keys ignoring case
  t.equal(sidekickRejects(body({ Rule: 'R' }, ['rule'])), undefined, '"Rule" fills the rule field')
  t.equal(sidekickRejects('null'), 'priority')
  t.equal(sidekickRejects('[]'), 'not an object')
  t.equal(sidekickRejects(''), 'not JSON')
})

function send (url: string, method: string, payload: string): Promise<{ status: number, type: string | undefined, text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = ''
      res.on('data', (b: Buffer) => { text += b.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text }) })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

t.test('answers as mainHandler does: 200 empty, 400 with http.Error text', async (t) => {
  const s = await startFalcosidekick(t)
  t.same(await send(s.url, 'POST', body({})), { status: 200, type: undefined, text: '' })
  t.same(await send(s.url, 'POST', body({ rule: '' })), { status: 400, type: 'text/plain; charset=utf-8', text: 'Please send a valid request body\n' })
  t.same(await send(s.url, 'PUT', body({})), { status: 400, type: 'text/plain; charset=utf-8', text: 'Please send with post http method\n' })
  t.same(s.posts.map((p) => [p.method, p.accepted]), [['POST', true], ['POST', false], ['PUT', false]])
  t.equal(s.posts[0]?.payload?.rule, 'R')
})
