// A loopback stand-in for falcosidekick's main handler (handlers.go mainHandler, mounted at "/"),
// reproducing what it accepts:
// - a method other than POST: 400 "Please send with post http method";
// - the body is decoded with encoding/json into types.FalcoPayload; a decode error, or a payload
//   failing FalcoPayload.Check(), is 400 "Please send a valid request body" (http.Error: text/plain,
//   nosniff, the message and a newline).
// encoding/json's rules that matter here: object keys match the struct's json tags ignoring case
// (the last matching key wins); a JSON null leaves a field at its zero value; a value of the wrong
// JSON type is a decode error (a number as priority, an array as output_fields); time.Time takes
// only an RFC 3339 string. Check() then needs a known priority (types/priority.go: emergency, alert,
// critical, error, warning, notice, informational, debug, any case; anything else decodes to the
// empty Default), a non-empty rule, a non-zero time and a non-empty output_fields map.
// A valid payload is answered 200 with an empty body. Every request is recorded.
// Not reproduced: Go's decoder reads the FIRST JSON value and ignores what follows it; this
// stand-in rejects trailing data instead, so a client posting two alerts in one body fails here
// loudly (falcosidekick would silently keep only the first).
import http from 'node:http'
import type { AddressInfo } from 'node:net'

const PRIORITIES = new Set(['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'])

// RFC 3339 as Go's time.Parse(time.RFC3339) takes it: upper-case T and Z, fraction after . or ,
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([.,]\d+)?(Z|[+-]\d{2}:\d{2})$/
const ZERO_TIME = Date.parse('0001-01-01T00:00:00Z')

export interface SidekickPost { method: string, body: string, contentType: string | undefined, accepted: boolean, payload?: Record<string, unknown> }

/** The value encoding/json would decode into the field tagged `tag`: keys compared ignoring case, the last one wins. */
function goField (o: Record<string, unknown>, tag: string): unknown {
  let v: unknown
  for (const [k, x] of Object.entries(o)) if (k.toLowerCase() === tag) v = x
  return v
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** Decoding into types.FalcoPayload plus FalcoPayload.Check(): why falcosidekick refuses the body, or undefined when it accepts it. */
export function sidekickRejects (body: string): string | undefined {
  let p: unknown
  try { p = JSON.parse(body) } catch { return 'not JSON' }
  if (p === null) return 'priority' // decodes to the zero payload: Check() fails on its first test
  if (!isObject(p)) return 'not an object'
  const priority = goField(p, 'priority')
  const rule = goField(p, 'rule')
  const time = goField(p, 'time')
  const outputFields = goField(p, 'output_fields')
  // decode errors: a JSON value of the wrong type for the Go field
  for (const [name, v] of [['output', goField(p, 'output')], ['priority', priority], ['rule', rule], ['time', time], ['source', goField(p, 'source')], ['hostname', goField(p, 'hostname')]] as const) {
    if (v !== null && v !== undefined && typeof v !== 'string') return `${name}: not a string`
  }
  if (outputFields !== null && outputFields !== undefined && !isObject(outputFields)) return 'output_fields: not an object'
  const tags = goField(p, 'tags')
  if (tags !== null && tags !== undefined && (!Array.isArray(tags) || tags.some((x) => x !== null && typeof x !== 'string'))) return 'tags: not a list of strings'
  if (typeof time === 'string' && (!RFC3339.test(time) || Number.isNaN(Date.parse(time.replace(',', '.'))))) return 'time: not RFC 3339'
  // Check()
  if (typeof priority !== 'string' || !PRIORITIES.has(priority.toLowerCase())) return 'priority'
  if (typeof rule !== 'string' || rule === '') return 'rule'
  if (typeof time !== 'string' || Date.parse(time.replace(',', '.')) === ZERO_TIME) return 'time'
  if (!isObject(outputFields) || Object.keys(outputFields).length === 0) return 'output_fields'
  return undefined
}

export async function startFalcosidekick (t: { teardown(fn: () => void): void }): Promise<{ url: string, posts: SidekickPost[] }> {
  const posts: SidekickPost[] = []
  const server = http.createServer(function falcosidekickMain (req, res) {
    const chunks: Buffer[] = []
    req.on('data', (b: Buffer) => chunks.push(b))
    req.on('end', function judge () {
      const body = Buffer.concat(chunks).toString('utf8')
      const method = req.method ?? ''
      const why = method !== 'POST' ? 'method' : sidekickRejects(body)
      posts.push({ method, body, contentType: req.headers['content-type'], accepted: why === undefined, ...(why === undefined ? { payload: JSON.parse(body) } : {}) })
      if (why !== undefined) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' })
        res.end(why === 'method' ? 'Please send with post http method\n' : 'Please send a valid request body\n')
        return
      }
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, posts }
}
