// Kinds-change requests to the helper: numbered control lines, answers matched by number,
// unanswered ones resolving undefined after the timeout or when the probe stops.
import t from 'tap'
import type { ConfFrame } from '../../../src/syscall/decode.ts'
import { ConfRequests } from '../../../src/syscall/supervisor/conf-requests.ts'

function frame (seq: number, nExit: number, rejected = false): ConfFrame {
  return { seq, rejected, nExit, nEnter: 0 }
}

t.test('a request sends one numbered control line and resolves with the answer of that number', async (t) => {
  const conf = new ConfRequests(60_000)
  const sent: string[] = []
  const first = conf.ask(function send (line) { sent.push(line) }, { kinds: ['openat', 'execve'], enter: [] })
  const second = conf.ask(function send (line) { sent.push(line) }, { kinds: [], enter: ['connect'] })
  t.same(sent, ['kinds 1 openat,execve none\n', 'kinds 2 none connect\n'], 'numbered from 1, empty lists as none')
  t.equal(conf.pending, 2)
  conf.answer([frame(7, 1), frame(2, 0)])
  t.same(await second, frame(2, 0), 'answered by number, in any order')
  t.equal(conf.pending, 1, 'an answer to no request is ignored')
  conf.answer([frame(1, 2, true)])
  t.same(await first, frame(1, 2, true), 'a rejection is an answer too')
  t.equal(conf.pending, 0)
})

t.test('an unanswered request resolves undefined after the timeout', async (t) => {
  const conf = new ConfRequests(10)
  const answer = await conf.ask(function send () {}, { kinds: ['open'], enter: [] })
  t.equal(answer, undefined)
  t.equal(conf.pending, 0)
  conf.answer([frame(1, 1)])
  t.equal(conf.pending, 0, 'a late answer finds nothing to resolve')
})

t.test('cancelAll (the probe stops) resolves every pending request undefined at once', async (t) => {
  const conf = new ConfRequests(60_000)
  const a = conf.ask(function send () {}, { kinds: ['open'], enter: [] })
  const b = conf.ask(function send () {}, { kinds: ['close'], enter: [] })
  conf.cancelAll()
  t.same(await Promise.all([a, b]), [undefined, undefined])
  t.equal(conf.pending, 0)
})
